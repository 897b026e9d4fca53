"""``channelhub stock explain`` accounts for every unit; ``stock push`` pushes and summarises."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from channelhub.cli import main
from channelhub.core.stock import MovementKind
from channelhub.jobs.stock.push import turn_stock_sync_on
from channelhub.store.db import make_engine, make_session_factory
from tests.stocksync.seed import T0, FakeChannel, add_catalog, add_listing, move

RULES = """
[stock.default]
buffer = 1

[stock.accounts."amazon:us1"]
share = "0.5"

[stock.listings."amazon:us1:A-SET"]
maximum = 1

[[allocation.allowed]]
channel = "amazon"
warehouses = ["US-EAST"]
"""


class Hub:
    def __init__(self, home: Path, capsys: pytest.CaptureFixture[str], mp: pytest.MonkeyPatch):
        self.home, self.capsys, self.mp = home, capsys, mp

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        self.mp.setattr(sys, "argv", ["channelhub", "--home", str(self.home), *args])
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture
def hub(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Hub, sessionmaker[Session]]]:
    for var in ("CHANNELHUB_HOME", "CHANNELHUB_SECRET_KEY", "CHANNELHUB_DATABASE_URL"):
        monkeypatch.delenv(var, raising=False)
    url = db_url
    if not db_url.startswith("sqlite"):
        monkeypatch.setenv("CHANNELHUB_DATABASE_URL", db_url)
    else:
        url = f"sqlite:///{tmp_path / 'home' / 'hub.db'}"
    hub = Hub(tmp_path / "home", capsys, monkeypatch)
    assert hub("init")[0] == 0
    (hub.home / "rules.toml").write_text(RULES)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with factory.begin() as session:
        add_catalog(session)
        add_listing(
            session, "amazon", "us1", "A-MUG2", sku="MUG", multiplier=2, channel_sku="MUG-2PK"
        )
        add_listing(session, "amazon", "us1", "A-SET", sku="MUG-SET")
        add_listing(session, "amazon", "us1", "A-LOOSE", sku=None)
        add_listing(session, "shopify", "shop1", "P1", sku="GIFT-BOX", variation_id="V/1")
        move(session, "MUG", 15)
        move(session, "MUG", 3, kind=MovementKind.RESERVE)
        move(session, "MUG", 40, warehouse="CN-SZ")
        move(session, "LID", 2)
    try:
        yield hub, factory
    finally:
        engine.dispose()


def _unit_lines(out: str, sku: str) -> dict[str, int]:
    lines = out.splitlines()
    start = next(
        i for i, line in enumerate(lines) if line.startswith(f"  {sku}: ") and "on hand," in line
    )
    parts: dict[str, int] = {}
    for line in lines[start + 1 :]:
        if not line.startswith("    "):
            break
        units, what = line.strip().split(None, 1)
        parts[what] = int(units)
    return parts


def test_explain_prints_every_input_and_accounts_for_every_unit(hub: Any) -> None:
    run, _ = hub
    code, out, err = run("stock", "explain", "MUG-2PK", "--account", "us1")
    assert code == 1 and "us1" in err  # the account itself is not registered yet
    code, _, err = run(
        "accounts", "add", "amazon", "us1", "-c", "refresh_token=secret", "-c", "client_id=i",
        "-c", "client_secret=s", "-s", "seller_id=A1", "-s", "marketplace_ids=ATVPDKIKX0DER",
    )  # fmt: skip
    assert code == 0, err
    code, by_sku, err = run("stock", "explain", "MUG-2PK", "--account", "us1")
    assert (code, err) == (0, ""), err
    code, out, err = run("stock", "explain", "amazon:us1:A-MUG2")
    assert (code, err) == (0, ""), err
    assert by_sku == out
    # inputs: balances per warehouse with reservations, buffer, share, the rule levels
    assert "US-EAST MUG: on hand 15 - reserved 3 = 12" in out
    assert "CN-SZ MUG: on hand 40 - reserved 0 = 40  (not counted" in out
    assert "buffer = 1 (default)" in out and "share = 0.5 (account amazon:us1)" in out
    # 12 - 1 = 11 -> 5 two-packs -> x 0.5 = 2
    assert out.rstrip().splitlines()[-2:] == [
        "last push: never pushed",
        "stock sync is off for us1: preview it with `channelhub stock push us1`",
    ]
    assert "sellable: 2" in out
    assert "warehouses allowed by [allocation.allowed] for amazon:us1: US-EAST" in out
    parts = _unit_lines(out, "MUG")
    assert parts.pop("total (adds up)") == 55 == sum(parts.values())
    assert parts == {
        "reserved for orders (or short)": 3,
        "in warehouses this channel may not sell from": 40,
        "safety buffer": 1,
        "multipack remainder": 1,
        "kept back by the channel share": 6,
        "pushed": 4,
    }


def test_explain_a_combo_names_the_limiting_component(hub: Any) -> None:
    run, _ = hub
    code, out, _ = run("stock", "explain", "amazon:us1:A-SET")
    assert code == 0
    assert "limited by LID" in out and "maximum = 1 (listing amazon:us1:A-SET)" in out
    assert "sellable: 0" in out  # min(11 // 2, 1 lid) = 1 x 0.5 = 0
    for sku in ("MUG", "LID"):
        parts = _unit_lines(out, sku)
        total = parts.pop("total (adds up)")
        assert total == sum(parts.values())
    code, out, err = run("stock", "explain", "shopify:shop1:P1/V/1")  # variation ids may hold /
    assert code == 0 and "listing shopify:shop1:P1/V/1 -> 1 x GIFT-BOX (kit)" in out
    code, out, err = run("stock", "explain", "amazon:us1:A-LOOSE")
    assert code == 1 and "not paired" in err
    code, _, err = run("stock", "explain", "amazon:us1")
    assert code == 1 and "LISTING" in err


def test_push_runs_once_and_explain_shows_the_confirmed_value(
    hub: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    run, factory = hub
    channel = FakeChannel(refuse={"A-SET": ("listing suppressed", False)})
    # the account's connector (ConnectorFactory) is stood in for; its stock sync is on
    code, _, err = run(
        "accounts", "add", "amazon", "us1", "-c", "refresh_token=secret", "-c", "client_id=i",
        "-c", "client_secret=s", "-s", "seller_id=A1", "-s", "marketplace_ids=ATVPDKIKX0DER",
    )  # fmt: skip
    assert code == 0, err
    with factory.begin() as session:
        turn_stock_sync_on(session, "us1", now=T0)
    monkeypatch.setattr(
        "channelhub.cli.stock.connector_factory_for", lambda _settings: lambda _row: channel
    )
    code, out, _ = run("stock", "push", "us1", "--full")
    assert code == 1  # one item was refused: the command says so
    assert "2 pushed, 1 confirmed, 1 rejected, 1 unpaired" in out
    assert "REJECTED amazon:us1:A-SET = 0: listing suppressed" in out
    assert channel.pushed == [("A-MUG2", 2), ("A-SET", 0)]
    code, out, _ = run("stock", "explain", "amazon:us1:A-MUG2")
    assert "last push: 2 at" in out and "confirmed by the channel" in out
    code, out, _ = run("stock", "explain", "amazon:us1:A-SET")
    assert "REJECTED: listing suppressed" in out and "channel last confirmed: nothing yet" in out
    channel.refuse.clear()
    code, out, _ = run("stock", "push", "us1")
    assert code == 0 and "0 pushed" in out


def test_a_bad_rules_file_is_one_clear_line(hub: Any, tmp_path: Path) -> None:
    run, _ = hub
    code, _, err = run("stock", "explain", "amazon:us1:A-SET", "--rules", str(tmp_path / "no.toml"))
    assert code == 1 and "does not exist" in err and "Traceback" not in err
    bad = tmp_path / "bad.toml"
    bad.write_text('[stock.default]\nshare = "2"\n')
    code, _, err = run("stock", "explain", "amazon:us1:A-SET", "--rules", str(bad))
    assert code == 1 and "stock.default.share" in err and "Traceback" not in err


def test_push_waits_for_the_schedulers_push_and_never_sends_beside_it(
    hub: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`stock push` takes the account's push_stock lease like `channelhub run`: while the
    scheduler holds it, a push that may not wait says so in one line and sends nothing."""
    from datetime import UTC, datetime, timedelta

    from channelhub.store.repos.leases import acquire_lease, read_lease

    run, factory = hub
    channel = FakeChannel()
    code, _, err = run(
        "accounts", "add", "amazon", "us1", "-c", "refresh_token=secret", "-c", "client_id=i",
        "-c", "client_secret=s", "-s", "seller_id=A1", "-s", "marketplace_ids=ATVPDKIKX0DER",
    )  # fmt: skip
    assert code == 0, err
    with factory.begin() as session:
        turn_stock_sync_on(session, "us1", now=T0)
        assert acquire_lease(
            session, "us1", "push_stock", holder="scheduler", now=datetime.now(UTC),
            ttl=timedelta(minutes=10),
        )  # fmt: skip
    monkeypatch.setattr(
        "channelhub.cli.stock.connector_factory_for", lambda _settings: lambda _row: channel
    )
    code, _, err = run("stock", "push", "us1", "--full", "--wait", "0")
    assert code == 1 and channel.pushed == []
    assert "still running elsewhere" in err and "Traceback" not in err
    with factory() as session:
        lease = read_lease(session, "us1", "push_stock")
        assert lease is not None and lease.holder == "scheduler"  # untouched
    with factory.begin() as session:  # the scheduler's push ends
        from channelhub.store.repos.leases import release_lease

        release_lease(session, "us1", "push_stock", holder="scheduler")
    code, out, _ = run("stock", "push", "us1", "--full", "--wait", "0")
    assert code == 0 and channel.pushed, out
    with factory() as session:
        assert not read_lease(session, "us1", "push_stock").held  # type: ignore[union-attr]
