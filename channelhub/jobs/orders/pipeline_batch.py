"""The order pipeline for many orders at once: the same plans, a few statements per chunk.

:func:`plan_orders` takes the orders of a pipeline run (``run_pipeline``) or of an imported page
(``process_orders``) in chunks of :data:`CHUNK`, one transaction per chunk:

1. the chunk's order rows (Core columns) and decisions are read in one query each, then the
   bindings and SKUs its lines can touch (:mod:`~channelhub.jobs.orders.planner`: again
   after an automatic binding; for a line with no binding, the SKUs pairing could suggest),
   and the warehouses' addresses and carton rules once per call;
2. every order is planned without balances (pair, expand, review), which names the stock
   SKUs the chunk needs; those are locked all at once in code order (``lock_skus``: ``FOR
   UPDATE`` on PostgreSQL, the write lock on SQLite), so two allocators never promise the
   same unit and never deadlock; then the chunk's order rows are locked (id order) and their
   statuses read again (one another writer moved meanwhile is skipped, nothing of it
   written), and only then are the balances read, in one query on ``stock_position`` (the
   ledger's running sums: the cost does not grow with the ledger);
3. each order's plan is finished against those balances (``plan_stock``: allocation and
   reservation only, step 2's pairing, expansion and review kept), kept current in memory as
   the chunk reserves (nobody else can move them while the locks are held); an order needing
   a SKU the chunk did not lock (paired by an automatic binding made in it) starts the next
   chunk;
4. status moves (one guarded UPDATE per pair of statuses), decisions, transitions, ledger
   movements, outbox messages and the stock-push dirty marks are written in one statement
   each at the end of the chunk (:mod:`channelhub.jobs.orders.pipeline_writes`).

What the fast path does not do itself goes through
:func:`~channelhub.jobs.orders.pipeline.process_order`, one order per transaction, exactly as
before:
an order the channel cancelled (in its place: the chunk ends before it and the next one starts
after it, so the stock it gives back reaches the orders after it, as one by one), one whose
plan fails (a pairing conflict, ...), and every order of a chunk whose writing failed (the
chunk rolls back first), so a failure is recorded against its own order, never hidden by its
neighbours.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import Connection, Select, Text, cast, select
from sqlalchemy.orm import Session

from channelhub.core.errors import ChannelhubError
from channelhub.core.flow import OrderPlan
from channelhub.core.lifecycle import HubStatus
from channelhub.core.order import ChannelOrderState, Order, OrderKey
from channelhub.core.pairing import PairingStatus
from channelhub.jobs.orders.pipeline import (
    MANUAL_APPROVAL,
    PIPELINE_STATUSES,
    PipelineCounts,
    PipelineSettings,
    pending_order_keys,
    process_order,
)
from channelhub.jobs.orders.pipeline_writes import Chunk, decision_row, move, reserve, write
from channelhub.jobs.orders.planner import Planner
from channelhub.store.listed import dialect_of, listed
from channelhub.store.repos.catalog import lock_skus
from channelhub.store.repos.decisions import record_decision
from channelhub.store.repos.orders import StatusChanged, get_order_row, json_document_order
from channelhub.store.repos.pairings import save_binding
from channelhub.store.repos.stock import positions
from channelhub.store.tables.orderflow import OrderDecisionRow
from channelhub.store.tables.orders import OrderRow

#: Orders per transaction: large enough to share the reads and inserts, small enough to hold
#: the stock locks briefly.
CHUNK = 100

OnFailure = Callable[[OrderKey, str], None]
_PIPELINE_VALUES = frozenset(s.value for s in PIPELINE_STATUSES)


@dataclass
class _History:
    """An order's recorded decisions, as the pipeline needs them."""

    known: set[tuple[str, str]] = field(default_factory=set)
    approved_by_hand: bool = False
    revision: int = 0  # the highest warehouse-order revision already dispatched


def plan_orders(
    session_factory: Callable[[], Session],
    keys: Sequence[OrderKey],
    *,
    settings: PipelineSettings,
    now: datetime,
    on_failure: OnFailure,
    counts: PipelineCounts | None = None,
) -> PipelineCounts:
    """Plan and apply ``keys`` (in their order) chunk by chunk; see the module docstring.

    ``on_failure`` records an order the pipeline refused (in its own transaction).
    """
    counts = counts if counts is not None else PipelineCounts()
    planner: Planner | None = None  # moved on from chunk to chunk (Planner.for_orders)
    pending = list(dict.fromkeys(keys))
    while pending:
        chunk_keys, pending = pending[:CHUNK], pending[CHUNK:]
        chunk = Chunk()
        try:
            with session_factory() as session, session.begin():
                rest, planner = _run_chunk(
                    session, chunk_keys, chunk, planner, settings=settings, now=now
                )
        except ChannelhubError:
            _one_by_one(session_factory, chunk_keys, counts, settings, now, on_failure)
            continue
        pending = rest + pending
        for _, plan in chunk.done:
            _tally(counts, plan)
        _one_by_one(session_factory, chunk.one_by_one, counts, settings, now, on_failure)
    return counts


def _tally(counts: PipelineCounts, plan: OrderPlan | None) -> None:
    if plan is None:
        counts.skipped += 1
    else:
        counts.by_status[plan.status.value] = counts.by_status.get(plan.status.value, 0) + 1


def _one_by_one(
    session_factory: Callable[[], Session],
    keys: Sequence[OrderKey],
    counts: PipelineCounts,
    settings: PipelineSettings,
    now: datetime,
    on_failure: OnFailure,
) -> None:
    """The classic path: one order per transaction, a failure recorded against its order."""
    for key in keys:
        try:
            with session_factory() as session, session.begin():
                plan = process_order(session, key, settings=settings, now=now)
        except StatusChanged:
            counts.skipped += 1
            continue
        except ChannelhubError as error:
            counts.failed.append((str(key), str(error)))
            on_failure(key, str(error))
            continue
        _tally(counts, plan)


def _histories(session: Session, order_ids: list[int]) -> dict[int, _History]:
    histories = {order_id: _History() for order_id in order_ids}
    rows = _core(session).execute(_histories_query(dialect_of(session)), {"ids": order_ids})
    for order_id, kind, reason, detail in rows:
        history = histories[order_id]
        history.known.add((kind, reason))
        history.approved_by_hand |= kind == MANUAL_APPROVAL
        if kind == "dispatch":  # every queued warehouse order has its dispatch decision
            tail = str((detail or {}).get("idempotency_key", "")).rsplit("r", 1)[-1]
            history.revision = max(history.revision, int(tail) if tail.isdigit() else 0)
    return histories


@cache
def _histories_query(dialect: str) -> Select[int, str, str, dict[str, Any]]:
    d = OrderDecisionRow
    return select(d.order_id, d.kind, d.reason, d.detail).where(listed(d.order_id, "ids", dialect))


def _core(session: Session) -> Connection:
    """The chunk's connection, for its reads of plain columns (no ORM objects): run on it,
    they skip the ORM's per-statement work. Nothing is left unflushed when they run (the
    chunk adds no ORM objects but the bindings ``save_binding`` flushes itself), so reading
    without the session's autoflush reads the same rows."""
    return session.connection()


def _run_chunk(
    session: Session,
    keys: list[OrderKey],
    chunk: Chunk,
    previous: Planner | None,
    *,
    settings: PipelineSettings,
    now: datetime,
) -> tuple[list[OrderKey], Planner | None]:
    """Read, plan and write one chunk; returns the keys left for the next chunk and the
    planner to move on to the next chunk (``previous`` when no order was the pipeline's)."""
    rows = _rows(session, keys)
    histories = _histories(session, [row.id for row in rows.values()])
    parsed: list[tuple[OrderKey, Any, Order]] = []
    later: list[OrderKey] = []  # from the first order the classic path takes, in its place
    for index, key in enumerate(keys):
        row = rows.get((key.channel, key.account, key.external_id))
        if row is None or row.channel_state == ChannelOrderState.CANCELLED.value:
            # not found, or cancelled: the classic path, after the orders before it and
            # before those after it (a cancel gives its stock back to them, as one by one)
            later = keys[index:]
            break
        if row.hub_status not in _PIPELINE_VALUES:
            chunk.done.append((key, None))  # not the pipeline's to move (process_order: None)
            continue
        parsed.append((key, row, json_document_order(row.document, row.hub_status)))
    rest, planner = _plan_chunk(
        session, parsed, histories, chunk, previous, settings=settings, now=now
    )
    if rest or not later:
        return rest + later, planner
    chunk.one_by_one.append(later[0])
    return later[1:], planner


class _FreshRow(NamedTuple):
    """A new order's row before it is stored (a placeholder id), as :func:`_plan_chunk` reads
    a stored one."""

    id: int
    channel: str
    account: str
    external_id: str
    hub_status: str
    fulfilled_by: str


class NotAllPlanned(ChannelhubError):
    """An order of a fresh page goes down the one-by-one path (cancelled on the channel,
    refused by planning): the page is left to :func:`plan_orders` whole."""


def fresh_and_waiting(order: Order) -> bool:
    """Whether the chunk's fast path takes this new order (not cancelled on the channel; in
    a status the pipeline moves)."""
    return (
        order.channel_state is not ChannelOrderState.CANCELLED
        and order.hub_status.value in _PIPELINE_VALUES
    )


#: Stores a chunk's planned new orders, each with its final status (given beside it), and
#: returns their ids.
StoreOrders = Callable[[list[Order], list[HubStatus]], list[int]]


def plan_fresh(
    session: Session,
    orders: Sequence[Order],
    *,
    settings: PipelineSettings,
    now: datetime,
    store: StoreOrders,
    planner: Planner | None = None,
) -> Planner | None:
    """Plan orders new to the hub (every one :func:`fresh_and_waiting`, none stored yet)
    from the orders in memory, exactly as :func:`plan_orders` would once they were stored
    (the same chunks, in the same order, the same rows), then ``store`` each chunk's orders
    with the status planned and write the chunk's rows under their new ids: no status lock
    (nobody else sees an uncommitted row), no history (a new order has none), no read back,
    and no second write of each order's row to move its status. Raises :class:`NotAllPlanned`
    when an order would go one by one (the caller rolls back). ``planner``: one to move on
    (:meth:`~channelhub.jobs.orders.planner.Planner.for_orders`; None: one is loaded); returns
    the last one, for the caller's next orders."""
    by_key = {
        order.key: (order.key, _fresh_row(order, -n), order) for n, order in enumerate(orders, 1)
    }
    pending = list(by_key)
    previous = planner  # moved on from chunk to chunk, as in plan_orders
    while pending:
        part, pending = pending[:CHUNK], pending[CHUNK:]
        chunk = Chunk()
        parsed = [by_key[key] for key in part]
        histories = {row.id: _History() for _, row, _ in parsed}
        rest, previous = _plan_chunk(
            session, parsed, histories, chunk, previous, settings=settings, now=now, store=store
        )
        if chunk.one_by_one:
            raise NotAllPlanned(f"order {chunk.one_by_one[0]} goes one by one")
        pending = rest + pending  # as plan_orders: an order needing a SKU not locked
    return previous


def _stored_first(
    store: StoreOrders, chunk: Chunk, orders: dict[OrderKey, tuple[int, Order]]
) -> None:
    """Store the chunk's planned new orders with their planned status (``orders``: each key's
    placeholder id and order) and put their ids in the chunk's rows for the placeholders;
    their status moves are then written already (the transitions stay, as planned)."""
    planned = [(key, plan) for key, plan in chunk.done if plan is not None]
    if len(planned) != len(chunk.done):
        raise NotAllPlanned("a new order was not planned")
    if any(plan.status is HubStatus.CANCELLED for _, plan in planned):
        # stored cancelled, its sales would never be counted; the pipeline's status move
        # takes them back out of the day's row it counted them in, and keeps that row
        raise NotAllPlanned("a new order is planned cancelled")
    ids = store([orders[key][1] for key, _ in planned], [plan.status for _, plan in planned])
    real = {orders[key][0]: order_id for (key, _), order_id in zip(planned, ids, strict=True)}
    for row in (*chunk.decisions, *chunk.transitions):
        row["order_id"] = real[row["order_id"]]
    chunk.moves.clear()


def _fresh_row(order: Order, order_id: int) -> _FreshRow:
    return _FreshRow(
        order_id,
        order.channel,
        order.account,
        order.external_id,
        order.hub_status.value,
        order.fulfilled_by.value,
    )


def _plan_chunk(
    session: Session,
    parsed: list[tuple[OrderKey, Any, Order]],
    histories: dict[int, _History],
    chunk: Chunk,
    previous: Planner | None,
    *,
    settings: PipelineSettings,
    now: datetime,
    store: StoreOrders | None = None,
) -> tuple[list[OrderKey], Planner | None]:
    """Plan and write the chunk's orders (each with its row and history); see
    :func:`_run_chunk`. ``store``: new orders not stored yet (:func:`plan_fresh`), whose
    placeholder rows nobody else can move (not locked, not read again), stored by it once
    planned."""
    if not parsed:
        return [], previous
    mine = [order for *_, order in parsed]
    planner = (
        previous.for_orders(session, mine)
        if previous is not None
        else Planner.load(session, settings, orders=mine)
    )
    book_version = 0
    orders: list[tuple[OrderKey, Any, Order, OrderPlan]] = []
    for key, row, order in parsed:
        try:
            first = planner.until_stock(
                order, key, approved_by_hand=histories[row.id].approved_by_hand, now=now
            )
        except ChannelhubError:
            chunk.one_by_one.append(key)
            continue
        orders.append((key, row, order, first))
    locked = {
        x.sku for *_, first in orders if first.status is HubStatus.APPROVED for x in first.expanded
    }
    lock_skus(session, locked)  # the stock locks first, then the orders' (as process_order)
    if store is None:  # new orders (store) are not stored yet: nobody else can move them
        still = _lock_statuses(session, [row.id for _, row, *_ in orders])
        for key, row, *_ in orders:
            if still.get(row.id) != row.hub_status:
                chunk.done.append((key, None))  # another writer moved it: nothing written
        orders = [o for o in orders if still.get(o[1].id) == o[1].hub_status]
    balances = positions(session, locked)
    warehouses = set(planner.origins)
    rest: list[OrderKey] = []
    for index, (key, row, order, first) in enumerate(orders):
        history = histories[row.id]
        try:
            if book_version:  # an automatic binding made in this chunk may pair it now
                first = planner.until_stock(
                    order, key, approved_by_hand=history.approved_by_hand, now=now
                )
            needed = {x.sku for x in first.expanded}
            plan = first
            if needed and first.status is HubStatus.APPROVED:  # past pairing and review
                if not needed <= locked:  # not locked by this chunk: the next chunk's
                    rest = [k for k, *_ in orders[index:]]
                    break
                plan = planner.with_stock(order, key, first, balances, now=now)
        except ChannelhubError:
            chunk.one_by_one.append(key)
            continue
        subject = f"order {row.channel}:{row.account}:{row.external_id}"
        channel_fulfilled = row.fulfilled_by == "channel"
        move(row.id, subject, channel_fulfilled, order.hub_status, plan, chunk, now)
        # plan.new_bindings also names automatic bindings the book already holds (saving
        # those again is a no-op): only the newly proposed ones are saved, then re-read
        proposed = [p.binding for p in plan.pairings if p.status is PairingStatus.AUTO_BOUND]
        for binding in dict.fromkeys(b for b in proposed if b is not None):
            save_binding(session, binding, now=now, actor="auto-pairing")
        if proposed:
            planner = planner.rebound(session)
            book_version += 1
        for kind, reason in plan.decisions():
            if (kind, reason) not in history.known:
                chunk.decisions.append(decision_row(row.id, kind, reason, now))
        if plan.status is HubStatus.ALLOCATED and plan.reservation is not None:
            revision = history.revision + 1
            reserve(plan, order, row.id, revision, chunk, balances, warehouses, now)
        chunk.done.append((key, plan))
    if store is not None:
        _stored_first(store, chunk, {k: (r.id, o) for k, r, o, _ in orders})
    write(session, chunk, now)
    return rest, planner


#: What the chunk reads of its orders (Core columns: no ORM objects to build and track).
_ROW_COLUMNS = (
    OrderRow.id, OrderRow.channel, OrderRow.account, OrderRow.external_id, OrderRow.hub_status,
    OrderRow.channel_state, OrderRow.fulfilled_by,
    cast(OrderRow.document, Text).label("document"),  # JSON text: parsed once, by pydantic
)  # fmt: skip


def _rows(session: Session, keys: list[OrderKey]) -> dict[tuple[str, str, str], Any]:
    """The chunk's order rows in one query (IN lists on the natural key's index), by their
    (channel, account, external id): plain tuples, hashed faster than the keys' models (the
    query matches the keys' values exactly, so a row's tuple is its key's)."""
    wanted = {(k.channel, k.account, k.external_id) for k in keys}
    values = {
        "channels": list({channel for channel, _, _ in wanted}),
        "accounts": list({account for _, account, _ in wanted}),
        "external_ids": [external_id for _, _, external_id in wanted],
    }
    found: dict[tuple[str, str, str], Any] = {}
    for row in _core(session).execute(_rows_query(dialect_of(session)), values):
        key = (row.channel, row.account, row.external_id)
        if key in wanted:
            found[key] = row
    return found


@cache
def _rows_query(dialect: str) -> Select[int, str, str, str, str, str, str, str]:
    return select(*_ROW_COLUMNS).where(
        listed(OrderRow.channel, "channels", dialect),
        listed(OrderRow.account, "accounts", dialect),
        listed(OrderRow.external_id, "external_ids", dialect),
    )


def _lock_statuses(session: Session, order_ids: list[int]) -> dict[int, str]:
    """Lock the chunk's order rows (id order; ``FOR UPDATE`` on PostgreSQL, SQLite's write
    lock is already held) and return their statuses now: one another writer moved since
    they were read is skipped, and nobody can move the others before the chunk commits, so
    its status moves are set-based (:func:`~channelhub.jobs.orders.pipeline_writes.write`)."""
    if not order_ids:
        return {}
    query = _lock_statuses_query(dialect_of(session))
    rows = _core(session).execute(query, {"ids": sorted(order_ids)})
    return {order_id: status for order_id, status in rows}


@cache
def _lock_statuses_query(dialect: str) -> Select[int, str]:
    return (
        select(OrderRow.id, OrderRow.hub_status)
        .where(listed(OrderRow.id, "ids", dialect))
        .order_by(OrderRow.id)
        .with_for_update()
    )


def run_pipeline(
    session_factory: Callable[[], Session],
    *,
    settings: PipelineSettings,
    now: datetime,
    limit: int = 500,
) -> PipelineCounts:
    """Process up to ``limit`` pending orders, in chunks (:func:`plan_orders`).

    A status changed meanwhile by another worker is skipped (it will be seen next run); a
    user-fixable error is recorded on the order as a decision and listed in ``failed``.
    """
    with session_factory() as session:
        keys = pending_order_keys(session, limit=limit)

    def record_failure(key: OrderKey, reason: str) -> None:
        with session_factory() as session, session.begin():
            row = get_order_row(session, key)
            record_decision(session, row.id, kind="error", reason=reason, at=now)

    return plan_orders(session_factory, keys, settings=settings, now=now, on_failure=record_failure)
