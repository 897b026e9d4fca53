"""The order pipeline for many orders at once: the same plans, a few statements per chunk.

:func:`plan_orders` takes the orders of a pipeline run (``run_pipeline``) or of an imported page
(``process_orders``) in chunks of :data:`CHUNK`, one transaction per chunk:

1. the chunk's order rows and decisions are read in one query each, the pairing book once
   per chunk (again after an automatic binding), the catalog once per call;
2. every order is planned without balances (pair, expand, review), which names the stock
   SKUs the chunk needs; those are locked all at once in code order (``lock_skus``: ``FOR
   UPDATE`` on PostgreSQL, the write lock on SQLite), so two allocators never promise the
   same unit and never deadlock, and only then are their balances read, in one query;
3. each order is planned against those balances, kept current in memory as the chunk
   reserves (nobody else can move them while the locks are held); an order needing a SKU the
   chunk did not lock (paired by an automatic binding made in it) starts the next chunk; its
   status moves with one
   guarded UPDATE (another writer moved it: skipped, nothing of it written);
4. decisions, transitions, ledger movements, outbox messages and the stock-push dirty marks
   are inserted in one statement each at the end of the chunk.

What the fast path does not do itself goes through
:func:`~channelhub.jobs.orders.pipeline.process_order`, one order per transaction, exactly as
before:
an order the channel cancelled, one whose plan fails (a pairing conflict, ...), and every order
of a chunk whose writing failed (the chunk rolls back first), so a failure is recorded against
its own order, never hidden by its neighbours.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from channelhub.core.cartons import CartonView
from channelhub.core.catalog import Catalog
from channelhub.core.errors import ChannelhubError, InvalidInput
from channelhub.core.flow import OrderPlan, plan_order
from channelhub.core.geography import Origin
from channelhub.core.lifecycle import HubStatus, Transition, transition
from channelhub.core.order import ChannelOrderState, Order, OrderKey
from channelhub.core.pairing import PairingStatus
from channelhub.core.stock import Balance
from channelhub.jobs.orders.pipeline import (
    EXPANSION,
    MANUAL_APPROVAL,
    PIPELINE_STATUSES,
    PipelineCounts,
    PipelineSettings,
    expansion_detail,
    outbound_for,
    pending_order_keys,
    process_order,
)
from channelhub.jobs.orders.stopping import OUTBOUND_CREATE
from channelhub.store.repos._upsert import insert_for
from channelhub.store.repos.cartons import carton_rules
from channelhub.store.repos.catalog import load_catalog, lock_skus
from channelhub.store.repos.decisions import record_decision
from channelhub.store.repos.orders import StatusChanged, get_order_row, to_order
from channelhub.store.repos.pairings import load_book, save_binding
from channelhub.store.repos.rollups import sales_rollup_status, stock_rollup_add
from channelhub.store.repos.stock import stock_balances, warehouse_origins
from channelhub.store.repos.stock_sync import mark_dirty
from channelhub.store.repos.txnotes import OUTBOX_TARGETS_KEY, note
from channelhub.store.repos.warehouses import unknown_stock_warehouses
from channelhub.store.tables.orderflow import OrderDecisionRow
from channelhub.store.tables.orders import OrderRow, OrderTransitionRow
from channelhub.store.tables.outbox import OutboxMessage, OutboxState
from channelhub.store.tables.stock import StockMovementRow

#: Orders per transaction: large enough to share the reads and inserts, small enough to hold
#: the stock locks briefly.
CHUNK = 100

OnFailure = Callable[[OrderKey, str], None]
_PIPELINE_VALUES = frozenset(s.value for s in PIPELINE_STATUSES)


class OutboxCollision(ChannelhubError):
    """A warehouse-order key the fast path computed is already queued: plan one by one."""


@dataclass
class _Chunk:
    """What one chunk writes at its end, in insertion order."""

    decisions: list[dict[str, Any]] = field(default_factory=list)
    transitions: list[dict[str, Any]] = field(default_factory=list)
    movements: list[dict[str, Any]] = field(default_factory=list)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    done: list[tuple[OrderKey, OrderPlan | None]] = field(default_factory=list)
    one_by_one: list[OrderKey] = field(default_factory=list)


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
    catalog: Catalog | None = None
    pending = list(dict.fromkeys(keys))
    while pending:
        chunk_keys, pending = pending[:CHUNK], pending[CHUNK:]
        chunk = _Chunk()
        try:
            with session_factory() as session, session.begin():
                if catalog is None:
                    catalog = load_catalog(session)
                rest = _run_chunk(session, chunk_keys, chunk, catalog, settings=settings, now=now)
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
    rows = session.execute(
        select(OrderDecisionRow.order_id, OrderDecisionRow.kind, OrderDecisionRow.reason)
        .add_columns(OrderDecisionRow.detail)
        .where(OrderDecisionRow.order_id.in_(order_ids))
    )
    for order_id, kind, reason, detail in rows:
        history = histories[order_id]
        history.known.add((kind, reason))
        history.approved_by_hand |= kind == MANUAL_APPROVAL
        if kind == "dispatch":  # every queued warehouse order has its dispatch decision
            tail = str((detail or {}).get("idempotency_key", "")).rsplit("r", 1)[-1]
            history.revision = max(history.revision, int(tail) if tail.isdigit() else 0)
    return histories


def _run_chunk(
    session: Session,
    keys: list[OrderKey],
    chunk: _Chunk,
    catalog: Catalog,
    *,
    settings: PipelineSettings,
    now: datetime,
) -> list[OrderKey]:
    """Plan and write one chunk; returns the keys left for the next chunk."""
    rows = _rows(session, keys)
    histories = _histories(session, [row.id for row in rows.values()])
    book, book_version = load_book(session), 0
    origins = warehouse_origins(session)
    unknown = unknown_stock_warehouses(session)
    packs = carton_rules(session)
    orders: list[tuple[OrderKey, OrderRow, Order, OrderPlan]] = []
    for key in keys:
        row = rows.get(key)
        if row is None or row.channel_state == ChannelOrderState.CANCELLED.value:
            chunk.one_by_one.append(key)  # not found, or cancelled: the classic path
            continue
        if row.hub_status not in _PIPELINE_VALUES:
            chunk.done.append((key, None))  # not the pipeline's to move (process_order: None)
            continue
        order = to_order(row)
        try:
            first = _plan(
                order, key, catalog, book, settings, histories[row.id], {}, now, origins, unknown,
                packs,
            )  # fmt: skip
        except ChannelhubError:
            chunk.one_by_one.append(key)
            continue
        orders.append((key, row, order, first))
    locked = {
        x.sku for *_, first in orders if first.status is HubStatus.APPROVED for x in first.expanded
    }
    lock_skus(session, locked)
    balances = stock_balances(session, skus=locked) if locked else {}
    warehouses = set(origins)
    dirty: set[str] = set()
    rest: list[OrderKey] = []
    for index, (key, row, order, first) in enumerate(orders):
        history = histories[row.id]
        try:
            if book_version:  # an automatic binding made in this chunk may pair it now
                first = _plan(
                    order, key, catalog, book, settings, history, {}, now, origins, unknown, packs
                )
            needed = {x.sku for x in first.expanded}
            plan = first
            if needed and first.status is HubStatus.APPROVED:  # past pairing and review
                if not needed <= locked:  # not locked by this chunk: the next chunk's
                    rest = [k for k, *_ in orders[index:]]
                    break
                plan = _plan(
                    order, key, catalog, book, settings, history, balances, now, origins, unknown,
                    packs,
                )  # fmt: skip
        except ChannelhubError:
            chunk.one_by_one.append(key)
            continue
        if not _move(session, row, order.hub_status, plan, chunk, now):
            chunk.done.append((key, None))  # another writer moved it: nothing of it written
            continue
        # plan.new_bindings also names automatic bindings the book already holds (saving
        # those again is a no-op): only the newly proposed ones are saved, then re-read
        proposed = [p.binding for p in plan.pairings if p.status is PairingStatus.AUTO_BOUND]
        for binding in dict.fromkeys(b for b in proposed if b is not None):
            save_binding(session, binding, now=now, actor="auto-pairing")
        if proposed:
            book, book_version = load_book(session), book_version + 1
        for kind, reason in plan.decisions():
            if (kind, reason) not in history.known:
                chunk.decisions.append(_decision(row.id, kind, reason, now))
        if plan.status is HubStatus.ALLOCATED and plan.reservation is not None:
            _reserve(plan, order, row.id, history, chunk, balances, warehouses, dirty, now)
        chunk.done.append((key, plan))
    _write(session, chunk, dirty, now)
    return rest


def _rows(session: Session, keys: list[OrderKey]) -> dict[OrderKey, OrderRow]:
    """The chunk's order rows in one query (IN lists on the natural key's index)."""
    wanted = set(keys)
    query = select(OrderRow).where(
        OrderRow.channel.in_({k.channel for k in keys}),
        OrderRow.account.in_({k.account for k in keys}),
        OrderRow.external_id.in_([k.external_id for k in keys]),
    )
    found: dict[OrderKey, OrderRow] = {}
    for row in session.scalars(query):
        key = OrderKey(channel=row.channel, account=row.account, external_id=row.external_id)
        if key in wanted:
            found[key] = row
    return found


def _plan(
    order: Order,
    key: OrderKey,
    catalog: Catalog,
    book: Any,
    settings: PipelineSettings,
    history: _History,
    balances: dict[tuple[str, str], Balance],
    now: datetime,
    origins: dict[str, Origin],
    unknown: frozenset[str],
    cartons: CartonView,
) -> OrderPlan:
    return plan_order(
        order,
        catalog=catalog,
        book=book,
        pairing_config=settings.pairing,
        review_rules=settings.review,
        allocation_config=settings.allocation,
        balances=balances,
        now=now,
        reference=str(key),
        approved_by_hand=history.approved_by_hand,
        origins=origins,
        stock_unknown=unknown,
        cartons=cartons,
        quotes=settings.quotes.get(str(key)),
    )


def _decision(
    order_id: int, kind: str, reason: str, now: datetime, detail: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "kind": kind,
        "reason": reason,
        "detail": detail or {},
        "actor": "hub",
        "at": now,
    }


def _move(
    session: Session,
    row: OrderRow,
    current: HubStatus,
    plan: OrderPlan,
    chunk: _Chunk,
    now: datetime,
) -> bool:
    """Move the status with one guarded UPDATE; False when another writer moved it first."""
    target = plan.status
    if current is target:
        return True
    path = [target]
    if target is HubStatus.ALLOCATED and current is not HubStatus.APPROVED:
        path = [HubStatus.APPROVED, HubStatus.ALLOCATED]
    moves: list[Transition] = []
    step_from = current
    subject = f"order {row.channel}:{row.account}:{row.external_id}"
    for step in path:
        moves.append(
            transition(
                step_from,
                step,
                reason=plan.reason,
                at=now,
                actor="hub",
                channel_fulfilled=row.fulfilled_by == "channel",
                subject=subject,
            )
        )
        step_from = step
    changed = session.execute(
        update(OrderRow)
        .where(OrderRow.id == row.id, OrderRow.hub_status == current.value)
        .values(hub_status=target.value, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if not getattr(changed, "rowcount", 0):
        return False
    sales_rollup_status(session, [row.id], current, target)
    chunk.transitions += [
        {
            "order_id": row.id,
            "from_status": m.from_status.value,
            "to_status": m.to_status.value,
            "reason": m.reason,
            "actor": m.actor,
            "at": m.at,
        }
        for m in moves
    ]
    return True


def _reserve(
    plan: OrderPlan,
    order: Order,
    order_id: int,
    history: _History,
    chunk: _Chunk,
    balances: dict[tuple[str, str], Balance],
    warehouses: set[str],
    dirty: set[str],
    now: datetime,
) -> None:
    """The order's reservation (kept in ``balances``) and one outbound order per part."""
    assert plan.reservation is not None and plan.allocation is not None
    assert order.ship_to is not None  # allocated implies both
    for movement in plan.reservation.movements:
        if movement.warehouse not in warehouses:
            raise InvalidInput.field("warehouse", movement.warehouse, "is not a known warehouse")
        chunk.movements.append(
            {
                "warehouse": movement.warehouse,
                "sku": movement.sku,
                "kind": movement.kind.value,
                "quantity": movement.quantity,
                "reason": movement.reason,
                "reference": movement.reference,
                "dedupe_key": None,
                "at": movement.at,
                "recorded_at": now,
            }
        )
        key = (movement.warehouse, movement.sku)
        old = balances.get(key) or Balance(warehouse=movement.warehouse, sku=movement.sku)
        d_on_hand, d_reserved = movement.deltas()
        balances[key] = old.model_copy(
            update={"on_hand": old.on_hand + d_on_hand, "reserved": old.reserved + d_reserved}
        )
        dirty.add(movement.sku)
    revision = history.revision + 1
    for decision in plan.allocation.decisions:
        outbound = outbound_for(order, decision, revision)
        chunk.outbox.append(
            {
                "idempotency_key": outbound.idempotency_key,
                "target": f"warehouse:{decision.warehouse}",
                "kind": OUTBOUND_CREATE,
                "payload": outbound.model_dump(mode="json"),
                "state": OutboxState.PENDING.value,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                "updated_at": now,
            }
        )
        chunk.decisions.append(
            _decision(
                order_id,
                "dispatch",
                f"outbound {outbound.idempotency_key} queued for {decision.warehouse}",
                now,
                {
                    "idempotency_key": outbound.idempotency_key,
                    EXPANSION: expansion_detail(plan, {x.order_line_id for x in decision.lines}),
                },
            )
        )


def _write(session: Session, chunk: _Chunk, dirty: set[str], now: datetime) -> None:
    """One INSERT per table for the whole chunk; a warehouse order already queued under a
    computed key (never silently dropped) sends the chunk down the one-by-one path."""
    if chunk.outbox:
        statement = (
            insert_for(session, OutboxMessage.__table__)
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(OutboxMessage.__table__.c.idempotency_key)
        )
        stored = set(session.scalars(statement, chunk.outbox).all())
        missing = {m["idempotency_key"] for m in chunk.outbox} - stored
        if missing:
            raise OutboxCollision(f"warehouse orders already queued: {', '.join(sorted(missing))}")
        # what the commit defers (the distributed engine): the dispatch of these warehouses
        note(session, OUTBOX_TARGETS_KEY, {m["target"] for m in chunk.outbox})
    for model, rows in (
        (OrderDecisionRow, chunk.decisions),
        (OrderTransitionRow, chunk.transitions),
        (StockMovementRow, chunk.movements),
    ):
        if rows:
            session.execute(insert(model), rows)
    stock_rollup_add(session, chunk.movements)  # the reports' daily sums, same transaction
    if dirty:
        mark_dirty(session, dirty, now=now)
    session.expire_all()


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
