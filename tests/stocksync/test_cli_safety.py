"""``channelhub stock push``: a preview and a confirmation before stock sync goes on, the
mass-drop guard and ``--confirm``; ``stock explain`` says why a listing is not pushed."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from channelhub.cli import app
from channelhub.core.stock import MovementKind
from channelhub.jobs.engine.kinds import JobKind, job_enabled
from channelhub.jobs.engine.runner import JobOptions, run_job
from channelhub.jobs.stock.push import turn_stock_sync_on
from channelhub.store.repos.accounts import get_account
from tests.jobs.test_handlers import Shop
from tests.stocksync.seed import T0, FakeChannel, know_stock, move
from tests.stocksync.test_cli import hub  # noqa: F401  (the fixture)

ASK = "turn stock sync on for us1 and push these quantities?"


@pytest.fixture
def channel(hub: Any, monkeypatch: pytest.MonkeyPatch) -> FakeChannel:  # noqa: F811
    run, _ = hub
    monkeypatch.setenv("COLUMNS", "250")  # the tables print whole lines
    code, _, err = run(
        "accounts", "add", "amazon", "us1", "-c", "refresh_token=secret", "-c", "client_id=i",
        "-c", "client_secret=s", "-s", "seller_id=A1", "-s", "marketplace_ids=ATVPDKIKX0DER",
    )  # fmt: skip
    assert code == 0, err
    fake = FakeChannel()
    monkeypatch.setattr(
        "channelhub.cli.stock.connector_factory_for", lambda _settings: lambda _row: fake
    )
    return fake


def _sync_on(rig: Any) -> bool:
    _, factory = rig
    with factory() as session:
        return job_enabled(get_account(session, "us1").settings, JobKind.PUSH_STOCK)


def _cells(line: str) -> list[str]:
    return [cell for cell in re.split(r"\s*[┃│]\s*", line.strip())]


def test_explain_help_prints(hub: Any) -> None:  # noqa: F811
    run, _ = hub
    code, out, err = run("stock", "explain", "--help")
    assert (code, err) == (0, "") and "channel:account:listing_id/variation" in out


def test_a_first_push_previews_and_asks_before_turning_stock_sync_on(
    hub: Any,  # noqa: F811
    channel: FakeChannel,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run, _ = hub
    # no terminal and no flag: the preview, then one line saying how to confirm
    code, out, err = run("stock", "push", "us1")
    assert code == 1 and channel.calls == [] and not _sync_on(hub)
    assert "preview of a full stock push to amazon:us1 (stock sync is off" in out
    assert err.strip() == (
        "error: stock sync is off for us1: to turn it on and push the quantities above, run "
        "`channelhub stock push us1 --confirm`"
    )
    lines = out.splitlines()
    header = _cells(next(line for line in lines if "channel now" in line))
    assert header == ["listing", "channel SKU", "channel now", "hub would push", "why"]
    two_pack = _cells(next(line for line in lines if "amazon:us1:A-MUG2" in line))
    # channel SKU, channel now (never read from the channel), hub would push, why
    assert two_pack[1:4] == ["MUG-2PK", "unknown", "2"]
    assert "MUG: 12 available, buffer 1, 2-pack, share 0.5" in out
    assert "1 listing is not paired: nothing is pushed to them" in out
    monkeypatch.setattr("channelhub.cli.stock.stdin_is_interactive", lambda: True)
    runner = CliRunner()
    home = ["--home", str(hub[0].home)]
    said_no = runner.invoke(app, [*home, "stock", "push", "us1"], input="n\n")
    assert said_no.exit_code == 1 and ASK in said_no.output
    assert channel.calls == [] and not _sync_on(hub)
    said_yes = runner.invoke(app, [*home, "stock", "push", "us1"], input="y\n")
    assert said_yes.exit_code == 0, said_yes.output
    assert "stock sync is on for us1: `channelhub run` pushes its quantities" in said_yes.output
    assert sorted(channel.pushed) == [("A-MUG2", 2), ("A-SET", 0)] and _sync_on(hub)


def test_preview_sends_nothing_and_confirm_turns_sync_on_without_asking(
    hub: Any,  # noqa: F811
    channel: FakeChannel,
) -> None:
    run, _ = hub
    code, out, _ = run("stock", "push", "us1", "--preview")
    assert code == 0 and channel.calls == [] and not _sync_on(hub)
    assert "nothing has been sent" in out
    code, out, err = run("stock", "push", "us1", "--confirm")
    assert (code, err) == (0, ""), err
    assert sorted(channel.pushed) == [("A-MUG2", 2), ("A-SET", 0)] and _sync_on(hub)
    code, out, _ = run("stock", "push", "us1", "--preview")  # sync on: still only a preview
    assert code == 0 and len(channel.calls) == 1 and "stock sync is on" in out
    assert "unchanged: the channel confirmed 2" in out


def test_a_mass_drop_stops_the_push_until_confirmed_and_shows_in_log_and_explain(
    hub: Any,  # noqa: F811
    channel: FakeChannel,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run, factory = hub
    monkeypatch.setenv("COLUMNS", "400")  # the job log's error column unwrapped
    with factory.begin() as session:
        turn_stock_sync_on(session, "us1", now=T0)
        move(session, "LID", 40)  # the set now sells 1 (its maximum)
    assert run("stock", "push", "us1")[0] == 0
    assert sorted(channel.pushed) == [("A-MUG2", 2), ("A-SET", 1)]
    with factory.begin() as session:  # every US-EAST mug promised: both listings to 0
        move(session, "MUG", 12, kind=MovementKind.RESERVE)
    calls = len(channel.calls)
    code, out, err = run("stock", "push", "us1")
    reason = "stock push stopped: it would cut 2 of 2 listings (all to 0)"
    assert code == 1 and len(channel.calls) == calls  # nothing was sent
    assert err.startswith(f"error: {reason}") and "`channelhub stock push us1 --confirm`" in err
    assert "WOULD CUT amazon:us1:A-MUG2: 2 -> 0" in out
    code, out, _ = run("stock", "explain", "amazon:us1:A-SET")
    assert reason in out and "this listing would go from 1 to 0" in out
    # the scheduled job stops too, and says so in the job log
    shop = Shop(pages=[], platform="amazon", account="us1")
    result = asyncio.run(
        run_job(
            factory, "us1", JobKind.PUSH_STOCK, connector_factory=lambda _row: shop,
            now=lambda: T0 + timedelta(days=1), options=JobOptions(home=run.home),
        )
    )  # fmt: skip
    assert result.outcome == "failed" and shop.pushed == []
    code, out, _ = run("jobs", "log", "--job", "push_stock")
    assert code == 0 and reason in out
    code, out, err = run("stock", "push", "us1", "--confirm")
    assert (code, err) == (0, ""), err
    assert sorted(channel.pushed[-2:]) == [("A-MUG2", 0), ("A-SET", 0)]
    assert "CONFIRMED CUT amazon:us1:A-MUG2: 2 -> 0" in out
    code, out, _ = run("stock", "explain", "amazon:us1:A-SET")
    assert code == 0 and "STOPPED" not in out


def test_stock_is_pushed_to_sales_channels_only(hub: Any) -> None:  # noqa: F811
    run, _ = hub
    assert (
        run("accounts", "add", "ups", "ups1", "-c", "client_id=a", "-c", "client_secret=b")[0] == 0
    )
    code, out, err = run("stock", "push", "ups1")
    assert code == 1 and out == ""
    assert err.strip() == (
        "error: account 'ups1' (ups) is not a sales channel: stock is pushed to sales channel "
        "accounts only"
    )


def test_explain_says_a_listing_is_not_pushed_while_a_warehouse_stock_is_unknown(
    hub: Any,  # noqa: F811
) -> None:
    run, factory = hub
    with factory.begin() as session:
        know_stock(session, "US-EAST", at=None)
    code, out, _ = run("stock", "explain", "amazon:us1:A-MUG2")
    assert code == 0
    assert (
        "not pushed: stock unknown at US-EAST: load it with `channelhub stock set|import|pull`"
        in out.splitlines()
    )
