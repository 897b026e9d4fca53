"""Settlement: profit per order, SKU, channel or month, and the payouts with their
discrepancies (and the orders' money discrepancies); every table has its CSV download.
Read-only (``page_viewer``): findings are computed on request and not stored as runs
(``channelhub finance orders|payouts`` stores them).

Every number comes from :mod:`channelhub.jobs.settlement`, the service ``channelhub finance``
calls; each download is :func:`to_csv` of the same table, so it equals ``--csv``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from channelhub.api.console.auth import console_config
from channelhub.api.console.config import ConsoleConfig
from channelhub.api.console.pages import HubState, Viewer, hub_state, page_viewer, render
from channelhub.core.errors import InvalidInput
from channelhub.jobs.analytics.reports import Report, report_period, to_csv
from channelhub.jobs.settlement.profit import ProfitOptions, profit_report
from channelhub.jobs.settlement.reconcile import find_order_money, find_payouts
from channelhub.jobs.settlement.views import discrepancy_report, payouts_report
from channelhub.store.repos.profit import BY
from channelhub.store.repos.settlement import Window

router = APIRouter()
NAMES = ("since", "until")
#: Orders shown on the page (the download has them all).
PAGE_ORDERS = 200


def _csv(report: Report, name: str) -> Response:
    return Response(
        to_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def _mistake(text: str) -> Response:
    return Response(text + "\n", status_code=400, media_type="text/plain; charset=utf-8")


def _options(
    state: HubState, by: str, since: str | None, until: str | None, limit: int | None
) -> ProfitOptions:
    if by not in BY:
        raise InvalidInput.field("by", by, f"is not one of {', '.join(BY)}")
    if not since and not until:
        return ProfitOptions(by=by, limit=limit)
    period = report_period(since, until, default_days=30, today=state.now().date(), names=NAMES)
    return ProfitOptions(by=by, since=period.since, until=period.until, limit=limit)


@router.get("/settlement")
def settlement_page(
    request: Request,
    by: str = "order",
    since: str | None = None,
    until: str | None = None,
    viewer: Viewer = Depends(page_viewer),
    state: HubState = Depends(hub_state),
    config: ConsoleConfig = Depends(console_config),
) -> Response:
    context: dict[str, Any] = {
        "ask": {"by": by, "since": since or "", "until": until or ""},
        "groupings": BY,
        "query": str(request.url.query),
    }
    try:
        options = _options(state, by, since, until, PAGE_ORDERS)
        with state.session_factory() as session:
            profit = profit_report(session, config.finance, options)
            window = Window(since=options.since, until=options.until)
            orders, _ = find_order_money(session, config.finance, window)
            payout_found, payouts = find_payouts(session)
    except InvalidInput as mistake:
        context["error"] = str(mistake)
        return render(request, viewer, state, "settlement.html", context, status_code=400)
    context.update(
        profit=profit,
        payouts=payouts_report(payouts),
        payout_discrepancies=discrepancy_report(payout_found, title="Payout discrepancies"),
        order_discrepancies=discrepancy_report(orders, title="Orders against the money ledger"),
    )
    return render(request, viewer, state, "settlement.html", context)


@router.get("/settlement/profit.csv")
def profit_csv(
    by: str = "order",
    since: str | None = None,
    until: str | None = None,
    viewer: Viewer = Depends(page_viewer),
    state: HubState = Depends(hub_state),
    config: ConsoleConfig = Depends(console_config),
) -> Response:
    """``channelhub finance profit --by BY [--since S --until U] --csv``."""
    try:
        options = _options(state, by, since, until, None)
        with state.session_factory() as session:
            report = profit_report(session, config.finance, options)
    except InvalidInput as mistake:
        return _mistake(str(mistake))
    return _csv(report, f"profit-{by}")


@router.get("/settlement/payouts.csv")
def payouts_csv(
    viewer: Viewer = Depends(page_viewer), state: HubState = Depends(hub_state)
) -> Response:
    """``channelhub finance payouts --csv``."""
    with state.session_factory() as session:
        _, payouts = find_payouts(session)
    return _csv(payouts_report(payouts), "payouts")


@router.get("/settlement/discrepancies.csv")
def discrepancies_csv(
    kind: str = "payouts",
    since: str | None = None,
    until: str | None = None,
    viewer: Viewer = Depends(page_viewer),
    state: HubState = Depends(hub_state),
    config: ConsoleConfig = Depends(console_config),
) -> Response:
    """The payouts' (``kind=payouts``) or the orders' (``kind=orders``) discrepancies."""
    try:
        if kind not in ("payouts", "orders"):
            raise InvalidInput.field("kind", kind, "is not one of payouts, orders")
        options = _options(state, "order", since, until, None)
        with state.session_factory() as session:
            if kind == "payouts":
                found, _ = find_payouts(session)
            else:
                window = Window(since=options.since, until=options.until)
                found, _ = find_order_money(session, config.finance, window)
    except InvalidInput as mistake:
        return _mistake(str(mistake))
    return _csv(discrepancy_report(found, title=kind), f"{kind}-discrepancies")
