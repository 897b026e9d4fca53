"""Analytics: Trends, Stock health and Replenishment, each a chart, its table and a CSV
download. Read-only, so every role may see them (``page_viewer`` only).

Every number comes from :mod:`channelhub.jobs.analytics.reports`, the service ``channelhub report
trends|stock|replenish`` calls; the download is that service's :func:`to_csv` of the same
table, so it equals what ``--csv`` prints for the same options. Charts are the pure SVG of
:mod:`channelhub.api.charts`, embedded inline (no script, no CDN).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from markupsafe import Markup

from channelhub.api.charts import bar_chart, line_chart
from channelhub.api.console.auth import console_config
from channelhub.api.console.config import ConsoleConfig
from channelhub.api.console.pages import HubState, Viewer, hub_state, page_viewer, render
from channelhub.core.errors import InvalidInput
from channelhub.core.replenishment import ReplenishmentConfig
from channelhub.core.trends import Bucket, Period
from channelhub.jobs.analytics.reports import (
    MEASURES,
    Report,
    StockLine,
    choice,
    replenish_view,
    report_period,
    stock_report,
    stock_why,
    to_csv,
    top_lost_sales,
    trends_view,
    window_lines,
)
from channelhub.store.repos.analytics import DIMENSIONS

router = APIRouter()
NAMES = ("since", "until")
BUCKETS = tuple(b.value for b in Bucket)
SORTS = ("sku", "warehouse")


def _csv(report: Report, name: str) -> Response:
    return Response(
        to_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def _mistake(text: str) -> Response:
    return Response(text + "\n", status_code=400, media_type="text/plain; charset=utf-8")


def _query(request: Request) -> str:
    return str(request.url.query)


@dataclass(frozen=True)
class TrendsAsk:
    """The Trends filters as given (strings, for the form) and as parsed."""

    by: str
    bucket: str
    since: str
    until: str
    group: str
    measure: str


def _trends_ask(
    by: str, bucket: str, since: str | None, until: str | None, group: str | None, measure: str
) -> TrendsAsk:
    return TrendsAsk(by, bucket, since or "", until or "", group or "", measure)


def _trends(state: HubState, ask: TrendsAsk) -> tuple[Period, Any]:
    choice(ask.by, DIMENSIONS, "by")
    choice(ask.bucket, BUCKETS, "bucket")
    choice(ask.measure, MEASURES, "measure")
    period = report_period(
        ask.since, ask.until, default_days=28, today=state.now().date(), names=NAMES
    )
    with state.session_factory() as session:
        view = trends_view(
            session, by=ask.by, bucket=Bucket(ask.bucket), period=period, group=ask.group or None
        )
    return period, view


@router.get("/analytics/trends")
def trends_page(
    request: Request,
    by: str = "channel",
    bucket: str = "week",
    since: str | None = None,
    until: str | None = None,
    group: str | None = None,
    measure: str = "units",
    viewer: Viewer = Depends(page_viewer),
    state: HubState = Depends(hub_state),
) -> Response:
    ask = _trends_ask(by, bucket, since, until, group, measure)
    context: dict[str, Any] = {
        "ask": ask,
        "dimensions": DIMENSIONS,
        "buckets": BUCKETS,
        "measures": MEASURES,
        "query": _query(request),
    }
    try:
        period, view = _trends(state, ask)
    except InvalidInput as mistake:
        context["error"] = str(mistake)
        return render(request, viewer, state, "analytics_trends.html", context, status_code=400)
    lines = view.lines[ask.measure]
    scope = f"{ask.by} {ask.group}" if ask.group else f"all {ask.by}s"
    title = (
        f"{ask.measure} per {ask.bucket}, {scope}, {period.since:%Y-%m-%d} .. "
        f"{period.until:%Y-%m-%d}, against the previous period and last year"
    )
    chart = line_chart(view.labels, lines, title=title) if view.labels and lines else ""
    context.update(
        chart=Markup(chart), series=view.series, summary=view.summary, groups=view.groups
    )
    return render(request, viewer, state, "analytics_trends.html", context)


@router.get("/analytics/trends.csv")
def trends_csv(
    by: str = "channel",
    bucket: str = "week",
    since: str | None = None,
    until: str | None = None,
    summary: bool = False,
    viewer: Viewer = Depends(page_viewer),
    state: HubState = Depends(hub_state),
) -> Response:
    """``channelhub report trends --by BY --bucket B --since S --until U --csv [--summary]``."""
    try:
        _, view = _trends(state, _trends_ask(by, bucket, since, until, None, "units"))
    except InvalidInput as mistake:
        return _mistake(str(mistake))
    return _csv(view.summary if summary else view.series, f"trends-{by}-{bucket}")


def _lines(
    state: HubState,
    config: ConsoleConfig,
    by: str,
    sku: str | None,
    since: str | None,
    until: str | None,
) -> tuple[ReplenishmentConfig, list[StockLine]]:
    choice(by, SORTS, "by")
    rules = config.rulebook.replenishment
    period = report_period(
        since, until, default_days=rules.window_days, today=state.now().date(), names=NAMES
    )
    with state.session_factory() as session:
        return window_lines(session, rules, period, sku=sku or None, since_name="since")


def _window_context(
    request: Request, by: str, sku: str | None, since: str | None, until: str | None
) -> dict[str, Any]:
    return {
        "ask": {"by": by, "sku": sku or "", "since": since or "", "until": until or ""},
        "sorts": SORTS,
        "query": _query(request),
    }


@router.get("/analytics/stock")
def stock_page(
    request: Request,
    by: str = "sku",
    sku: str | None = None,
    since: str | None = None,
    until: str | None = None,
    viewer: Viewer = Depends(page_viewer),
    state: HubState = Depends(hub_state),
    config: ConsoleConfig = Depends(console_config),
) -> Response:
    context = _window_context(request, by, sku, since, until)
    try:
        _, lines = _lines(state, config, by, sku, since, until)
    except InvalidInput as mistake:
        context["error"] = str(mistake)
        return render(request, viewer, state, "analytics_stock.html", context, status_code=400)
    lost = top_lost_sales(lines)
    chart = bar_chart(lost, title="lost sales (units): the top SKUs and warehouses") if lost else ""
    context.update(
        report=stock_report(lines, by=by), why=stock_why(lines, by=by), chart=Markup(chart)
    )
    return render(request, viewer, state, "analytics_stock.html", context)


@router.get("/analytics/stock.csv")
def stock_csv(
    by: str = "sku",
    sku: str | None = None,
    since: str | None = None,
    until: str | None = None,
    viewer: Viewer = Depends(page_viewer),
    state: HubState = Depends(hub_state),
    config: ConsoleConfig = Depends(console_config),
) -> Response:
    """``channelhub report stock --by BY [--sku SKU] --since S --until U --csv``."""
    try:
        _, lines = _lines(state, config, by, sku, since, until)
    except InvalidInput as mistake:
        return _mistake(str(mistake))
    return _csv(stock_report(lines, by=by), "stock")


@router.get("/analytics/replenish")
def replenish_page(
    request: Request,
    by: str = "sku",
    sku: str | None = None,
    since: str | None = None,
    until: str | None = None,
    viewer: Viewer = Depends(page_viewer),
    state: HubState = Depends(hub_state),
    config: ConsoleConfig = Depends(console_config),
) -> Response:
    context = _window_context(request, by, sku, since, until)
    try:
        rules, lines = _lines(state, config, by, sku, since, until)
    except InvalidInput as mistake:
        context["error"] = str(mistake)
        return render(request, viewer, state, "analytics_replenish.html", context, status_code=400)
    context["view"] = replenish_view(lines, rules, by=by)
    return render(request, viewer, state, "analytics_replenish.html", context)


@router.get("/analytics/replenish.csv")
def replenish_csv(
    by: str = "sku",
    sku: str | None = None,
    since: str | None = None,
    until: str | None = None,
    transfers: bool = False,
    viewer: Viewer = Depends(page_viewer),
    state: HubState = Depends(hub_state),
    config: ConsoleConfig = Depends(console_config),
) -> Response:
    """``channelhub report replenish --by BY [--sku SKU] --since S --until U --csv
    [--transfers]``."""
    try:
        rules, lines = _lines(state, config, by, sku, since, until)
    except InvalidInput as mistake:
        return _mistake(str(mistake))
    view = replenish_view(lines, rules, by=by, explain=False)
    if transfers:
        return _csv(view.transfers, "transfers")
    return _csv(view.orders, "replenish")
