"""Taking back what the hub promised an order: its reservation and its queued warehouse orders.

Used by hold, cancel and intercept before dispatch (:func:`stop_order`) and by every re-plan
(a re-bind, a modified order: :func:`release_order`). Releasing writes RELEASE movements for
whatever the order still holds and queues one ``outbound_order.cancel`` per warehouse order
already queued (``<outbound key>#cancel``, so asking twice queues it once); the outbox sender
cancels at the warehouse whatever it had already sent.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from channelhub.core.errors import ChannelhubError
from channelhub.core.lifecycle import OPEN_STATUSES, HubStatus
from channelhub.core.order import OrderKey
from channelhub.core.reservations import release
from channelhub.core.stock import MovementKind, StockMovement
from channelhub.store.repos.catalog import lock_skus
from channelhub.store.repos.decisions import order_decisions, record_decision
from channelhub.store.repos.orders import get_order_row, transition_order
from channelhub.store.repos.outbox import enqueue
from channelhub.store.repos.stock import record_movement
from channelhub.store.tables.outbox import OutboxMessage
from channelhub.store.tables.stock import StockMovementRow

OUTBOUND_CREATE = "outbound_order.create"
OUTBOUND_CANCEL = "outbound_order.cancel"


def cancel_key(outbound_key: str) -> str:
    """The outbox key of the cancel of one warehouse order."""
    return f"{outbound_key}#cancel"


def open_movements(session: Session, order_key: str) -> list[StockMovement]:
    """The ledger entries of one order (all parts), for release and consume."""
    rows = session.scalars(
        select(StockMovementRow).where(
            or_(
                StockMovementRow.reference == order_key,
                StockMovementRow.reference.like(f"{order_key}#%"),
            )
        )
    )
    return [
        StockMovement(
            warehouse=r.warehouse,
            sku=r.sku,
            kind=MovementKind(r.kind),
            quantity=r.quantity,
            reason=r.reason,
            reference=r.reference,
            at=r.at,
        )
        for r in rows
    ]


def outbound_messages(session: Session, order_key: str) -> list[OutboxMessage]:
    """Every warehouse order (create) queued for ``order_key``, every revision and part."""
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.kind == OUTBOUND_CREATE,
                OutboxMessage.idempotency_key.like(f"{order_key}#p%"),
            )
            .order_by(OutboxMessage.id)
        )
    )


def queue_cancels(
    session: Session,
    order_key: str,
    *,
    reason: str,
    now: datetime,
    extra: dict[str, str] | None = None,
) -> list[str]:
    """Queue the cancel of every warehouse order of ``order_key``; the outbound keys asked."""
    asked: list[str] = []
    for message in outbound_messages(session, order_key):
        enqueue(
            session,
            idempotency_key=cancel_key(message.idempotency_key),
            target=message.target,
            kind=OUTBOUND_CANCEL,
            payload={
                "idempotency_key": message.idempotency_key,
                "order_key": order_key,
                "reason": reason,
                **(extra or {}),
            },
            now=now,
        )
        asked.append(message.idempotency_key)
    return asked


def release_order(
    session: Session, order_id: int, key: OrderKey, *, reason: str, now: datetime, actor: str
) -> tuple[StockMovement, ...]:
    """Release the order's reservation and cancel its queued warehouse orders; record why.

    Leaves the status alone (the caller moves it). Runs in the caller's transaction.
    """
    movements = release(open_movements(session, str(key)), str(key), at=now, reason=reason)
    if movements:
        lock_skus(session, {m.sku for m in movements})
    for movement in movements:
        record_movement(session, movement, now=now)
    cancelled = queue_cancels(session, str(key), reason=reason, now=now)
    record_decision(
        session,
        order_id,
        kind="stop",
        reason=reason,
        at=now,
        actor=actor,
        detail={
            "released": [m.model_dump(mode="json") for m in movements],
            "cancelled_outbound": cancelled,
        },
    )
    return movements


def stop_order(
    session: Session,
    key: OrderKey,
    *,
    target: HubStatus,
    reason: str,
    now: datetime,
    actor: str,
) -> tuple[StockMovement, ...]:
    """Hold, cancel or intercept an order the hub still owns: release its reservation, cancel
    its queued outbound orders, move it to ``target`` (on_hold or cancelled), record why.

    An order already dispatched is the warehouse's to stop (intercept via its connector).
    """
    row = get_order_row(session, key)
    current = HubStatus(row.hub_status)
    if current not in OPEN_STATUSES:
        raise ChannelhubError(
            f"order {key} is {current.value}: only the warehouse can stop it now (intercept)"
        )
    movements = release_order(session, row.id, key, reason=reason, now=now, actor=actor)
    if current is not target:
        transition_order(session, row.id, target, reason=reason, at=now, actor=actor)
    return movements


def derived_orders(session: Session, order_id: int) -> tuple[str, list[str]]:
    """("split" | "merge" | "", the order keys) an order was split or merged into, if in force."""
    kind, keys = "", []
    for decision in order_decisions(session, order_id):
        if decision.kind == "split_into":
            kind, keys = "split", list(decision.detail.get("children", []))
        elif decision.kind == "merged_into":
            kind, keys = "merge", [str(decision.detail.get("into", ""))]
        elif decision.kind == "unmerge":
            kind, keys = "", []
    return kind, [k for k in keys if k]


def stop_derived(
    session: Session, order_id: int, *, reason: str, now: datetime, actor: str
) -> list[str]:
    """A cancelled order's split parts are cancelled; the order it was merged into is held
    for a person (its other sources still want shipping). After dispatch the warehouse is
    asked to cancel. Returns what was done, one phrase per derived order."""
    kind, keys = derived_orders(session, order_id)
    done: list[str] = []
    for text in keys:
        channel, account, external_id = text.split(":", 2)
        key = OrderKey(channel=channel, account=account, external_id=external_id)
        row = get_order_row(session, key)
        status = HubStatus(row.hub_status)
        target = HubStatus.CANCELLED if kind == "split" else HubStatus.ON_HOLD
        why = f"{reason}: {'part of' if kind == 'split' else 'merged from'} the cancelled order"
        if status in OPEN_STATUSES:
            stop_order(session, key, target=target, reason=why, now=now, actor=actor)
            done.append(f"{key} {target.value}")
        elif status in (HubStatus.DISPATCHED, HubStatus.PARTIALLY_SHIPPED):
            asked = queue_cancels(
                session, text, reason=why, now=now, extra={"then": target.value, "actor": actor}
            )
            record_decision(
                session,
                row.id,
                kind="intercept",
                reason=f"{why}: asked the warehouse to cancel {', '.join(asked)}",
                at=now,
                actor=actor,
            )
            done.append(f"{key} intercept asked")
    return done
