"""``channelhub reconcile``: a table by default, JSON with ``--json``, ``--repair`` applies the
safe repairs; bad ``--since`` and unknown accounts are one clear line. Both databases."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import delete

from channelhub.cli import main
from channelhub.cli import reconcile as reconcile_cli
from channelhub.connectors.errors import Unauthorized
from channelhub.store.db import make_engine, make_session_factory
from channelhub.store.tables.stock import StockMovementRow
from tests.accounts.rows import add_fake_account
from tests.jobs.reconcile_fakes import FakeChannel, FakeWarehouse, seed_channel_hub, seed_stock


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
) -> Hub:
    for var in ("CHANNELHUB_HOME", "CHANNELHUB_SECRET_KEY", "CHANNELHUB_DATABASE_URL"):
        monkeypatch.delenv(var, raising=False)
    if not db_url.startswith("sqlite"):
        monkeypatch.setenv("CHANNELHUB_DATABASE_URL", db_url)
    runner = Hub(tmp_path / "home", capsys, monkeypatch)
    assert runner("init")[0] == 0
    add_fake_account(runner.home, "shopify", "shop-eu", {"access_token": "x"}, {"shop": "eu"})
    add_fake_account(runner.home, "refwms", "wms-de", {"token": "y"})
    add_fake_account(runner.home, "pushwms", "wms-push", {"token": "z"})
    url = db_url if not db_url.startswith("sqlite") else f"sqlite:///{runner.home / 'hub.db'}"
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            fakes = {"shop-eu": seed_channel_hub(session)}
        with make_session_factory(engine)() as session:
            # the stock seed starts from its own ledger (the channel seed received some MUGs)
            session.execute(delete(StockMovementRow))
            session.commit()
            fakes["wms-de"] = seed_stock(session)
    finally:
        engine.dispose()
    fakes["wms-push"] = FakeWarehouse([])  # a WMS that pushes snapshots: nothing to pull
    fakes["wms-push"].capabilities = frozenset()
    fakes["wms-push"].account = "wms-push"
    monkeypatch.setattr(
        reconcile_cli, "build_connector", lambda account, settings: fakes[account.name]
    )
    return runner


def test_table_lists_every_class_with_its_repair(hub: Hub) -> None:
    code, out, err = hub("reconcile", "--since", "2026-03-01")
    assert (code, err) == (0, "")
    assert "shopify account shop-eu (orders,listings), run" in out
    assert "7 discrepancies; 4 safe to repair with --repair" in out
    assert "4 discrepancies" in out
    for text in (
        "order_missing_in_hub",
        "cancelled_on_channel",
        "cancelled_in_hub",
        "shipment_not_on_channel",
        "tracking_mismatch",
        "quantity_edited_on_channel",
        "warehouse_higher",
        "ledger_higher",
        "stock_in_flight",
        "backfill order: safe, not applied",
        "intercept outbound: proposed",
        "none needed",
    ):
        assert text in out, text
    assert "skipped wms-push: refwms account 'wms-push' cannot stock_levels" in out


def test_json_and_repair(hub: Hub) -> None:
    code, out, err = hub("reconcile", "shop-eu", "--json", "--repair")
    assert (code, err) == (0, "")
    [run] = json.loads(out)["runs"]
    assert run["account"] == "shop-eu" and run["counts"]["repairs"] == {"applied": 4, "failed": 0}
    statuses = {d["class"] + ":" + d["repair"]["status"] for d in run["discrepancies"]}
    assert "order_missing_in_hub:applied" in statuses
    assert "tracking_mismatch:proposed" in statuses
    backfill = next(d for d in run["discrepancies"] if d["class"] == "order_missing_in_hub")
    assert backfill["subject"] == {"order": "B"}
    assert backfill["repair"]["parameters"] == {"external_id": "B"}
    code, out, _ = hub("reconcile", "wms-de", "--json", "--repair", "--tolerance", "10")
    [stock] = json.loads(out)["runs"]
    assert {d["repair"]["status"] for d in stock["discrepancies"]} == {"applied", "none"}


def test_bad_input_is_one_line(hub: Hub) -> None:
    code, _, err = hub("reconcile", "--since", "yesterday")
    assert code == 1 and err == (
        "error: --since: 'yesterday' is not an ISO date (2026-03-01) or datetime\n"
    )
    code, _, err = hub("reconcile", "wms-push")
    assert code == 1 and err == "error: refwms account 'wms-push' cannot stock_levels\n"
    code, _, err = hub("reconcile", "nope")
    assert code == 1 and "'nope' does not exist" in err and err.count("\n") == 1


class _DeadChannel(FakeChannel):
    """A channel whose platform refuses every order pull (a revoked token)."""

    platform, account = "shopify", "shop-dead"

    async def pull_orders(self, cursor: str | None = None, *, since: datetime | None = None):  # type: ignore[no-untyped-def,override]
        raise Unauthorized("token revoked", status=401, operation="pull_orders", platform="shopify")
        yield  # pragma: no cover - makes this an async generator


def test_one_accounts_error_does_not_stop_the_others(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over every account, an account that fails is one line; the rest still run; exit 1."""
    add_fake_account(hub.home, "shopify", "shop-dead", {"access_token": "t"}, {"shop": "dead"})
    built = reconcile_cli.build_connector
    dead = _DeadChannel([])
    monkeypatch.setattr(
        reconcile_cli,
        "build_connector",
        lambda account, settings: dead if account.name == "shop-dead" else built(account, settings),
    )
    code, out, err = hub("reconcile", "--since", "2026-03-01")
    assert code == 1
    # the accounts listed after the failing one were still reconciled
    assert "shopify account shop-eu (orders,listings), run" in out
    assert "refwms account wms-de (stock), run" in out
    assert err == "failed shop-dead: shopify pull_orders: HTTP 401: token revoked\n"
    code, out, _ = hub("reconcile", "--json")
    document = json.loads(out)
    assert code == 1 and document["failed"] == [
        "shop-dead: shopify pull_orders: HTTP 401: token revoked"
    ]
    assert {run["account"] for run in document["runs"]} == {"shop-eu", "wms-de"}
    # a named account's error is still the command's one error line
    code, _, err = hub("reconcile", "shop-dead")
    assert code == 1 and err == "error: shopify pull_orders: HTTP 401: token revoked\n"
