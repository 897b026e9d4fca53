"""Reconciliation: the runs (newest first) with their discrepancies counted by class, each
count a link to its rows; a run's discrepancies with what became of each repair; and
"repair" per account, which is ``channelhub reconcile ACCOUNT --repair``
(:func:`channelhub.jobs.reconciliation.desk.reconcile_now`): compare again and apply the safe
repairs, the rest stay proposed for a person."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from channelhub.api.console.auth import acting
from channelhub.api.console.pages import (
    PAGE_SIZE,
    HubState,
    Viewer,
    accounts_playing,
    hub_state,
    offset,
    page_viewer,
    paged,
    render,
)
from channelhub.connectors.errors import ConnectorError
from channelhub.connectors.roles import Role
from channelhub.core.errors import ChannelhubError
from channelhub.core.roles import Action
from channelhub.jobs.reconciliation.desk import reconcile_now, repair_text, report_line
from channelhub.store.repos.accounts import AccountInfo, get_account
from channelhub.store.repos.reconcile import get_run, latest_runs, list_discrepancies

router = APIRouter()


def _runs_context(state: HubState, request: Request, account: str | None) -> dict[str, object]:
    with state.session_factory() as session:
        runs = latest_runs(
            session, account=account or None, limit=PAGE_SIZE + 1, offset=offset(request)
        )
        accounts = accounts_playing(session, Role.SALES_CHANNEL, Role.WAREHOUSE)
        for run in runs:
            session.expunge(run)
    return {
        "runs": paged(runs, request, account=account),
        "accounts": accounts,
        "filters": {"account": account or ""},
    }


@router.get("/reconcile")
def reconcile_page(
    request: Request,
    account: str | None = None,
    viewer: Viewer = Depends(page_viewer),
    state: HubState = Depends(hub_state),
) -> Response:
    context = _runs_context(state, request, account)
    block = "runs" if request.headers.get("HX-Target") == "runs" else None
    return render(request, viewer, state, "reconcile.html", context, block=block)


@router.get("/reconcile/runs/{run_id}")
def run_page(
    request: Request,
    run_id: int,
    discrepancy_class: str | None = None,
    status: str | None = None,
    viewer: Viewer = Depends(page_viewer),
    state: HubState = Depends(hub_state),
) -> Response:
    with state.session_factory() as session:
        try:
            run = get_run(session, run_id)
        except ChannelhubError as exc:
            context: dict[str, object] = {"run_id": run_id, "missing": str(exc)}
            return render(request, viewer, state, "reconcile_run.html", context, status_code=404)
        session.expunge(run)
        rows = list_discrepancies(
            session,
            run_id,
            discrepancy_class=discrepancy_class or None,
            repair_status=status or None,
            limit=PAGE_SIZE + 1,
            offset=offset(request),
        )
    context = {
        "run_id": run_id,
        "missing": None,
        "run": run,
        "rows": paged(rows, request, discrepancy_class=discrepancy_class, status=status),
        "filters": {"discrepancy_class": discrepancy_class or "", "status": status or ""},
        "repair_text": repair_text,
    }
    return render(request, viewer, state, "reconcile_run.html", context)


@router.post("/reconcile/{account}/repair")
async def repair(
    request: Request,
    account: str,
    viewer: Viewer = Depends(acting(Action.RECONCILE)),
    state: HubState = Depends(hub_state),
) -> Response:
    """Compare ``account`` again and apply the safe repairs (``reconcile ACCOUNT --repair``)."""
    try:
        with state.session_factory() as session:
            row = get_account(session, account)
            info = AccountInfo.of(row)
        connector = state.connector_factory(row)
        try:
            reports = await reconcile_now(
                state.session_factory, info, connector, now=state.now(), repair=True
            )
        finally:
            close = getattr(connector, "aclose", None)
            if close is not None:
                await close()
        said = "; ".join(report_line(report) for report in reports)
    except (ChannelhubError, ConnectorError) as exc:
        said = f"{account}: {exc}"
    context = {**_runs_context(state, request, None), "said": said}
    return render(request, viewer, state, "reconcile.html", context, block="runs")
