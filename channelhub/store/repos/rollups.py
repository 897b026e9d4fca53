"""Keeping the daily rollups (:mod:`channelhub.store.tables.rollups`) in step with their sources.

The reports read the rollups, so every write that changes what they sum must go through one
of the three hooks here, in its own transaction:

- :func:`sales_rollup_kept` around any write to an order's rows or lines (``upsert_order``):
  it takes the orders' contribution out before and puts the new one back after, both as one
  ``INSERT .. SELECT .. GROUP BY .. ON CONFLICT DO UPDATE`` computed from the stored rows
  (an order the set-based intake has just inserted is summed from memory instead:
  :func:`~channelhub.store.repos.sales_inserted.add_inserted_sales`, the same rows);
- :func:`sales_rollup_status` after an order's hub status moved (only a move into or out of
  ``cancelled`` changes anything, so the pipeline's other moves cost nothing);
- :func:`stock_rollup_add` after ledger movements were appended (the ledger is append-only):
  the batch is summed per day and key and added with one upsert per table.

:func:`rebuild_rollups` recomputes all three tables from scratch (the migration's backfill,
``channelhub report rebuild``, and after bulk loads that bypass the hooks).
:func:`sales_cells` and :func:`stock_days` are the same sums over the source tables, which the
tests compare the rollups with.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    Integer,
    and_,
    any_,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    select,
    text,
)
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import BindParameter, TextClause

from channelhub.core.lifecycle import HubStatus
from channelhub.core.stock import MovementKind as K
from channelhub.core.stock import movement_deltas
from channelhub.store.repos._upsert import dialect_insert
from channelhub.store.repos.stock_sync import MARKED_AT, mark_dirty, marking_sql, marks
from channelhub.store.sqldates import Dialect
from channelhub.store.tables.orders import OrderLineRow, OrderRow
from channelhub.store.tables.rollups import (
    LISTING_COLUMNS,
    SalesDailyRow,
    SalesListingRow,
    StockDailyRow,
    StockPositionRow,
)
from channelhub.store.tables.stock import StockMovementRow

SALES_KEY = ("day", "listing", "country", "currency")
SALES_SUMS = ("units", "revenue_micros", "orders", "order_heads")
STOCK_SUMS = ("on_hand", "reserved", "shipped", "received", "moves")
_ON_HAND_PLUS = [k.value for k in (K.RECEIVE, K.ADJUST, K.ASSEMBLE, K.DISASSEMBLE)]
_EPOCH = date(1970, 1, 1)


def _dialect(session: Session) -> Dialect:
    return Dialect(session.get_bind().dialect.name)


def day_of(when: datetime) -> int:
    """Days from 1970-01-01 to ``when``'s UTC date (naive means UTC, as SQLite stores it)."""
    aware = when if when.tzinfo else when.replace(tzinfo=UTC)
    return (aware.astimezone(UTC).date() - _EPOCH).days


# --- sales ------------------------------------------------------------------------------------


LISTING_KEY = LISTING_COLUMNS


#: The order ids of a statement built once (:func:`_sales_change`), given at execution
#: (PostgreSQL: one array, so the text is the same for any number: see ``store.one_of``).
_IDS: BindParameter[Any] = bindparam("ids", expanding=True)


@cache
def _ids_of(dialect: str) -> BindParameter[Any]:
    """One object per dialect: the statements built with it are cached by it."""
    if dialect != "postgresql":
        return _IDS
    from sqlalchemy.dialects.postgresql import ARRAY  # loaded by the engine already

    return bindparam("ids", type_=ARRAY(Integer))


Ids = Sequence[int] | BindParameter[Any] | None


def _scope(order_ids: Ids, live_only: bool) -> list[Any]:
    where = []
    if live_only:
        where.append(OrderRow.hub_status != HubStatus.CANCELLED.value)
    if order_ids is not None:
        where.append(_among(OrderRow.id, order_ids))
    return where


def _among(column: Any, order_ids: Sequence[int] | BindParameter[Any]) -> Any:
    """``column`` in ``order_ids``: a list, the expanding ``:ids`` or PostgreSQL's array."""
    if not isinstance(order_ids, BindParameter):
        return column.in_(list(order_ids))
    return column.in_(order_ids) if order_ids.expanding else column == any_(order_ids)


def _scoped(d: Dialect, order_ids: Ids, live_only: bool) -> tuple[Any, Any, list[Any]]:
    """(orders, lines, WHERE) for the sums of ``order_ids``.

    On PostgreSQL the orders are picked first by primary key and their lines by ``order_id``,
    each in a ``MATERIALIZED`` CTE of just the columns the sums read: on freshly loaded tables
    (no statistics yet) its planner otherwise looked the orders up by (channel, account) for
    every line (92 ms a chunk at 2,000 orders), or joined every order to every listing of its
    account and probed the lines' index with the whole id array for each pair (7 ms of the
    intake's 100 orders, against 1 ms for the sums themselves), and a CTE of whole rows
    copied every order's JSON document along."""
    if order_ids is None or not d.pg:
        return OrderRow, OrderLineRow, _scope(order_ids, live_only)
    picked = (
        select(*(OrderRow.__table__.c[c] for c in _ORDER_COLUMNS))
        .where(*_scope(order_ids, live_only))
        .cte("scoped_orders")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    lines = (
        select(*(OrderLineRow.__table__.c[c] for c in _LINE_COLUMNS))
        .where(_among(OrderLineRow.order_id, order_ids))
        .cte("scoped_lines")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    return aliased(OrderRow, picked), aliased(OrderLineRow, lines), []


#: What the sales sums read of an order and of a line (the scoped CTEs' columns).
_ORDER_COLUMNS = ("id", "channel", "account", "placed_at", "ship_to_country", "currency")
_LINE_COLUMNS = (
    "id", "order_id", "listing_id", "variation_id", "channel_sku", "quantity",
    "cancelled_quantity", "unit_price", "currency",
)  # fmt: skip


def _order_lines(d: Dialect, order_ids: Ids, live_only: bool) -> Any:
    """The order lines (joined to their orders) of ``order_ids`` (None: all), with each
    line's listing key, '' for none."""
    o, line, where = _scoped(d, order_ids, live_only)
    return (
        select(
            o.channel,
            o.account,
            func.coalesce(line.listing_id, "").label("listing_id"),
            func.coalesce(line.variation_id, "").label("variation_id"),
            func.coalesce(line.channel_sku, "").label("channel_sku"),
        )
        .join(o, o.id == line.order_id)
        .where(*where)
    )


def _register_listings(session: Session, order_ids: Sequence[int] | None) -> None:
    """Number the listing keys of ``order_ids``' lines not yet in ``sales_listings``."""
    if order_ids is None:
        session.execute(_registration(_dialect(session).name, None))
    else:
        dialect = _dialect(session).name
        session.execute(_registration(dialect, _ids_of(dialect)), {"ids": list(order_ids)})


@cache
def _registration(dialect: str, order_ids: BindParameter[Any] | None) -> Any:
    """The statement of :func:`_register_listings`, built once per dialect (see
    :func:`_sales_change`)."""
    keys = _order_lines(Dialect(dialect), order_ids, live_only=False).distinct().subquery("keys")
    statement = dialect_insert(dialect, SalesListingRow.__table__).from_select(
        list(LISTING_KEY), select(*(keys.c[k] for k in LISTING_KEY)).where(literal(True))
    )
    return statement.on_conflict_do_nothing(index_elements=list(LISTING_KEY))


def sales_cells(
    d: Dialect, order_ids: Ids = None, *, sign: int = 1, live_only: bool = True
) -> Select[Any]:
    """The ``sales_daily`` rows of ``order_ids`` (all orders: None), times ``sign``; their
    listing keys must be registered (:func:`_register_listings`).

    ``live_only=False`` counts a cancelled order as if it were not (what it contributed
    before it was cancelled)."""
    (o, line, where), k = _scoped(d, order_ids, live_only), SalesListingRow
    currency = func.coalesce(line.currency, o.currency)
    net = line.quantity - line.cancelled_quantity
    first_line = func.min(line.id).over(partition_by=[line.order_id, currency])
    lines = (
        select(
            d.day_number(o.placed_at).label("day"),
            k.id.label("listing"),
            func.coalesce(o.ship_to_country, "").label("country"),
            currency.label("currency"),
            net.label("units"),
            (net * func.coalesce(d.micros(line.unit_price), 0)).label("revenue_micros"),
            line.order_id.label("oid"),
            case((line.id == first_line, 1), else_=0).label("head"),
        )
        .join(o, o.id == line.order_id)
        .join(
            k,
            and_(
                k.channel == o.channel,
                k.account == o.account,
                k.listing_id == func.coalesce(line.listing_id, ""),
                k.variation_id == func.coalesce(line.variation_id, ""),
                k.channel_sku == func.coalesce(line.channel_sku, ""),
            ),
        )
        .where(*where)
        .subquery("lines")
    )
    key = [lines.c[c] for c in SALES_KEY]
    s = literal(sign)
    return (
        select(
            *key,
            (s * func.sum(lines.c.units)).label("units"),
            (s * func.sum(lines.c.revenue_micros)).label("revenue_micros"),
            (s * func.count(lines.c.oid.distinct())).label("orders"),
            (s * func.sum(lines.c.head)).label("order_heads"),
        )
        .where(literal(True))  # SQLite: INSERT .. SELECT .. ON CONFLICT needs a WHERE
        .group_by(*key)
    )


def _add_sales(session: Session, order_ids: Sequence[int], sign: int, live_only: bool) -> None:
    """Add ``sign`` x the sums of ``order_ids`` to ``sales_daily``."""
    statement = _sales_change(_dialect(session).name, sign, live_only)
    session.execute(statement, {"ids": list(order_ids)})


@cache
def _sales_change(dialect: str, sign: int, live_only: bool) -> Any:
    """The upsert of :func:`_add_sales` for the order ids ``:ids``, built once per dialect,
    sign and scope (a handful in all) and kept: it is immutable, and building it anew for
    every chunk of an import cost a third of the intake's time."""
    cells = sales_cells(Dialect(dialect), _ids_of(dialect), sign=sign, live_only=live_only)
    table = SalesDailyRow.__table__
    statement = dialect_insert(dialect, table).from_select([*SALES_KEY, *SALES_SUMS], cells)
    return statement.on_conflict_do_update(
        index_elements=list(SALES_KEY),
        set_={c: table.c[c] + statement.excluded[c] for c in SALES_SUMS},
    )


@contextmanager
def sales_rollup_kept(session: Session, order_ids: Iterable[int]) -> Iterator[list[int]]:
    """HOOK: wrap a write to orders/order lines. Yields the ids kept: append the id of an
    order the block inserts. Before the block their contribution is taken out of
    ``sales_daily``, after it the new one is added (an exception skips the second half:
    the transaction is to be rolled back). Lock the orders' rows first (``FOR UPDATE``):
    what is taken out must be what was put in, so no other writer may change them between
    the two halves."""
    ids = sorted(set(order_ids))
    if ids:
        _add_sales(session, ids, -1, live_only=True)
    yield ids
    if ids:
        ids = sorted(set(ids))
        _register_listings(session, ids)
        _add_sales(session, ids, 1, live_only=True)


def sales_rollup_status(
    session: Session, order_ids: Sequence[int], before: HubStatus, after: HubStatus
) -> None:
    """HOOK: call after the hub status of ``order_ids`` moved from ``before`` to ``after``
    (same for all). Only cancelling or un-cancelling changes the sums."""
    cancelled = HubStatus.CANCELLED
    if not order_ids or (before is cancelled) == (after is cancelled):
        return
    sign = -1 if after is cancelled else 1
    _add_sales(session, order_ids, sign, live_only=False)


# --- stock ------------------------------------------------------------------------------------


def stock_days(d: Dialect) -> Select[Any]:
    """The ``stock_daily`` rows summed from the whole ledger."""
    m = StockMovementRow
    on_hand, reserved = movement_sums(m.kind, m.quantity)
    day = d.day_number(m.at).label("day")
    return (
        select(
            day,
            m.warehouse,
            m.sku,
            func.sum(on_hand).label("on_hand"),
            func.sum(reserved).label("reserved"),
            func.sum(case((m.kind == K.CONSUME.value, m.quantity), else_=0)).label("shipped"),
            func.sum(case((m.kind == K.RECEIVE.value, m.quantity), else_=0)).label("received"),
            func.count().label("moves"),
        )
        .where(literal(True))
        .group_by(day, m.warehouse, m.sku)
    )


def movement_sums(kind: Any, quantity: Any) -> tuple[Any, Any]:
    """(on-hand delta, reserved delta) of a ledger row, in SQL (as ``movement_deltas``)."""
    on_hand = case(
        (kind.in_(_ON_HAND_PLUS), quantity), (kind == K.CONSUME.value, -quantity), else_=0
    )
    reserved = case(
        (kind == K.RESERVE.value, quantity),
        (kind.in_([K.RELEASE.value, K.CONSUME.value]), -quantity),
        else_=0,
    )
    return on_hand, reserved


def stock_rollup_add(
    session: Session, movements: Iterable[Mapping[str, Any]], *, dirty_at: datetime | None = None
) -> None:
    """HOOK: call after appending ledger rows (mappings with the ``stock_movements`` columns
    warehouse, sku, kind, quantity, at): adds them to ``stock_daily`` and ``stock_position``.
    With ``dirty_at``, also marks their SKUs dirty then for the stock push
    (:func:`~channelhub.store.repos.stock_sync.mark_dirty`, which every ledger write calls
    with this): on PostgreSQL all three in one statement."""
    rows = list(movements)
    daily: dict[tuple[int, str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    # a chunk's movements share a few times (its ``now``) and a few (kind, quantity) pairs:
    # each one's day and sums are computed once
    days: dict[datetime, int] = {}
    effects: dict[tuple[str, int], tuple[int, int, int, int]] = {}
    for m in rows:
        at, moved = m["at"], (m["kind"], int(m["quantity"]))
        day = days.get(at)
        if day is None:
            day = days[at] = day_of(at)
        effect = effects.get(moved)
        if effect is None:
            kind, q = K(moved[0]), moved[1]
            on_hand, reserved = movement_deltas(kind, q)
            shipped, received = (q if kind is K.CONSUME else 0), (q if kind is K.RECEIVE else 0)
            effect = effects[moved] = (on_hand, reserved, shipped, received)
        sums = daily[(day, m["warehouse"], m["sku"])]
        sums[0] += effect[0]
        sums[1] += effect[1]
        sums[2] += effect[2]
        sums[3] += effect[3]
        sums[4] += 1
    if not daily:
        return
    position: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for (_, warehouse, sku), sums in daily.items():
        total = position[(warehouse, sku)]
        for i, value in enumerate(sums):
            total[i] += value
    dialect = _dialect(session).name
    connection = session.connection()  # a Core statement: the ORM never flushed for it
    if dialect == "postgresql":  # one statement, one round trip
        values: dict[str, Any] = {"daily": _json_rows(daily), "position": _json_rows(position)}
        skus = None if dirty_at is None else marks(session, (m["sku"] for m in rows))
        if skus is not None:
            values |= {"skus": skus, "now": dirty_at}
        connection.execute(_stock_addition_pg(skus is not None), values)
        return
    for per_day, sums_of in ((True, daily), (False, position)):
        statement, key = _stock_addition(dialect, per_day)
        values_of = [
            {**dict(zip(key, k, strict=True)), **dict(zip(STOCK_SUMS, v, strict=True))}
            for k, v in sorted(sums_of.items())  # one lock order for every writer
        ]
        connection.execute(statement, values_of)
    if dirty_at is not None:
        mark_dirty(session, (m["sku"] for m in rows), now=dirty_at)


def _json_rows(sums: Mapping[tuple[Any, ...], list[int]]) -> str:
    """``sums`` as one JSON array of [*key, *sums] rows in key order (one lock order for
    every writer): one text parameter, which the engine's redaction hook sees as it saw
    each code before."""
    return json.dumps([[*k, *v] for k, v in sorted(sums.items())])


#: :func:`stock_rollup_add` on PostgreSQL: ``:daily`` added to ``stock_daily`` and
#: ``:position`` to ``stock_position`` (JSON arrays of [*key, *STOCK_SUMS] rows), each in the
#: array's order, and (``{marks}`` filled) the dirty marks. One statement where the two upserts
#: (``executemany``) and the marks cost three round trips and SQLAlchemy's handling of every
#: row's parameters (measured at 10,000 orders: 14 -> 4 µs an order, a chunk's sums and
#: marks).
_STOCK_ADDITION_PG = """
WITH daily AS (
    INSERT INTO stock_daily AS t
        (day, warehouse, sku, on_hand, reserved, shipped, received, moves)
    SELECT CAST(e ->> 0 AS integer), e ->> 1, e ->> 2, CAST(e ->> 3 AS bigint),
           CAST(e ->> 4 AS bigint), CAST(e ->> 5 AS bigint), CAST(e ->> 6 AS bigint),
           CAST(e ->> 7 AS integer)
    FROM jsonb_array_elements(CAST(:daily AS jsonb)) WITH ORDINALITY AS r(e, n)
    ORDER BY n
    ON CONFLICT (day, warehouse, sku) DO UPDATE SET
        on_hand = t.on_hand + excluded.on_hand, reserved = t.reserved + excluded.reserved,
        shipped = t.shipped + excluded.shipped, received = t.received + excluded.received,
        moves = t.moves + excluded.moves
){marks}
INSERT INTO stock_position AS t (warehouse, sku, on_hand, reserved, shipped, received, moves)
SELECT e ->> 0, e ->> 1, CAST(e ->> 2 AS bigint), CAST(e ->> 3 AS bigint),
       CAST(e ->> 4 AS bigint), CAST(e ->> 5 AS bigint), CAST(e ->> 6 AS integer)
FROM jsonb_array_elements(CAST(:position AS jsonb)) WITH ORDINALITY AS r(e, n)
ORDER BY n
ON CONFLICT (warehouse, sku) DO UPDATE SET
    on_hand = t.on_hand + excluded.on_hand, reserved = t.reserved + excluded.reserved,
    shipped = t.shipped + excluded.shipped, received = t.received + excluded.received,
    moves = t.moves + excluded.moves
"""


@cache
def _stock_addition_pg(marking: bool) -> TextClause:
    """:data:`_STOCK_ADDITION_PG`, with ``marking`` the dirty marks of ``:skus`` at ``:now``
    too (:func:`~channelhub.store.repos.stock_sync.marking_sql`), built once and kept."""
    if not marking:
        return text(_STOCK_ADDITION_PG.format(marks=""))
    marked = f", marked AS ({marking_sql('postgresql').strip()})"
    return text(_STOCK_ADDITION_PG.format(marks=marked)).bindparams(MARKED_AT)


@cache
def _stock_addition(dialect: str, per_day: bool) -> tuple[Any, tuple[str, ...]]:
    """The upsert of :func:`stock_rollup_add` into ``stock_daily`` (``per_day``) or
    ``stock_position``, and its key columns: built once per dialect and table and kept (it is
    immutable; building it cost more than running it, twice a pipeline chunk)."""
    table = (StockDailyRow if per_day else StockPositionRow).__table__
    key = ("day", "warehouse", "sku") if per_day else ("warehouse", "sku")
    statement = dialect_insert(dialect, table)
    upsert = statement.on_conflict_do_update(
        index_elements=list(key),
        set_={c: table.c[c] + statement.excluded[c] for c in STOCK_SUMS},
    )
    return upsert, key


# --- from scratch -----------------------------------------------------------------------------


def rebuild_rollups(session: Session) -> dict[str, int]:
    """Recompute every rollup from the orders and the ledger; returns the rows per table."""
    d = _dialect(session)
    if d.pg:  # whole tables: hash joins (the planner knows nothing yet of fresh rollups)
        session.execute(text("SET LOCAL enable_nestloop = off"))
    for rollup in (SalesDailyRow, StockDailyRow, StockPositionRow):
        session.execute(delete(rollup))
    _register_listings(session, None)
    session.execute(insert(SalesDailyRow).from_select([*SALES_KEY, *SALES_SUMS], sales_cells(d)))
    session.execute(
        insert(StockDailyRow).from_select(["day", "warehouse", "sku", *STOCK_SUMS], stock_days(d))
    )
    s = StockDailyRow
    session.execute(
        insert(StockPositionRow).from_select(
            ["warehouse", "sku", *STOCK_SUMS],
            select(s.warehouse, s.sku, *(func.sum(s.__table__.c[c]) for c in STOCK_SUMS))
            .where(literal(True))
            .group_by(s.warehouse, s.sku),
        )
    )
    names = [m.__tablename__ for m in (SalesListingRow, SalesDailyRow, StockDailyRow,
                                         StockPositionRow)]  # fmt: skip
    for name in names:  # the planner's statistics for the reports (allowed in a transaction)
        session.execute(text(f"ANALYZE {name}"))
    return {name: session.scalar(text(f"SELECT count(*) FROM {name}")) or 0 for name in names}
