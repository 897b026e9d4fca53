"""The reports service: trends, stock health and replenishment, as the CLI and console show them.

Each function runs one aggregate query (:mod:`channelhub.store.repos.analytics`) and hands the
summed rows to the pure arithmetic in :mod:`channelhub.core.trends` and
:mod:`channelhub.core.replenishment`; nothing here loops over orders. Rows come back as plain
dicts in column order (``columns`` + ``rows``) so the CLI's table and CSV, and later the
console's table, chart and CSV download, print the same thing.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from channelhub.core.errors import InvalidInput
from channelhub.core.replenishment import (
    ReplenishmentConfig,
    StockHealth,
    StockPosition,
    Suggestion,
    Transfer,
    stock_health,
    suggest,
    suggest_transfers,
)
from channelhub.core.trends import Bucket, Period, change, slope
from channelhub.store.repos.analytics import sales_series, stock_stats
from channelhub.store.repos.rollups import rebuild_rollups
from channelhub.store.tables.products import SkuRow

#: Unit-of-measure names read as a SKU's carton when ``[replenishment.cartons]`` has none.
CARTON_UNITS = ("carton", "case", "ctn", "box")


@dataclass
class Report:
    """A titled table; ``notes`` are lines printed under it (explanations, totals)."""

    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def bucket_starts(period: Period, bucket: Bucket) -> list[str]:
    """Every bucket label of ``period`` as the SQL writes it (so missing buckets count 0)."""
    labels: list[str] = []
    day = period.since.date()
    last = (period.until - timedelta(microseconds=1)).date()
    while day <= last:
        start = _bucket_start(day, bucket)
        if not labels or labels[-1] != start:
            labels.append(start)
        day += timedelta(days=1)
    return labels


def _bucket_start(day: date, bucket: Bucket) -> str:
    if bucket is Bucket.WEEK:
        day -= timedelta(days=day.weekday())
    elif bucket is Bucket.MONTH:
        day = day.replace(day=1)
    return day.isoformat()


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:+.1%}"


def _day(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC)
    except ValueError:
        raise InvalidInput.field(name, value, "is not an ISO date (2026-03-01)") from None


def report_period(
    since: str | None,
    until: str | None,
    *,
    default_days: int,
    today: date,
    names: tuple[str, str] = ("--since", "--until"),
) -> Period:
    """The period a report covers from its ``since``/``until`` options (ISO dates, UTC):
    ``until`` defaults to today, ``since`` to ``default_days`` before it. ``names`` are the
    option names a mistake is reported under (the CLI's flags, the console's fields)."""
    end = _day(until, names[1]) or datetime.combine(today, time(), tzinfo=UTC)
    start = _day(since, names[0]) or end - timedelta(days=default_days)
    if start >= end:
        raise InvalidInput.field(names[0], since, f"must be before {names[1]} ({end:%Y-%m-%d})")
    return Period(start, end)


def choice(value: str, allowed: tuple[str, ...], name: str) -> str:
    """``value`` if it is one of ``allowed``, else the one-line mistake."""
    if value not in allowed:
        raise InvalidInput.field(name, value, f"is not one of {', '.join(allowed)}")
    return value


def window_lines(
    session: Session,
    config: ReplenishmentConfig,
    period: Period,
    *,
    sku: str | None = None,
    since_name: str = "--since",
) -> tuple[ReplenishmentConfig, list[StockLine]]:
    """Stock lines as of ``period.until`` with the velocity window set to the period's days
    (at least 7), and the config that used."""
    days = int(period.days)
    if days < 7:
        raise InvalidInput.field(
            since_name, f"{period.since:%Y-%m-%d}", "gives under 7 days: too short a window"
        )
    config = config.model_copy(update={"window_days": days})
    return config, stock_lines(session, as_of=period.until, config=config, sku=sku)


#: What the trends chart can plot.
MEASURES = ("units", "orders", "revenue")
_PERIOD_NAMES = {"current": "this period", "previous": "previous period", "last_year": "last year"}


@dataclass
class TrendsView:
    """The trends tables plus the chart's series: one line per comparison period (and per
    currency for revenue), aligned by bucket position on the current period's labels."""

    series: Report
    summary: Report
    labels: list[str]
    lines: dict[str, dict[str, list[float]]]  # measure -> line name -> value per label
    groups: list[str]


def trends(session: Session, *, by: str, bucket: Bucket, period: Period) -> tuple[Report, Report]:
    """(series per bucket, summary per group with previous period, last year and trend)."""
    periods = {"current": period, "previous": period.previous(), "last_year": period.last_year()}
    rows = sales_series(session, by=by, bucket=bucket.value, periods=periods)
    return _trend_reports(rows, by, bucket, period)


def trends_view(
    session: Session, *, by: str, bucket: Bucket, period: Period, group: str | None = None
) -> TrendsView:
    """:func:`trends` with the chart's lines. Without ``group`` a line sums the units sold
    as themselves over all groups (components are not counted twice); with ``group`` it is
    that group's units including components, as its summary row counts them."""
    periods = {"current": period, "previous": period.previous(), "last_year": period.last_year()}
    rows = sales_series(session, by=by, bucket=bucket.value, periods=periods)
    series, summary = _trend_reports(rows, by, bucket, period)
    labels = bucket_starts(period, bucket)
    lines: dict[str, dict[str, list[float]]] = {m: {} for m in MEASURES}
    for name in periods:
        for measure in ("units", "orders"):
            lines[measure][_PERIOD_NAMES[name]] = [0.0] * len(labels)
    # the summary query buckets only the current period; the chart's comparison lines need
    # the earlier periods per bucket too: one more aggregate query each
    for name, p in periods.items():
        per_bucket = (
            rows
            if name == "current"
            else sales_series(session, by=by, bucket=bucket.value, periods={"current": p})
        )
        at = {b: i for i, b in enumerate(bucket_starts(p, bucket))}
        for r in per_bucket:
            i = at.get(r.bucket)
            if r.period != "current" or i is None or i >= len(labels):
                continue
            if group is not None and r.group != group:
                continue
            line = _PERIOD_NAMES[name]
            lines["units"][line][i] += r.units + (r.component_units if group is not None else 0)
            lines["orders"][line][i] += r.orders
            if r.revenue is not None and r.currency:
                money = lines["revenue"].setdefault(f"{line} {r.currency}", [0.0] * len(labels))
                money[i] += float(r.revenue)
    groups = sorted({r.group for r in rows})
    return TrendsView(series, summary, labels, lines, groups)


def _trend_reports(
    rows: list[Any], by: str, bucket: Bucket, period: Period
) -> tuple[Report, Report]:
    series = Report(
        f"sales per {bucket.value} by {by}, {period.since:%Y-%m-%d} .. {period.until:%Y-%m-%d}",
        [bucket.value, by, "units", "component units", "orders", "revenue", "currency"],
    )
    current = sorted((r for r in rows if r.period == "current"), key=lambda r: (r.bucket, r.group))
    for r in current:
        series.rows.append(
            [r.bucket, r.group, r.units, r.component_units, r.orders, r.revenue, r.currency or ""]
        )
    summary = Report(
        f"{by}: this period against the previous one and the same dates last year",
        [by, "units", "previous", "change", "last year", "change", "trend (units/day, per day)",
         "orders", "revenue"],
    )  # fmt: skip
    labels = bucket_starts(period, bucket)
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    orders: dict[str, int] = defaultdict(int)
    revenue: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    per_bucket: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        units = r.units + r.component_units
        totals[r.group][r.period] += units
        if r.period == "current":
            orders[r.group] += r.orders
            per_bucket[r.group][r.bucket] += units
            if r.revenue is not None and r.currency:
                revenue[r.group][r.currency] += r.revenue
    # a bucket of w days sells w x the daily rate, and the next one comes w days later: a slope
    # of s units per bucket per bucket is a daily rate changing by s / w^2 units a day, per day
    width = period.days / max(len(labels), 1)
    for group in sorted(totals):
        t = totals[group]
        trend = slope([per_bucket[group].get(label, 0) for label in labels]) / width**2
        money = ", ".join(f"{v} {c}" for c, v in sorted(revenue[group].items()))
        summary.rows.append(
            [group, t["current"], t["previous"], _pct(change(t["current"], t["previous"])),
             t["last_year"], _pct(change(t["current"], t["last_year"])),
             f"{trend:+.3f}", orders[group], money],
        )  # fmt: skip
    summary.notes.append(
        "units include the components of combos and kits sold (by sku); the trend is the "
        f"least-squares slope of units per {bucket.value}, as the change of units a day, per day"
    )
    return series, summary


@dataclass(frozen=True)
class StockLine:
    """One (SKU, warehouse) with its health and, for replenishment, its suggestion."""

    health: StockHealth
    suggestion: Suggestion


def _carton_sizes(session: Session, skus: set[str], config: ReplenishmentConfig) -> dict[str, int]:
    sizes: dict[str, int] = {}
    # a SKU without units of measure (most) has no carton: its '[]' is not fetched and parsed
    query = select(SkuRow.code, SkuRow.units).where(
        SkuRow.code.in_(sorted(skus)), cast(SkuRow.units, String) != "[]"
    )
    for code, units in session.execute(query):
        for unit in units or []:
            name = str(unit.get("name", "")).lower()
            base = unit.get("base_units")
            if name in CARTON_UNITS and isinstance(base, int) and base > 0:
                sizes[code] = base
    sizes.update({sku: size for sku, size in config.cartons.items() if sku in skus})
    return sizes


def stock_lines(
    session: Session, *, as_of: datetime, config: ReplenishmentConfig, sku: str | None = None
) -> list[StockLine]:
    """Health and suggestion of every (SKU, warehouse) the ledger knows (one query)."""
    stats = stock_stats(session, as_of=as_of, window_days=config.window_days, sku=sku)
    cartons = _carton_sizes(session, {s.position.sku for s in stats}, config)
    leads = {c: config.lead_time(c) for c in {s.position.country for s in stats}}
    return [
        StockLine(
            stock_health(s.position, s.demand, config),
            suggest(
                s.position,
                s.demand,
                config,
                carton_size=cartons.get(s.position.sku, 1),
                lead=leads[s.position.country],
            ),
        )
        for s in stats
    ]


def _n(value: float | None) -> str:
    return "" if value is None else f"{value:,.1f}"


def _order(p: StockPosition, by: str) -> tuple[str, str]:
    return (p.warehouse, p.sku) if by == "warehouse" else (p.sku, p.warehouse)


def stock_report(lines: list[StockLine], *, by: str = "sku") -> Report:
    """Stock health per (SKU, warehouse): the worst first within the sort."""
    report = Report(
        "stock health per SKU and warehouse",
        ["sku", "warehouse", "on hand", "reserved", "in flight", "velocity/day", "days of cover",
         "turnover/yr", "oldest unit (days)", "days at zero", "lost sales", "status"],
    )  # fmt: skip
    for line in _sorted(lines, by):
        h, p = line.health, line.health.position
        report.rows.append(
            [p.sku, p.warehouse, p.on_hand, p.reserved, p.in_flight, _n(h.velocity),
             _n(h.days_of_cover), _n(h.turnover),
             "" if p.oldest_unit_age is None else p.oldest_unit_age, p.days_at_zero,
             _n(h.lost_sales), h.status],
        )  # fmt: skip
    return report


def stock_why(lines: list[StockLine], *, by: str = "sku") -> list[tuple[str, ...]]:
    """Each :func:`stock_report` row's explanation, in the report's row order."""
    return [line.health.lines for line in _sorted(lines, by)]


def _sorted(lines: list[StockLine], by: str) -> list[StockLine]:
    return sorted(lines, key=lambda li: _order(li.health.position, by))


@dataclass
class ReplenishView:
    """The two replenishment tables with each row's explanation (``orders_why[i]`` explains
    ``orders.rows[i]``), for pages that show a row's lines under it."""

    orders: Report
    transfers: Report
    orders_why: list[tuple[str, ...]]
    transfers_why: list[tuple[str, ...]]


def replenish_view(
    lines: list[StockLine], config: ReplenishmentConfig, *, by: str = "sku", explain: bool = True
) -> ReplenishView:
    """What to order and what to move, each row with the lines that explain it (without
    ``explain`` the ``*_why`` lists stay empty: each row's lines cost more than its numbers)."""
    report = Report(
        "replenishment: order up to target, whole cartons",
        ["sku", "warehouse", "lead days", "velocity/day", "safety stock", "reorder point",
         "target", "position", "order now", "suggested", "cartons"],
    )  # fmt: skip
    view = ReplenishView(report, Report("transfers between warehouses",
                                        ["sku", "from", "to", "quantity"]), [], [])  # fmt: skip
    for line in _sorted(lines, by):
        s, p = line.suggestion, line.health.position
        report.rows.append(
            [s.sku, s.warehouse, s.lead_days, _n(line.health.velocity), _n(s.safety_stock),
             _n(s.reorder_point), _n(s.target), p.position,
             "yes" if s.below_reorder_point else "", s.quantity, s.cartons],
        )  # fmt: skip
        if explain:
            view.orders_why.append(s.lines)
    for t in transfer_list(lines, config):
        view.transfers.rows.append([t.sku, t.source, t.destination, t.quantity])
        if explain:
            view.transfers_why.append(t.lines)
    return view


def replenish_report(
    lines: list[StockLine], config: ReplenishmentConfig, *, by: str = "sku", explain: bool = False
) -> tuple[Report, Report]:
    """(orders to place per SKU and warehouse, transfers between warehouses)."""
    view = replenish_view(lines, config, by=by, explain=explain)
    if explain:
        for why in view.orders_why:
            view.orders.notes.extend([*why, ""])
        for why in view.transfers_why:
            view.transfers.notes.extend([*why, ""])
    return view.orders, view.transfers


def top_lost_sales(lines: list[StockLine], *, count: int = 10) -> dict[str, float]:
    """The ``count`` (SKU, warehouse) pairs that lost most sales, as ``SKU @ warehouse``."""
    lost = [li for li in lines if li.health.lost_sales]
    lost.sort(key=lambda li: (-(li.health.lost_sales or 0.0), _order(li.health.position, "sku")))
    return {
        f"{li.health.position.sku} @ {li.health.position.warehouse}": li.health.lost_sales or 0.0
        for li in lost[:count]
    }


def transfer_list(lines: list[StockLine], config: ReplenishmentConfig) -> list[Transfer]:
    """Transfers from warehouses with excess to those below their reorder point."""
    suggestions = {(li.suggestion.sku, li.suggestion.warehouse): li.suggestion for li in lines}
    positions: dict[tuple[str, str], StockPosition] = {
        (li.health.position.sku, li.health.position.warehouse): li.health.position for li in lines
    }
    return suggest_transfers(suggestions, positions, config)


def rebuild(session: Session) -> dict[str, int]:
    """Recompute the reports' daily rollups from the orders and the ledger (after a bulk load
    or a restore that bypassed the hub's writes); returns the rows written per table. The
    caller commits."""
    return rebuild_rollups(session)


def to_csv(report: Report) -> str:
    """The report's table as CSV text (header first), for ``--csv`` and downloads."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(report.columns)
    writer.writerows(report.rows)
    return out.getvalue()
