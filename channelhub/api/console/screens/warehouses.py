"""Warehouses: each warehouse's units and SKUs, whether its stock is known and since when, the
last pull from its WMS; per warehouse the level of every SKU with the units in flight (sent to
the warehouse in an outbound order it has not confirmed yet). Add and remove (owner) call what
``channelhub warehouses add|remove`` calls."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from channelhub.api.console.auth import acting
from channelhub.api.console.pages import (
    PAGE_SIZE,
    HubState,
    Viewer,
    hub_state,
    offset,
    page_viewer,
    paged,
    render,
)
from channelhub.connectors.registry import ConnectorRegistry
from channelhub.core.errors import ChannelhubError
from channelhub.core.roles import Action
from channelhub.jobs.engine.kinds import JobKind
from channelhub.jobs.engine.plan import roles_from_registry
from channelhub.jobs.stock.warehouses import register_warehouse, warehouse_from_input
from channelhub.store.repos.jobs import list_runs
from channelhub.store.repos.reconcile import iter_in_flight
from channelhub.store.repos.stock import stock_balances
from channelhub.store.repos.warehouses import get_warehouse, list_warehouses, remove_warehouse
from channelhub.store.tables.jobs import JobRun

router = APIRouter()


def _last_pull(session: Session, account: str | None) -> JobRun | None:
    """The newest ``pull_stock`` run of a WMS account (None: never, or counted by hand)."""
    if not account:
        return None
    runs = list_runs(session, account=account, job_kind=JobKind.PULL_STOCK, limit=1)
    return runs[0] if runs else None


def _overview(state: HubState) -> dict[str, object]:
    with state.session_factory() as session:
        found = list_warehouses(session)
        pulls = {account: _last_pull(session, account) for account in {w.account for w in found}}
        in_flight: dict[str, int] = {}
        for count in iter_in_flight(session):
            in_flight[count.warehouse] = in_flight.get(count.warehouse, 0) + count.quantity
    return {"warehouses": found, "pulls": pulls, "in_flight": in_flight}


@router.get("/warehouses")
def warehouses_page(
    request: Request,
    viewer: Viewer = Depends(page_viewer),
    state: HubState = Depends(hub_state),
) -> Response:
    return render(request, viewer, state, "warehouses.html", _overview(state))


@router.get("/warehouses/{code}")
def warehouse_page(
    request: Request,
    code: str,
    viewer: Viewer = Depends(page_viewer),
    state: HubState = Depends(hub_state),
) -> Response:
    with state.session_factory() as session:
        try:
            row = get_warehouse(session, code)
        except ChannelhubError as exc:
            missing: dict[str, object] = {"code": code, "missing": str(exc)}
            return render(request, viewer, state, "warehouse.html", missing, status_code=404)
        balances = stock_balances(session, warehouse=code)
        flying = {c.sku: c.quantity for c in iter_in_flight(session, warehouses=[code])}
        skus = sorted(set(b.sku for b in balances.values()) | set(flying))
        start = offset(request)
        levels = [
            (sku, balances.get((code, sku)), flying.get(sku, 0))
            for sku in skus[start : start + PAGE_SIZE + 1]
        ]
        last_pull = _last_pull(session, row.account)
        warehouse = {
            "code": row.code, "name": row.name, "country": row.country, "region": row.region,
            "account": row.account, "stock_known_at": row.stock_known_at,
        }  # fmt: skip
    context: dict[str, object] = {
        "code": code,
        "missing": None,
        "warehouse": warehouse,
        "levels": paged(levels, request),
        "last_pull": last_pull,
        "total": {"skus": len(skus), "in_flight": sum(flying.values())},
    }
    return render(request, viewer, state, "warehouse.html", context)


@router.post("/warehouses")
async def add(
    request: Request,
    code: str = Form(""),
    country: str = Form(""),
    region: str = Form(""),
    name: str = Form(""),
    account: str = Form(""),
    external_id: str = Form(""),
    viewer: Viewer = Depends(acting(Action.WAREHOUSES)),
    state: HubState = Depends(hub_state),
) -> Response:
    """``channelhub warehouses add CODE --country CC [--region] [--name] [--account]``."""
    try:
        warehouse = warehouse_from_input(code, country, region, name, account, external_id)
        with state.session_factory.begin() as session:
            register_warehouse(
                session,
                warehouse,
                now=state.now(),
                roles_of=roles_from_registry(ConnectorRegistry()),
            )
        said = (
            f"added warehouse {warehouse.code}; its stock is unknown until it is set, "
            "imported or pulled"
        )
    except ChannelhubError as exc:
        said = str(exc)
    context = {**_overview(state), "said": said}
    return render(request, viewer, state, "warehouses.html", context, block="list")


@router.post("/warehouses/{code}/remove")
async def remove(
    request: Request,
    code: str,
    viewer: Viewer = Depends(acting(Action.WAREHOUSES)),
    state: HubState = Depends(hub_state),
) -> Response:
    """``channelhub warehouses remove CODE``: only a warehouse nothing refers to."""
    try:
        with state.session_factory.begin() as session:
            remove_warehouse(session, code)
        said = f"removed warehouse {code}"
    except ChannelhubError as exc:
        said = str(exc)
    context = {**_overview(state), "said": said}
    return render(request, viewer, state, "warehouses.html", context, block="list")
