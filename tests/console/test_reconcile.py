"""The Reconciliation screen (SQLite and PostgreSQL): runs with their discrepancies counted by
class, each count linking to its rows, and "repair" (``reconcile ACCOUNT --repair``) for an
operator, refused to a viewer. Also the Warehouses screen's in-flight units."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from channelhub.jobs.reconciliation.desk import reconcile_now
from channelhub.store.crypto import Vault
from channelhub.store.repos.accounts import AccountInfo, add_account, get_account
from channelhub.store.repos.reconcile import latest_runs
from channelhub.store.repos.stock import stock_balances
from tests.console.conftest import Hub, csrf_of
from tests.jobs.reconcile_fakes import FakeWarehouse, seed_stock

Login = Callable[[str], TestClient]
WMS = "wms-de"


@pytest.fixture
def warehouse(hub: Hub, vault: Vault) -> FakeWarehouse:
    """A WMS account whose stock disagrees with the ledger (tolerance 3), one report-only run,
    and the console's connectors answering with that WMS."""
    with hub.session_factory.begin() as session:
        add_account(
            session, vault, platform="refwms", name=WMS, credentials={"key": SecretStr("k")},
            now=hub.clock(), settings={"reconcile_tolerance": 3},
        )  # fmt: skip
    with hub.session_factory() as session:
        fake = seed_stock(session)
        info = AccountInfo.of(get_account(session, WMS))
    asyncio.run(reconcile_now(hub.session_factory, info, fake, now=hub.clock()))
    hub.app.state.hub = replace(hub.app.state.hub, connector_factory=lambda row: fake)
    return fake


def test_runs_count_discrepancies_by_class_and_link_to_them(
    hub: Hub, login: Login, warehouse: FakeWarehouse
) -> None:
    viewer = login("viewer")
    page = viewer.get("/reconcile").text
    with hub.session_factory() as session:
        (run,) = latest_runs(session)
    link = f'href="/reconcile/runs/{run.id}?discrepancy_class=warehouse_higher">2 warehouse higher'
    assert link in page
    assert '?discrepancy_class=ledger_higher">1 ledger higher' in page
    assert "Reconcile and repair" not in page  # a viewer has no button
    rows = viewer.get(f"/reconcile/runs/{run.id}", params={"discrepancy_class": "warehouse_higher"})
    assert "DE-1/CUP" in rows.text and "DE-1/HAT" in rows.text and "DE-1/BAG" not in rows.text
    assert "adjust stock: safe, not applied" in rows.text
    assert viewer.get("/reconcile/runs/999").status_code == 404
    flying = viewer.get("/warehouses/DE-1").text
    assert "<b>3</b> units in flight" in flying


def test_an_operator_repairs_and_a_viewer_is_refused(
    hub: Hub, login: Login, warehouse: FakeWarehouse
) -> None:
    viewer = login("viewer")
    refused = viewer.post(f"/reconcile/{WMS}/repair", headers={"X-CSRF-Token": csrf_of(viewer)})
    assert refused.status_code == 403
    assert login("operator").post(f"/reconcile/{WMS}/repair").status_code == 403  # no CSRF
    with hub.session_factory() as session:
        assert len(latest_runs(session)) == 1
    operator = login("operator")
    done = operator.post(f"/reconcile/{WMS}/repair", headers={"X-CSRF-Token": csrf_of(operator)})
    assert "4 discrepancies, repairs made 2, failed 0" in done.text  # BAG -5: beyond 3
    with hub.session_factory() as session:
        assert stock_balances(session)[("DE-1", "CUP")].on_hand == 6
        newest = latest_runs(session)[0]
    assert f'href="/reconcile/runs/{newest.id}?status=applied">2 made' in done.text
    unknown = operator.post("/reconcile/nobody/repair", headers={"X-CSRF-Token": csrf_of(operator)})
    assert unknown.status_code == 200 and "nobody" in unknown.text
