"""Report aggregates, summed in the database: one query per report, GROUP BY in SQL.

- :func:`sales_series`: units, orders and revenue per bucket and group over the current,
  previous and last-year periods at once (the period is a column of the same query).
  ``by="sku"`` resolves each order line through the pairings in force (account over channel
  over global, listing-level over SKU-level, as :meth:`PairingBook.resolve` does) on the
  distinct listing keys first, then counts a combo or kit as itself *and* in its components
  (``component_units``). ``by="warehouse"`` counts what the ledger shipped (``consume``).
- :func:`stock_stats`: per (SKU, warehouse) the balances, in-flight, and over the window the
  daily demand sums :class:`~channelhub.core.replenishment.DemandStats` needs, days at zero,
  the time-weighted average on hand and the FIFO age of the oldest unit.

Approximation: orders are resolved through the pairings in force now, not the version they
were planned with (a re-bind re-attributes history).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session

from channelhub.core.replenishment import DemandStats, StockPosition
from channelhub.core.stock import MovementKind as K
from channelhub.core.trends import Period
from channelhub.store.repos.rollups import day_of
from channelhub.store.sqldates import MICROS, Dialect
from channelhub.store.tables.orderflow import PairingRow
from channelhub.store.tables.products import SkuComponentRow, SkuRow
from channelhub.store.tables.rollups import SalesDailyRow, StockDailyRow, StockPositionRow
from channelhub.store.tables.stock import StockInTransitRow, StockMovementRow, WarehouseRow

DIMENSIONS = ("channel", "account", "sku", "warehouse", "country")
UNPAIRED = "(unpaired)"
_EPOCH = date(1970, 1, 1)


def dialect_of(session: Session) -> Dialect:
    """The session's dialect helper; on PostgreSQL, also no nested loops for this transaction.

    The report queries join aggregates whose row counts the planner cannot estimate (it
    guessed 55 rows for 28,500 (SKU, warehouse) keys); a nested loop over such a guess is
    quadratic (97 s instead of 1 s). Hash and merge joins stay right whatever the counts.
    ``SET LOCAL`` ends with the transaction.
    """
    dialect = Dialect(session.get_bind().dialect.name)
    if dialect.pg:
        session.execute(text("SET LOCAL enable_nestloop = off"))
    return dialect


@dataclass(frozen=True)
class SeriesRow:
    """One (period, bucket, group, currency) cell of a trend report."""

    period: str  # current | previous | last_year
    bucket: str
    group: str
    currency: str | None
    units: int
    component_units: int
    orders: int
    revenue: Decimal | None


def _period_column(column: Any, periods: dict[str, Period]) -> Any:
    return case(
        *((and_(column >= p.since, column < p.until), literal(name)) for name, p in periods.items())
    )


def _in_any(column: Any, periods: dict[str, Period]) -> Any:
    return or_(*(and_(column >= p.since, column < p.until) for p in periods.values()))


def _resolved_listings(keys: Any) -> Any:
    """The binding in force for each distinct listing key (one row per key; rank 0 best)."""
    p = PairingRow
    scope_rank = case((p.scope == "account", 0), (p.scope == "channel", 1), else_=2)
    applies = and_(
        p.active.is_(True),
        or_(p.channel == "", p.channel == keys.c.channel),
        or_(p.account == "", p.account == keys.c.account),
    )
    listing_level = select(
        *keys.c,
        p.sku,
        p.multiplier,
        (scope_rank * 4 + case((p.variation_id == "", 1), else_=0)).label("rank"),
        p.id,
    ).join(
        p,
        and_(
            applies,
            p.kind == "listing",
            p.value == keys.c.listing_id,
            or_(p.variation_id == "", p.variation_id == keys.c.variation_id),
        ),
    )
    sku_level = select(*keys.c, p.sku, p.multiplier, (scope_rank * 4 + 2).label("rank"), p.id).join(
        p,
        and_(applies, p.kind == "sku", p.value == keys.c.channel_sku, keys.c.channel_sku != ""),
    )
    candidates = union_all(listing_level, sku_level).subquery("candidates")
    ranked = select(
        *(candidates.c[k] for k in ("channel", "account", "listing_id", "variation_id")),
        candidates.c.channel_sku,
        candidates.c.sku,
        candidates.c.multiplier,
        func.row_number()
        .over(
            partition_by=[candidates.c[c.key] for c in keys.c],
            order_by=[candidates.c.rank, candidates.c.id.desc()],
        )
        .label("rn"),
    ).subquery("ranked")
    return select(ranked).where(ranked.c.rn == 1).subquery("resolved")


def _day_number(when: datetime, what: str) -> int:
    """``when`` as a day number; the rollups hold whole UTC days, so it must be a midnight."""
    utc = when.astimezone(UTC)
    if utc.time() != time():
        raise ValueError(f"{what} must be a UTC midnight (reports count whole days): {when}")
    return day_of(utc)


def _day_periods(periods: dict[str, Period]) -> dict[str, Period]:
    return {name: _DayPeriod(_day_number(p.since, "since"), _day_number(p.until, "until"))
            for name, p in periods.items()}  # type: ignore[misc]  # fmt: skip


@dataclass(frozen=True)
class _DayPeriod:
    since: int
    until: int


def sales_series(
    session: Session, *, by: str, bucket: str, periods: dict[str, Period]
) -> list[SeriesRow]:
    """Units, orders and revenue per (period, bucket, group, currency): one query over
    ``sales_daily`` (the daily rollup), never over the order lines themselves."""
    if by not in DIMENSIONS:
        raise ValueError(f"unknown dimension {by!r}")
    d = dialect_of(session)
    if by == "warehouse":
        return _warehouse_series(session, d, bucket, periods)
    r = SalesDailyRow
    days = _day_periods(periods)
    period = _period_column(r.day, days)
    bucket_of = case((period == "current", d.day_bucket(r.day, bucket)), else_=literal(-1))
    where = and_(_in_any(r.day, days), r.orders > 0)
    if by != "sku":
        group = {
            "channel": r.channel,
            "account": r.channel + literal(":") + r.account,
            "country": r.country,
        }[by]
        query = (
            select(
                period,
                bucket_of,
                group,
                r.currency,
                func.sum(r.units),
                literal(0),
                func.sum(r.order_heads),
                func.sum(r.revenue_micros),
            )
            .where(where)
            .group_by(period, bucket_of, group, r.currency)
        )
        return _rows(session, query)
    key_cols = ("channel", "account", "listing_id", "variation_id", "channel_sku")
    keyed = [r.__table__.c[k] for k in key_cols]
    # a week's or month's days of one listing are summed before the pairings are looked up
    base = (
        select(
            period.label("period"),
            bucket_of.label("bucket"),
            r.currency,
            *keyed,
            func.sum(r.units).label("units"),
            func.sum(r.revenue_micros).label("revenue"),
            func.sum(r.orders).label("orders"),
        )
        .where(where)
        .group_by(period, bucket_of, r.currency, *keyed)
        .cte("cells")
    )
    keys = select(*(base.c[k] for k in key_cols)).distinct().cte("keys")
    resolved = _resolved_listings(keys)
    sold = (
        select(
            base.c.period,
            base.c.bucket,
            base.c.currency,
            func.coalesce(resolved.c.sku, UNPAIRED).label("sku"),
            (base.c.units * func.coalesce(resolved.c.multiplier, 1)).label("units"),
            base.c.revenue,
            base.c.orders,
        )
        .select_from(base)
        .outerjoin(resolved, and_(*(base.c[k] == resolved.c[k] for k in key_cols)))
        .cte("sold")
    )
    components = (
        select(
            sold.c.period,
            sold.c.bucket,
            sold.c.currency,
            SkuComponentRow.component_code.label("sku"),
            literal(0).label("units"),
            (sold.c.units * SkuComponentRow.qty).label("component_units"),
            literal(0).label("revenue"),
            sold.c.orders,
        )
        .join(SkuRow, SkuRow.code == sold.c.sku)
        .join(SkuComponentRow, SkuComponentRow.sku_id == SkuRow.id)
    )
    direct = select(
        sold.c.period,
        sold.c.bucket,
        sold.c.currency,
        sold.c.sku,
        sold.c.units,
        literal(0).label("component_units"),
        sold.c.revenue,
        sold.c.orders,
    )
    both = union_all(direct, components).subquery("both")
    query = select(
        both.c.period,
        both.c.bucket,
        both.c.sku,
        both.c.currency,
        func.sum(both.c.units),
        func.sum(both.c.component_units),
        func.sum(both.c.orders),
        func.sum(both.c.revenue),
    ).group_by(both.c.period, both.c.bucket, both.c.sku, both.c.currency)
    return _rows(session, query)


def _warehouse_series(
    session: Session, d: Dialect, bucket: str, periods: dict[str, Period]
) -> list[SeriesRow]:
    """Units the ledger shipped per warehouse (``consume``); orders = distinct references."""
    m = StockMovementRow
    period = _period_column(m.at, periods)
    bucket_of = case((period == "current", d.bucket(m.at, bucket)), else_=literal(""))
    moves = (
        select(
            period.label("period"), bucket_of.label("bucket"), m.warehouse, m.quantity, m.reference
        )
        .where(m.kind == K.CONSUME.value, _in_any(m.at, periods))
        .subquery("moves")
    )
    query = select(
        moves.c.period,
        moves.c.bucket,
        moves.c.warehouse,
        cast(literal(None), String),
        func.sum(moves.c.quantity),
        literal(0),
        func.count(moves.c.reference.distinct()),
        cast(literal(None), Integer),
    ).group_by(moves.c.period, moves.c.bucket, moves.c.warehouse)
    return _rows(session, query, money=False)


def _label(bucket: Any) -> str:
    """A bucket as the report prints it: a day number's ISO date ('' outside the current
    period); the ledger's warehouse series already has its label."""
    if isinstance(bucket, int):
        return "" if bucket < 0 else (_EPOCH + timedelta(days=bucket)).isoformat()
    return bucket or ""


def _rows(session: Session, query: Any, *, money: bool = True) -> list[SeriesRow]:
    return [
        SeriesRow(
            period,
            _label(bucket),
            str(group or ""),
            currency,
            int(units or 0),
            int(comp or 0),
            int(orders or 0),
            Decimal(int(revenue or 0)) / MICROS if money else None,
        )
        for period, bucket, group, currency, units, comp, orders, revenue in session.execute(query)
    ]


@dataclass(frozen=True)
class StockStats:
    """One (SKU, warehouse): its position and its demand over the window."""

    position: StockPosition
    demand: DemandStats


def stock_stats(
    session: Session, *, as_of: datetime, window_days: int, sku: str | None = None
) -> list[StockStats]:
    """Per (SKU, warehouse) with a ledger: balances, in flight and the window's demand sums.

    The window is the ``window_days`` whole days before ``as_of``'s day (E): days E-N .. E-1,
    a day of age a = E-1-day weighing N - a. A day is *at zero* when nothing shipped on it and
    its closing on-hand was <= 0; between two days with movements the balance stands still.
    """
    d, n = dialect_of(session), window_days
    m, s, pos = StockMovementRow, StockDailyRow, StockPositionRow
    end = _day_number(as_of, "as_of")  # as_of's day, E
    first = end - n  # first day of the window
    scope = [m.at < as_of] + ([m.sku == sku] if sku is not None else [])
    key_scope = [] if sku is None else [s.sku == sku]
    # From the rollups: the opening row of each key (the day before the window) is its
    # all-time position less every day from the window's first on; then one row per day in
    # the window. A key none of whose movements came before the window has no opening row.
    since_first = (
        select(
            s.warehouse,
            s.sku,
            *((-s.__table__.c[c]).label(c) for c in ("on_hand", "reserved", "received", "moves")),
        )
        .where(s.day >= first, *key_scope)
        .subquery("since_first")
    )
    standing = select(pos.warehouse, pos.sku, pos.on_hand, pos.reserved, pos.received, pos.moves)
    if sku is not None:
        standing = standing.where(pos.sku == sku)
    parts = union_all(standing, select(since_first)).subquery("parts")
    opening = (
        select(
            parts.c.warehouse,
            parts.c.sku,
            literal(first - 1).label("day"),
            func.sum(parts.c.on_hand).label("delta"),
            func.sum(parts.c.reserved).label("rdelta"),
            literal(0).label("shipped"),
            func.sum(parts.c.received).label("received"),
        )
        .group_by(parts.c.warehouse, parts.c.sku)
        .having(func.sum(parts.c.moves) > 0)
    )
    daily = select(
        s.warehouse,
        s.sku,
        s.day,
        s.on_hand.label("delta"),
        s.reserved.label("rdelta"),
        s.shipped,
        s.received,
    ).where(s.day >= first, s.day < end, *key_scope)
    day = d.day_number(m.at)
    days = union_all(opening, daily).subquery("days")
    running = select(
        days.c.warehouse,
        days.c.sku,
        days.c.day,
        days.c.shipped,
        days.c.delta,
        days.c.rdelta,
        days.c.received,
        func.sum(days.c.delta)
        .over(partition_by=[days.c.warehouse, days.c.sku], order_by=days.c.day)
        .label("balance"),
        func.coalesce(
            func.lead(days.c.day).over(
                partition_by=[days.c.warehouse, days.c.sku], order_by=days.c.day
            ),
            end,
        ).label("next_day"),
    ).subquery("running")
    r = running.c
    in_window = and_(r.day >= first, r.day < end)
    # The quiet days after an event day, clipped to the window: [gap_from, gap_to].
    gap_from = d.greatest(r.day + 1, first)
    gap_to = d.least(r.next_day - 1, end - 1)
    gap = d.greatest(gap_to - gap_from + 1, 0)
    zero_event = and_(in_window, r.balance <= 0, r.shipped == 0)
    weight_offset = first - 1  # weight(day) = day - (first - 1)
    # sum of weights over [gap_from, gap_to] = gap * (gap_from + gap_to) / 2 - gap * offset
    gap_weight = gap * (gap_from + gap_to) / 2 - gap * weight_offset
    selling = and_(in_window, r.shipped > 0)
    per_key = (
        select(
            r.warehouse,
            r.sku,
            func.sum(case((zero_event, 1), else_=0) + case((r.balance <= 0, gap), else_=0)).label(
                "zero_days"
            ),
            func.sum(
                case((zero_event, r.day - weight_offset), else_=0)
                + case((r.balance <= 0, gap_weight), else_=0)
            ).label("zero_weight"),
            func.sum(case((selling, r.shipped), else_=0)).label("units"),
            func.sum(case((selling, r.shipped * (r.day - weight_offset)), else_=0)).label(
                "weighted"
            ),
            func.sum(case((selling, r.shipped * r.shipped), else_=0)).label("squares"),
            func.sum(case((selling, 1), else_=0)).label("selling_days"),
            func.sum(case((in_window, r.balance), else_=0) + r.balance * gap).label("balance_days"),
            func.sum(r.delta).label("on_hand"),
            func.sum(r.rdelta).label("reserved"),
            func.sum(r.received).label("received"),
        )
        .group_by(r.warehouse, r.sku)
        .cte("per_key")
    )
    t = StockInTransitRow
    transit = (
        select(t.warehouse, t.sku, func.sum(t.quantity).label("in_flight"))
        .where(t.shipped_at < as_of, or_(t.received_at.is_(None), t.received_at >= as_of))
        .group_by(t.warehouse, t.sku)
        .subquery("transit")
    )
    # FIFO: of everything received, the oldest (received - on hand) units went out first; the
    # oldest unit left is in the first receipt whose running total (oldest first) passes that.
    receipts = (
        select(
            m.warehouse,
            m.sku,
            (end - day).label("age"),
            func.sum(m.quantity)
            .over(partition_by=[m.warehouse, m.sku], order_by=[m.at, m.id])
            .label("running"),
        )
        .where(*scope, m.kind == K.RECEIVE.value)
        .subquery("receipts")
    )
    oldest = (
        select(receipts.c.warehouse, receipts.c.sku, func.max(receipts.c.age).label("age"))
        .join(
            per_key,
            and_(per_key.c.warehouse == receipts.c.warehouse, per_key.c.sku == receipts.c.sku),
        )
        .where(per_key.c.on_hand > 0, receipts.c.running > per_key.c.received - per_key.c.on_hand)
        .group_by(receipts.c.warehouse, receipts.c.sku)
        .subquery("oldest")
    )
    p = per_key.c
    query = (
        select(
            p.sku,
            p.warehouse,
            WarehouseRow.country,
            p.on_hand,
            p.reserved,
            func.coalesce(transit.c.in_flight, 0),
            p.zero_days,
            p.zero_weight,
            p.units,
            p.weighted,
            p.squares,
            p.balance_days,
            oldest.c.age,
            p.selling_days,
        )
        .join(WarehouseRow, WarehouseRow.code == p.warehouse)
        .outerjoin(transit, and_(transit.c.warehouse == p.warehouse, transit.c.sku == p.sku))
        .outerjoin(oldest, and_(oldest.c.warehouse == p.warehouse, oldest.c.sku == p.sku))
        .order_by(p.sku, p.warehouse)
    )
    total_weight = n * (n + 1) / 2
    out: list[StockStats] = []
    for row in session.execute(query):
        (
            code,
            warehouse,
            country,
            on_hand,
            reserved,
            in_flight,
            zero_days,
            zero_weight,
            units,
            weighted,
            squares,
            balance_days,
            age,
            _selling,
        ) = row
        zero_days = int(zero_days or 0)
        position = StockPosition(
            sku=code,
            warehouse=warehouse,
            country=country,
            on_hand=int(on_hand or 0),
            reserved=int(reserved or 0),
            in_flight=int(in_flight or 0),
            days_at_zero=zero_days,
            avg_on_hand=float(balance_days or 0) / n,
            oldest_unit_age=None if age is None else int(age),
            shipped=int(units or 0),
        )
        demand = DemandStats(
            window_days=n,
            units=int(units or 0),
            weighted_units=float(weighted or 0),
            in_stock_days=n - zero_days,
            in_stock_weight=total_weight - float(zero_weight or 0),
            sum_squares=float(squares or 0),
        )
        out.append(StockStats(position, demand))
    return out
