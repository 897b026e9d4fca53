"""The store-driven order pipeline: pair -> expand -> review -> allocate -> reserve -> outbox.

The decisions are made by :func:`channelhub.core.flow.plan_order`; this module reads what it
needs, takes the stock locks, and applies the plan in the caller's transaction: automatic
bindings saved (versioned), every decision recorded with its reason, the status moved through
the lifecycle, reservation movements written, and one outbound order per part enqueued in the
outbox — all or nothing, so a crash between "allocated" and "sent" loses and doubles nothing.

Concurrency: the stock SKUs an order needs are locked (``SELECT ... FOR UPDATE`` on PostgreSQL,
the write lock on SQLite) before the balances are read, so two allocators never promise the
same unit; a status changed by another writer raises StatusChanged and the caller rolls back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from channelhub.core.allocation import AllocationDecision
from channelhub.core.catalog import ExpandedLine
from channelhub.core.flow import LineOutcome, LineState, OrderPlan
from channelhub.core.fulfilment import OutboundLine, OutboundOrder
from channelhub.core.lifecycle import OPEN_STATUSES, HubStatus
from channelhub.core.order import ChannelOrderState, Order, OrderKey
from channelhub.jobs.orders.planner import PipelineSettings as PipelineSettings
from channelhub.jobs.orders.planner import Planner
from channelhub.jobs.orders.stopping import OUTBOUND_CANCEL as OUTBOUND_CANCEL
from channelhub.jobs.orders.stopping import OUTBOUND_CREATE as OUTBOUND_CREATE
from channelhub.jobs.orders.stopping import open_movements as open_movements
from channelhub.jobs.orders.stopping import stop_derived
from channelhub.jobs.orders.stopping import stop_order as stop_order
from channelhub.store.repos.catalog import lock_skus
from channelhub.store.repos.decisions import order_decisions, record_decision
from channelhub.store.repos.orders import get_order_row, to_order, transition_order
from channelhub.store.repos.outbox import enqueue
from channelhub.store.repos.pairings import save_binding
from channelhub.store.repos.stock import positions, record_movement
from channelhub.store.tables.orders import PENDING_SQL, OrderRow
from channelhub.store.tables.outbox import OutboxMessage

#: Statuses the pipeline picks up by itself; on_hold waits for a person.
PIPELINE_STATUSES = frozenset({HubStatus.NEW, HubStatus.AWAITING_PAIRING, HubStatus.APPROVED})
MANUAL_APPROVAL = "manual_approval"
#: The key, in a ``dispatch`` decision's detail, of the expansion its outbound was made from.
EXPANSION = "expansion"
_EXPANDED_LINES: TypeAdapter[list[ExpandedLine]] = TypeAdapter(list[ExpandedLine])


@dataclass
class PipelineCounts:
    """What one pipeline run did, by resulting status; ``failed`` lists order and reason."""

    by_status: dict[str, int] = field(default_factory=dict)
    skipped: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)


def process_order(
    session: Session,
    key: OrderKey,
    *,
    settings: PipelineSettings,
    now: datetime,
    actor: str = "hub",
    approved_by_hand: bool = False,
) -> OrderPlan | None:
    """Plan and apply one order in the caller's transaction; None when it is not ours to move.

    ``approved_by_hand`` (``orders approve`` / ``release``) skips the review rules once.
    """
    row = get_order_row(session, key)
    order = to_order(row)
    status = order.hub_status
    cancelled = order.channel_state is ChannelOrderState.CANCELLED
    if cancelled and status in OPEN_STATUSES:
        return _cancel(session, row.id, order, now=now, actor=actor)
    if status not in PIPELINE_STATUSES and not (approved_by_hand and status is HubStatus.ON_HOLD):
        return None
    if approved_by_hand:
        record_decision(
            session,
            row.id,
            kind=MANUAL_APPROVAL,
            at=now,
            actor=actor,
            reason=f"approved by {actor}: review rules skipped",
        )
    else:
        approved_by_hand = _manually_approved(session, row.id)
    planner = Planner.load(session, settings, orders=[order])
    first = planner.until_stock(order, key, approved_by_hand=approved_by_hand, now=now)
    needed = {line.sku for line in first.expanded}
    result = first
    if needed and first.status is HubStatus.APPROVED:  # past pairing and review: needs stock
        lock_skus(session, needed)
        result = planner.with_stock(order, key, first, positions(session, needed), now=now)
    _apply(session, row.id, order, result, now=now, actor=actor)
    return result


def _manually_approved(session: Session, order_id: int) -> bool:
    """Whether a person approved the order (the approval outlives a wait for stock)."""
    return any(d.kind == MANUAL_APPROVAL for d in order_decisions(session, order_id))


def _apply(
    session: Session, order_id: int, order: Order, plan: OrderPlan, *, now: datetime, actor: str
) -> None:
    for binding in plan.new_bindings:
        save_binding(session, binding, now=now, actor="auto-pairing")
    known = {(d.kind, d.reason) for d in order_decisions(session, order_id)}
    for kind, reason in plan.decisions():
        if (kind, reason) not in known:  # a retry that decides the same adds no noise
            record_decision(session, order_id, kind=kind, reason=reason, at=now, actor=actor)
    _move(
        session, order_id, order.hub_status, plan.status, reason=plan.reason, now=now, actor=actor
    )
    if plan.status is not HubStatus.ALLOCATED or plan.reservation is None:
        return
    for movement in plan.reservation.movements:
        record_movement(session, movement, now=now)
    assert plan.allocation is not None and order.ship_to is not None  # allocated implies both
    revision = _next_revision(session, str(order.key))
    for decision in plan.allocation.decisions:
        outbound = outbound_for(order, decision, revision)
        enqueue(
            session,
            idempotency_key=outbound.idempotency_key,
            target=f"warehouse:{decision.warehouse}",
            kind=OUTBOUND_CREATE,
            payload=outbound.model_dump(mode="json"),
            now=now,
        )
        record_decision(
            session,
            order_id,
            kind="dispatch",
            at=now,
            actor=actor,
            reason=f"outbound {outbound.idempotency_key} queued for {decision.warehouse}",
            detail={
                "idempotency_key": outbound.idempotency_key,
                EXPANSION: expansion_detail(plan, {x.order_line_id for x in decision.lines}),
            },
        )


def expansion_detail(plan: OrderPlan, line_ids: set[str]) -> list[dict[str, object]]:
    """The expansion of the order lines one outbound carries, as recorded with its dispatch.

    The shipment side converts shipped stock units back into channel units with it
    (:mod:`channelhub.core.units`), so a listing re-bound later cannot change the answer.
    """
    carried = [x for x in plan.expanded if x.order_line_id in line_ids]
    dumped: list[dict[str, object]] = _EXPANDED_LINES.dump_python(carried, mode="json")
    return dumped  # one call, not one per line


def _next_revision(session: Session, order_key: str) -> int:
    """1 + the highest revision already queued for this order (a re-allocation is new)."""
    keys = session.scalars(
        select(OutboxMessage.idempotency_key).where(
            OutboxMessage.kind == OUTBOUND_CREATE,
            OutboxMessage.idempotency_key.like(f"{order_key}#p%"),
        )
    ).all()
    revisions = [int(k.rsplit("r", 1)[1]) for k in keys if k.rsplit("r", 1)[1].isdigit()]
    return max(revisions, default=0) + 1


def _move(
    session: Session,
    order_id: int,
    current: HubStatus,
    target: HubStatus,
    *,
    reason: str,
    now: datetime,
    actor: str,
) -> None:
    if current is target:
        return
    path = [target]
    if target is HubStatus.ALLOCATED and current is not HubStatus.APPROVED:
        path = [HubStatus.APPROVED, HubStatus.ALLOCATED]
    for step in path:
        transition_order(session, order_id, step, reason=reason, at=now, actor=actor)


def _cancel(
    session: Session, order_id: int, order: Order, *, now: datetime, actor: str
) -> OrderPlan:
    reason = f"cancelled on the channel ({order.channel_status})"
    stop_order(session, order.key, target=HubStatus.CANCELLED, reason=reason, now=now, actor=actor)
    stop_derived(session, order_id, reason=reason, now=now, actor=actor)  # split / merged away
    return plan_order_cancelled(order, reason)


def plan_order_cancelled(order: Order, reason: str) -> OrderPlan:
    """The plan that records an order cancelled by its channel."""
    lines = tuple(
        LineOutcome(line_id=line.line_id, state=LineState.CANCELLED, reason=reason)
        for line in order.lines
    )
    return OrderPlan(status=HubStatus.CANCELLED, reason=reason, lines=lines)


def pending_order_keys(
    session: Session, *, limit: int, account: str | None = None
) -> list[OrderKey]:
    """Orders the pipeline should look at: open ones, and open ones the channel cancelled
    (of one account when ``account`` is given), oldest first, read on ``ix_orders_pending``
    (``_account``): a run reads its ``limit`` rows and stops, whatever the backlog."""
    rows = session.execute(_pending_query(session, account), {"limit": limit, "account": account})
    return _ORDER_KEYS.validate_python(
        [{"channel": c, "account": a, "external_id": e} for c, a, e in rows]
    )


#: A run's keys validated in one call: OrderKey's checks, without a Python call per key.
_ORDER_KEYS: TypeAdapter[list[OrderKey]] = TypeAdapter(list[OrderKey])


def _pending_query(session: Session, account: str | None) -> Any:
    """The WHERE is ``PENDING_SQL`` verbatim (the partial indexes' own text). SQLite, which
    without ``ANALYZE`` statistics sorted the backlog read on the status index instead, is
    told the index (``INDEXED BY``: an error rather than a silent sort if it cannot be used);
    PostgreSQL's planner picks it by cost (an index-only scan at 20,000 orders)."""
    index = "ix_orders_pending_account" if account is not None else "ix_orders_pending"
    hint = f" INDEXED BY {index}" if session.get_bind().dialect.name == "sqlite" else ""
    of_account = " AND account = :account" if account is not None else ""
    return text(
        f"SELECT channel, account, external_id FROM orders{hint} WHERE ({PENDING_SQL})"
        f"{of_account} ORDER BY placed_at, id LIMIT :limit"
    )


def count_orders(session: Session, status: HubStatus) -> int:
    """How many orders are in ``status`` (for summaries)."""
    return int(
        session.scalar(
            select(func.count()).select_from(OrderRow).where(OrderRow.hub_status == status.value)
        )
        or 0
    )


#: An outbound order's lines validated in one call, not one model's call per line.
_OUTBOUND_LINES: TypeAdapter[tuple[OutboundLine, ...]] = TypeAdapter(tuple[OutboundLine, ...])


def outbound_for(order: Order, decision: AllocationDecision, revision: int) -> OutboundOrder:
    """The warehouse instruction for one allocated part of one revision of ``order``."""
    assert order.ship_to is not None  # an order is only allocated with an address
    order_key = str(order.key)  # formatted once, used twice
    return OutboundOrder(
        idempotency_key=OutboundOrder.make_key(order_key, decision.part, revision),
        order_key=order_key,
        part=decision.part,
        revision=revision,
        warehouse=decision.warehouse,
        ship_to=order.ship_to,
        lines=_OUTBOUND_LINES.validate_python(
            [
                {"sku": x.sku, "quantity": x.quantity, "order_line_id": x.order_line_id}
                for x in decision.lines
            ]
        ),
        shipping_service=order.shipping_service,
        cash_on_delivery=order.payment.cod_amount if order.payment.cash_on_delivery else None,
        remarks=order.remarks,
        reference=order.external_id,
    )
