"""Report aggregates, summed in the database: one query per report, GROUP BY in SQL, over the
daily rollups of :mod:`channelhub.store.tables.rollups` (never every order line or movement).

- :func:`sales_series`: units, orders and revenue per bucket and group over the current,
  previous and last-year periods at once (the period is a column of the same query).
  ``by="sku"`` resolves each order line through the pairings in force (account over channel
  over global, listing-level over SKU-level, as :meth:`PairingBook.resolve` does) on the
  distinct listing keys first, then counts a combo or kit as itself *and* in its components
  (``component_units``). ``by="warehouse"`` counts what the ledger shipped (``consume``), from
  the ledger's covering (kind, at) index (orders there are distinct references per bucket).
- :func:`stock_stats`: per (SKU, warehouse) the balances, in-flight, and over the window the
  daily demand sums :class:`~channelhub.core.replenishment.DemandStats` needs, days at zero,
  the time-weighted average on hand and the FIFO age of the oldest unit. The opening balance
  is the position less the days since the window began; only keys whose balance can reach 0
  are walked day by day.

Approximations: orders are resolved through the pairings in force now, not the version they
were planned with (a re-bind re-attributes history). By SKU, ``orders`` sums the orders of
each listing: an order with two lines on *different* listings of the same SKU (or a combo and
one of its components) counts twice for that SKU; by channel, account and country each order
counts once per currency, as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Float,
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
    tuple_,
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
from channelhub.store.tables.rollups import (
    SalesDailyRow,
    SalesListingRow,
    StockDailyRow,
    StockPositionRow,
)
from channelhub.store.tables.stock import StockInTransitRow, StockMovementRow, WarehouseRow

DIMENSIONS = ("channel", "account", "sku", "warehouse", "country")
UNPAIRED = "(unpaired)"
_EPOCH = date(1970, 1, 1)


def dialect_of(session: Session) -> Dialect:
    """The session's dialect helper; on PostgreSQL, also no nested loops for this transaction.

    The report queries join aggregates whose row counts the planner cannot estimate (it
    guessed 55 rows for 28,500 (SKU, warehouse) keys); a nested loop over such a guess is
    quadratic (97 s instead of 1 s). Hash and merge joins stay right whatever the counts.
    ``SET LOCAL`` ends with the transaction. The same goes for JIT compilation, which cost
    0.3 s of a 2.8 s stock query at 1 M orders (the plan runs once, on rows already summed),
    and for the sort memory: the window sorts of ~200,000 receipt and window days spilled to
    disk under the 4 MB default.
    """
    dialect = Dialect(session.get_bind().dialect.name)
    if dialect.pg:
        session.execute(text("SET LOCAL enable_nestloop = off"))
        session.execute(text("SET LOCAL jit = off"))
        session.execute(text("SET LOCAL work_mem = '64MB'"))
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


def _period_column(column: Any, periods: dict[str, Period] | dict[str, _DayPeriod]) -> Any:
    return case(
        *((and_(column >= p.since, column < p.until), literal(name)) for name, p in periods.items())
    )


def _in_any(column: Any, periods: dict[str, Period] | dict[str, _DayPeriod]) -> Any:
    return or_(*(and_(column >= p.since, column < p.until) for p in periods.values()))


def _resolved_listings(keys: Any) -> Any:
    """The binding in force for each listing key (``keys``: id and the key's columns; one
    row per id, rank 0 best)."""
    p = PairingRow
    scope_rank = case((p.scope == "account", 0), (p.scope == "channel", 1), else_=2)
    applies = and_(
        p.active.is_(True),
        or_(p.channel == "", p.channel == keys.c.channel),
        or_(p.account == "", p.account == keys.c.account),
    )
    listing_level = select(
        keys.c.id,
        p.sku,
        p.multiplier,
        (scope_rank * 4 + case((p.variation_id == "", 1), else_=0)).label("rank"),
        p.id.label("pairing"),
    ).join(
        p,
        and_(
            applies,
            p.kind == "listing",
            p.value == keys.c.listing_id,
            or_(p.variation_id == "", p.variation_id == keys.c.variation_id),
        ),
    )
    sku_level = select(
        keys.c.id, p.sku, p.multiplier, (scope_rank * 4 + 2).label("rank"), p.id.label("pairing")
    ).join(
        p,
        and_(applies, p.kind == "sku", p.value == keys.c.channel_sku, keys.c.channel_sku != ""),
    )
    candidates = union_all(listing_level, sku_level).subquery("candidates")
    c = candidates.c
    ranked = select(
        c.id,
        c.sku,
        c.multiplier,
        func.row_number().over(partition_by=c.id, order_by=[c.rank, c.pairing.desc()]).label("rn"),
    ).subquery("ranked")
    return select(ranked).where(ranked.c.rn == 1).subquery("resolved")


def _day_number(when: datetime, what: str) -> int:
    """``when`` as a day number; the rollups hold whole UTC days, so it must be a midnight."""
    utc = when.astimezone(UTC)
    if utc.time() != time():
        raise ValueError(f"{what} must be a UTC midnight (reports count whole days): {when}")
    return day_of(utc)


@dataclass(frozen=True)
class _DayPeriod:
    """A period as day numbers [since, until)."""

    since: int
    until: int


def _day_periods(periods: dict[str, Period]) -> dict[str, _DayPeriod]:
    return {
        name: _DayPeriod(_day_number(p.since, "since"), _day_number(p.until, "until"))
        for name, p in periods.items()
    }


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
    k = SalesListingRow
    if by != "sku":
        group = {
            "channel": k.channel,
            "account": k.channel + literal(":") + k.account,
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
            .join(k, k.id == r.listing)
            .where(where)
            .group_by(period, bucket_of, group, r.currency)
        )
        return _rows(session, query)
    # a week's or month's days of one listing are summed before the pairings are looked up
    base = (
        select(
            period.label("period"),
            bucket_of.label("bucket"),
            r.currency,
            r.listing,
            func.sum(r.units).label("units"),
            func.sum(r.revenue_micros).label("revenue"),
            func.sum(r.orders).label("orders"),
        )
        .where(where)
        .group_by(period, bucket_of, r.currency, r.listing)
        .cte("cells")
    )
    listed = select(base.c.listing).distinct().subquery("listed")
    keys = select(k).join(listed, listed.c.listing == k.id).cte("keys")
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
        .outerjoin(resolved, resolved.c.id == base.c.listing)
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


def _core(session: Session, query: Any) -> Any:
    """Rows of ``query`` run as a Core statement on the session's connection: the columns
    are plain values, so the ORM's row loading (a tenth of a 28,500-row report) is skipped."""
    return session.connection().execute(query).fetchall()


@lru_cache(maxsize=4096)
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
        for period, bucket, group, currency, units, comp, orders, revenue in _core(session, query)
    ]


@dataclass(frozen=True)
class StockStats:
    """One (SKU, warehouse): its position and its demand over the window."""

    position: StockPosition
    demand: DemandStats


def _recent_days(s: Any, first: int, end: int, weight_offset: int, sku: str | None) -> Any:
    """Per key, over the rollup's days from the window's first on: the window's sums
    (``w_``, and the demand sums) and those of the days from ``end`` on (``a_``)."""
    before_end = s.day < end

    def window(value: Any, when: Any = True) -> Any:
        return func.sum(case((and_(before_end, when), value), else_=0))

    def after(value: Any) -> Any:
        return func.sum(case((before_end, 0), else_=value))

    return (
        select(
            s.warehouse,
            s.sku,
            window(s.on_hand).label("w_on_hand"),
            window(s.moves).label("w_moves"),
            after(s.on_hand).label("a_on_hand"),
            after(s.reserved).label("a_reserved"),
            after(s.received).label("a_received"),
            after(s.moves).label("a_moves"),
            window(s.shipped).label("units"),
            window(s.shipped * (s.day - weight_offset)).label("weighted"),
            window(s.shipped * s.shipped).label("squares"),
            window(1, s.shipped > 0).label("selling_days"),
            window(s.on_hand * (end - s.day)).label("delta_days"),
            window(s.on_hand, s.on_hand < 0).label("negatives"),
        )
        .where(s.day >= first, *([s.sku == sku] if sku else []))
        .group_by(s.warehouse, s.sku)
        .subquery("recent")
    )


def _zero_days(d: Dialect, s: Any, per_key: Any, first: int, end: int) -> Any:
    """Days at zero and their weight, walking day by day the keys that may reach 0.

    A day is at zero when nothing shipped on it and its closing balance was <= 0; between
    two days with movements the balance stands still (the *gap* after a day)."""
    walk = select(per_key).where(per_key.c.may_be_zero).cte("walk")
    opening_row = select(
        walk.c.warehouse,
        walk.c.sku,
        literal(first - 1).label("day"),
        walk.c.opening.label("delta"),
        literal(0).label("shipped"),
    ).where(walk.c.has_opening)
    # a semi-join on the few keys walked: hashed, not a sort of every window day to merge
    walked = tuple_(s.warehouse, s.sku).in_(select(walk.c.warehouse, walk.c.sku))
    window_rows = select(s.warehouse, s.sku, s.day, s.on_hand, s.shipped).where(
        s.day >= first, s.day < end, walked
    )
    days = union_all(opening_row, window_rows).subquery("days")
    key = [days.c.warehouse, days.c.sku]
    running = select(
        *key,
        days.c.day,
        days.c.shipped,
        func.sum(days.c.delta).over(partition_by=key, order_by=days.c.day).label("balance"),
        func.coalesce(func.lead(days.c.day).over(partition_by=key, order_by=days.c.day), end)
        .label("next_day"),
    ).subquery("running")  # fmt: skip
    r = running.c
    in_window = and_(r.day >= first, r.day < end)
    gap_from = d.greatest(r.day + 1, first)
    gap_to = d.least(r.next_day - 1, end - 1)
    gap = d.greatest(gap_to - gap_from + 1, 0)
    zero_event = and_(in_window, r.balance <= 0, r.shipped == 0)
    weight_offset = first - 1
    # sum of weights over [gap_from, gap_to] = gap * (gap_from + gap_to) / 2 - gap * offset
    gap_weight = gap * (gap_from + gap_to) / 2 - gap * weight_offset
    return (
        select(
            r.warehouse,
            r.sku,
            func.sum(case((zero_event, 1), else_=0) + case((r.balance <= 0, gap), else_=0))
            .label("zero_days"),
            func.sum(
                case((zero_event, r.day - weight_offset), else_=0)
                + case((r.balance <= 0, gap_weight), else_=0)
            ).label("zero_weight"),
        )
        .group_by(r.warehouse, r.sku)
        .subquery("zeros")
    )  # fmt: skip


def stock_stats(
    session: Session, *, as_of: datetime, window_days: int, sku: str | None = None
) -> list[StockStats]:
    """Per (SKU, warehouse) with a ledger: balances, in flight and the window's demand sums.

    The window is the ``window_days`` whole days before ``as_of``'s day (E): days E-N .. E-1,
    a day of age a = E-1-day weighing N - a. A day is *at zero* when nothing shipped on it and
    its closing on-hand was <= 0; between two days with movements the balance stands still.
    """
    d, n = dialect_of(session), window_days
    s, pos = StockDailyRow, StockPositionRow
    end = _day_number(as_of, "as_of")  # as_of's day, E
    first = end - n  # first day of the window
    weight_offset = first - 1  # weight(day) = day - (first - 1)
    recent = _recent_days(s, first, end, weight_offset, sku)
    c = recent.c

    def _z(column: Any) -> Any:
        return func.coalesce(column, 0)

    # the balance before the window: the all-time position less every day since
    opening = pos.on_hand - _z(c.w_on_hand) - _z(c.a_on_hand)
    has_opening = pos.moves - _z(c.w_moves) - _z(c.a_moves) > 0
    # no window function over all keys: each window day's delta stands for the rest of it,
    # and only a key whose balance can reach 0 (opening + every decrease <= 0) is walked
    # day by day for its days at zero (few: 133 of 28,500 in the bench)
    per_key = (
        select(
            pos.warehouse,
            pos.sku,
            opening.label("opening"),
            has_opening.label("has_opening"),
            (opening + _z(c.negatives) <= 0).label("may_be_zero"),
            (pos.on_hand - _z(c.a_on_hand)).label("on_hand"),
            (pos.reserved - _z(c.a_reserved)).label("reserved"),
            (pos.received - _z(c.a_received)).label("received"),
            _z(c.units).label("units"),
            _z(c.weighted).label("weighted"),
            _z(c.squares).label("squares"),
            _z(c.selling_days).label("selling_days"),
            (opening * n + _z(c.delta_days)).label("balance_days"),
        )
        .outerjoin(recent, and_(c.warehouse == pos.warehouse, c.sku == pos.sku))
        .where(or_(has_opening, _z(c.w_moves) > 0), *([pos.sku == sku] if sku else []))
        .cte("per_key")
    )
    zeros = _zero_days(d, s, per_key, first, end)
    t = StockInTransitRow
    transit = (
        select(t.warehouse, t.sku, func.sum(t.quantity).label("in_flight"))
        .where(t.shipped_at < as_of, or_(t.received_at.is_(None), t.received_at >= as_of))
        .group_by(t.warehouse, t.sku)
        .subquery("transit")
    )
    # FIFO: of everything received, the oldest (received - on hand) units went out first; the
    # oldest unit left came on the first receipt day whose running total passes that.
    receipts = (
        select(
            s.warehouse,
            s.sku,
            (end - s.day).label("age"),
            func.sum(s.received)
            .over(partition_by=[s.warehouse, s.sku], order_by=s.day)
            .label("running"),
        )
        .where(s.received != 0, s.day < end, *([s.sku == sku] if sku else []))
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
            # PostgreSQL sums bigints as numeric: 10 Decimals a row for the driver to build
            # and Python to convert, where an int or a float says the same
            cast(p.on_hand, BigInteger),
            cast(p.reserved, BigInteger),
            cast(func.coalesce(transit.c.in_flight, 0), BigInteger),
            cast(zeros.c.zero_days, BigInteger),
            cast(zeros.c.zero_weight, Float),
            cast(p.units, BigInteger),
            cast(p.weighted, Float),
            cast(p.squares, Float),
            cast(p.balance_days, Float),
            cast(oldest.c.age, BigInteger),
            cast(p.selling_days, BigInteger),
        )
        .join(WarehouseRow, WarehouseRow.code == p.warehouse)
        .outerjoin(transit, and_(transit.c.warehouse == p.warehouse, transit.c.sku == p.sku))
        .outerjoin(oldest, and_(oldest.c.warehouse == p.warehouse, oldest.c.sku == p.sku))
        .outerjoin(zeros, and_(zeros.c.warehouse == p.warehouse, zeros.c.sku == p.sku))
        .order_by(p.sku, p.warehouse)
    )
    total_weight = n * (n + 1) / 2
    out: list[StockStats] = []
    for row in _core(session, query):
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
