"""``channelhub stock pull`` and ``reconcile --repair`` on a seller-registered ShipBob warehouse
(the ShipBob simulator in process), both databases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from channelhub.cli import reconcile as reconcile_cli
from channelhub.cli import runtime, stock_levels
from channelhub.cli.home import vault_for
from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.registry import ConnectorRegistry
from channelhub.jobs.accounts.connectors import ConnectorFactory
from channelhub.simulators.shipbob import create_app
from channelhub.store.repos.accounts import AccountInfo
from channelhub.store.repos.stock import movements, stock_balances
from tests.cli.hub import Hub


@pytest.fixture
def hub(ready_hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Hub:
    app = create_app(inventory={"MUG": 7, "TEE": 3})
    transport = httpx.ASGITransport(app=app)

    def factory(settings: Any, buckets: Any = None) -> ConnectorFactory:
        return ConnectorFactory(vault_for(settings), transport=transport, buckets=buckets)

    def build(account: AccountInfo, settings: Any) -> object:
        context = ConnectorContext(
            platform=account.platform,
            account=account.name,
            base_url=account.base_url,
            credentials={"pat": SecretStr("pat_sim")},
            settings=account.settings,
            transport=transport,
        )
        return ConnectorRegistry().create(context)

    monkeypatch.setattr(stock_levels, "connector_factory_for", factory)
    monkeypatch.setattr(runtime, "connector_factory_for", factory)
    monkeypatch.setattr(reconcile_cli, "build_connector", build)
    products = tmp_path / "products.csv"
    products.write_text("code\nMUG\nTEE\n")
    assert ready_hub("products", "import", str(products))[0] == 0
    code, _, err = ready_hub(
        "accounts", "add", "shipbob", "my-shipbob", "-c", "pat=pat_sim", "-s", "channel_id=1"
    )
    assert code == 0, err
    return ready_hub


def test_pull_sets_the_registered_warehouse_and_a_second_pull_records_nothing(hub: Hub) -> None:
    args = ("warehouses", "add", "US-EAST", "--country", "US", "--account", "my-shipbob")
    assert hub(*args)[0] == 0
    assert hub("stock", "set", "US-EAST", "MUG", "10")[0] == 0
    code, out, err = hub("stock", "pull", "my-shipbob")
    assert (code, err) == (0, ""), err
    assert out.splitlines() == [
        "pulled 2 stock level(s) from my-shipbob",
        "  US-EAST: 2 SKU(s) adjusted (+0 units)",
    ]
    with hub.session() as s:
        on_hand = {k: b.on_hand for k, b in stock_balances(s).items()}
        assert on_hand == {("US-EAST", "MUG"): 7, ("US-EAST", "TEE"): 3}
        ledger = movements(s, warehouse="US-EAST", sku="MUG")
        assert [(m.quantity, m.reason) for m in ledger] == [
            (10, "set by hand"),
            (-3, "pulled from my-shipbob"),
        ]
    code, out, _ = hub("stock", "pull", "my-shipbob")
    assert out.splitlines()[1] == "  US-EAST: unchanged"
    code, out, _ = hub("warehouses", "list")
    assert "known since" in out


def test_pull_without_a_served_warehouse_says_how_to_register_one(hub: Hub) -> None:
    code, out, err = hub("stock", "pull", "my-shipbob")
    assert code == 1 and out == ""
    assert err == (
        "error: no warehouse is served by account 'my-shipbob': register one with "
        "`channelhub warehouses add CODE --country CC --account my-shipbob`\n"
    )


def test_reconcile_repairs_a_seller_registered_warehouse(hub: Hub) -> None:
    """The levels are labelled with the account's name, the warehouse is US-EAST: the repair
    used to fail with 'not a known warehouse'."""
    assert hub("warehouses", "add", "US-EAST", "--country", "US", "--account", "my-shipbob")[0] == 0
    assert hub("stock", "set", "US-EAST", "MUG", "5")[0] == 0
    assert hub("stock", "set", "US-EAST", "TEE", "3")[0] == 0
    code, out, err = hub("reconcile", "my-shipbob", "--repair", "--tolerance", "5")
    assert (code, err) == (0, ""), err
    assert "repairs made 1, failed 0" in out and "adjust stock: made" in out
    with hub.session() as s:
        assert stock_balances(s)[("US-EAST", "MUG")].on_hand == 7


def test_a_failed_repair_shows_its_reason_in_the_table(hub: Hub) -> None:
    # two warehouses of the account, neither named by the WMS: its levels match neither
    for code_ in ("US-EAST", "US-WEST"):
        args = ("warehouses", "add", code_, "--country", "US", "--account", "my-shipbob")
        assert hub(*args, "--external-id", f"fc-{code_}")[0] == 0
    code, out, err = hub("reconcile", "my-shipbob", "--repair", "--tolerance", "10")
    assert (code, err) == (0, ""), err
    assert "failed 2" in out
    # the repair column, its wrapped lines joined
    repair = " ".join(line.split("│")[5].strip() for line in out.splitlines() if "│" in line)
    reason = "adjust stock: failed: warehouse: 'my-shipbob' is not a known warehouse"
    assert " ".join(repair.split()).count(reason) == 2, repair
    code, out, _ = hub("reconcile", "my-shipbob", "--json")
    [run] = json.loads(out)["runs"]
    assert run["discrepancies"][0]["subject"]["warehouse"] == "my-shipbob"


def test_jobs_run_pull_stock_runs_the_scheduled_job(hub: Hub) -> None:
    assert hub("warehouses", "add", "US-EAST", "--country", "US", "--account", "my-shipbob")[0] == 0
    code, out, err = hub("jobs", "run", "pull_stock", "my-shipbob")
    assert (code, err) == (0, ""), err
    row = next(
        [c for c in line.split() if c != "│"] for line in out.splitlines() if "pull_stock" in line
    )
    assert row[:3] == ["my-shipbob", "pull_stock", "ok"] and row[-4:] == ["0", "2", "0", "0"]
    with hub.session() as s:
        assert stock_balances(s)[("US-EAST", "TEE")].on_hand == 3
    code, out, _ = hub("jobs", "log")
    assert "pull_stock" in out


def test_pull_from_a_sales_channel_is_one_line(hub: Hub) -> None:
    added = hub("accounts", "add", "shopify", "my-shop", "-c", "access_token=x", "-s", "shop=acme")
    assert added[0] == 0
    code, out, err = hub("stock", "pull", "my-shop")
    assert (code, out) == (1, "")
    assert err == "error: account: 'my-shop' is a shopify account, not a warehouse (WMS) account\n"
