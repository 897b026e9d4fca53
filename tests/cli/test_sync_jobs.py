"""``channelhub sync`` and ``channelhub jobs ...`` end to end (connector: a scripted fake)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest

from channelhub.cli import main
from channelhub.connectors.errors import Unauthorized
from tests.accounts.rows import add_fake_account
from tests.jobs.fakes import ACCOUNT, PLATFORM, FakeChannel, Rec


class Hub:
    """Runs ``channelhub --home HOME ...`` through main(), as the console script does."""

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
def channel() -> FakeChannel:
    return FakeChannel(
        pages=[[Rec("A", 1), Rec("B", 1)], [Rec("X", 1, bad=True), Rec("A", 2)], [Rec("B", 1)]]
    )


@pytest.fixture
def hub(
    db_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    channel: FakeChannel,
) -> Hub:
    for var in ("CHANNELHUB_HOME", "CHANNELHUB_SECRET_KEY", "CHANNELHUB_DATABASE_URL"):
        monkeypatch.delenv(var, raising=False)
    if not db_url.startswith("sqlite"):
        monkeypatch.setenv("CHANNELHUB_DATABASE_URL", db_url)
    monkeypatch.setenv("COLUMNS", "200")
    import channelhub.cli.runtime as runtime

    monkeypatch.setattr(
        runtime, "connector_factory_for", lambda settings, buckets=None: lambda row: channel
    )
    hub = Hub(tmp_path / "home", capsys, monkeypatch)
    assert hub("init")[0] == 0
    add_fake_account(hub.home, PLATFORM, ACCOUNT, {"token": "t0k3n-secret"})
    (hub.home / "config.toml").write_text("[jobs]\nmax_pages_per_run = 2\n")
    return hub


def row_of(out: str, first: str) -> list[str]:
    rows = ([c for c in line.split() if c != "│"] for line in out.splitlines())
    return next(row for row in rows if row[:1] == [first])


def test_sync_orders_imports_everything_with_a_summary(hub: Hub, channel: FakeChannel) -> None:
    code, out, err = hub("sync", "orders", ACCOUNT)
    assert code == 0, err
    # 3 pages over two bounded runs; A new, B new, A updated, B unchanged, X refused
    assert row_of(out, ACCOUNT) == [ACCOUNT, "pull_orders", "ok", "3", "2", "1", "1", "1"]
    assert "1 record(s) refused" in out
    assert "t0k3n" not in out + err
    code, out, _ = hub("sync", "orders", ACCOUNT)  # nothing new since the watermark
    assert row_of(out, ACCOUNT)[3:] == ["1", "0", "0", "0", "0"]

    code, out, _ = hub("jobs", "log")
    assert code == 0 and out.count("pull_orders") == 3
    code, out, _ = hub("jobs", "deadletters")
    assert "order" in out and "X" in out and "twelve" in out


def test_sync_failure_is_one_line_and_exit_1(hub: Hub, channel: FakeChannel) -> None:
    channel.fail_with = Unauthorized("token revoked", status=401)
    code, _, err = hub("sync", "listings", ACCOUNT)
    assert code == 1 and err.strip().splitlines() == [err.strip()]
    assert "401" in err
    code, out, _ = hub("jobs", "deadletters")
    assert "run" in out and "pull_listings" in out


def test_jobs_run_and_replay(
    hub: Hub, channel: FakeChannel, monkeypatch: pytest.MonkeyPatch
) -> None:
    channel.fail_with = Unauthorized("token revoked", status=401)
    code, _, err = hub("jobs", "run", "pull_orders", ACCOUNT)
    assert code == 1 and "401" in err
    code, out, _ = hub("jobs", "deadletters")
    letter_id = row_of(out, "1")[0]
    channel.fail_with = None
    code, out, err = hub("jobs", "replay", letter_id)
    assert code == 0, err
    assert f"dead letter {letter_id}: ran pull_orders" in out
    code, out, _ = hub("jobs", "deadletters")  # the run's letter is resolved; the rerun
    assert " run " not in out and "twelve" in out  # met the refused record X on the way
    code, out, _ = hub("jobs", "deadletters", "--all")
    assert "resolved" in out
    code, _, err = hub("jobs", "replay", letter_id)
    assert code == 1 and "is not open" in err


def test_jobs_run_refuses_an_unknown_kind(hub: Hub) -> None:
    code, _, err = hub("jobs", "run", "pull_everything", ACCOUNT)
    assert code == 1 and "pull_everything" in err and "pull_orders" in err


def test_jobs_list_shows_what_run_would_schedule(hub: Hub, monkeypatch: Any) -> None:
    code, out, _ = hub("jobs", "list")
    assert code == 0
    assert "no jobs" in out  # the fake platform is no installed connector: nothing scheduled
    hub("accounts", "add", "shopify", "shopA", "-c", "access_token=x", "-s", "shop=a")
    (hub.home / "config.toml").write_text("[jobs.every]\npull_listings = 0\n")
    code, out, _ = hub("jobs", "list")
    assert code == 0
    assert row_of(out, "shopA")[:4] == ["shopA", "pull_orders", "300s", "never"]
    assert "pull_listings" not in out  # turned off in the config


def test_ctrl_c_during_sync_prints_what_was_committed_and_exits_130(
    hub: Hub, channel: FakeChannel
) -> None:
    """A real SIGINT while a slow platform holds page 2: no traceback, the committed pages
    are reported, and the next sync resumes at the abandoned page."""

    async def before_page(index: int) -> None:
        if index == 1:
            os.kill(os.getpid(), signal.SIGINT)
            await asyncio.Event().wait()  # the platform never answers this page

    channel.before_page = before_page
    code, _, err = hub("sync", "orders", ACCOUNT)
    assert code == 130
    assert err == (
        f"interrupted: pull_orders of {ACCOUNT} committed 1 pages, 2 new, 0 updated, "
        "0 unchanged, 0 failed; the page in flight was abandoned: `channelhub sync orders "
        f"{ACCOUNT}` resumes from there\n"
    )
    code, out, _ = hub("jobs", "log")
    assert "interrupted" in out
    channel.before_page = None
    code, out, err = hub("sync", "orders", ACCOUNT)
    assert code == 0, err
    assert [call[0] for call in channel.calls] == [None, "1"]  # resumed at the abandoned page
    assert row_of(out, ACCOUNT)[2:] == ["ok", "2", "0", "1", "1", "1"]
