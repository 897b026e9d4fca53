"""Everything known about one order, read once for ``channelhub orders show`` and the
console's order page: its history (status transitions and decisions, each with its reason,
in the order they happened), its parts (warehouse orders, each revision and cancel with the
warehouse's answer), its packages and their tracking (one step per distinct event).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from channelhub.core.fulfilment import TrackingEvent
from channelhub.core.order import Order, OrderKey
from channelhub.jobs.orders.stopping import OUTBOUND_CANCEL, OUTBOUND_CREATE
from channelhub.store.repos.decisions import order_decisions
from channelhub.store.repos.fulfilment import tracking_timeline
from channelhub.store.repos.orders import get_order_row, order_history, to_order
from channelhub.store.tables.fulfilment import OutboundOrderRow, PackageRow, ShipmentRow
from channelhub.store.tables.outbox import OutboxMessage


@dataclass(frozen=True)
class HistoryEvent:
    """A transition (``kind`` is ``status``) or a decision (pairing, review, allocation...)."""

    at: datetime
    kind: str
    text: str  # "new -> on_hold" for a transition, the decision's reason otherwise
    reason: str
    actor: str


@dataclass(frozen=True)
class WarehouseMessage:
    """One warehouse order (create) or cancel sent for the order, and what came back."""

    id: int
    key: str
    verb: str  # create | cancel
    target: str
    state: str
    answer: dict[str, Any]
    last_error: str | None
    request: dict[str, Any]


@dataclass(frozen=True)
class Part:
    """One warehouse order of the order (a part, a revision) and its lines."""

    key: str
    part: int
    revision: int
    warehouse: str
    state: str
    warehouse_order_id: str | None
    lines: list[tuple[str, int]]


@dataclass(frozen=True)
class Package:
    """One parcel shipped for the order."""

    shipment_id: str
    warehouse: str
    shipped_at: datetime
    tracking_number: str
    carrier: str
    service: str | None
    tracking_url: str | None


@dataclass
class OrderDetail:
    """The order page and ``orders show``, read in one session."""

    id: int
    order: Order
    history: list[HistoryEvent] = field(default_factory=list)
    messages: list[WarehouseMessage] = field(default_factory=list)
    parts: list[Part] = field(default_factory=list)
    packages: list[Package] = field(default_factory=list)
    tracking: dict[str, list[TrackingEvent]] = field(default_factory=dict)


def order_events(session: Session, order_id: int) -> list[HistoryEvent]:
    """Transitions and decisions interleaved, oldest first (a decision before a transition
    of the same instant: the decision is why the status moved)."""
    events: list[tuple[datetime, int, int, HistoryEvent]] = []
    for n, d in enumerate(order_decisions(session, order_id)):
        events.append((d.at, 0, n, HistoryEvent(d.at, d.kind, d.reason, d.reason, d.actor)))
    for n, t in enumerate(order_history(session, order_id)):
        text = f"{t.from_status.value} -> {t.to_status.value}"
        events.append((t.at, 1, n, HistoryEvent(t.at, "status", text, t.reason, t.actor)))
    return [event for *_, event in sorted(events, key=lambda e: e[:3])]


def warehouse_messages(session: Session, key: str) -> list[WarehouseMessage]:
    """Every create and cancel queued for the order's warehouse orders, oldest first."""
    rows = session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.kind.in_([OUTBOUND_CREATE, OUTBOUND_CANCEL]),
            OutboxMessage.idempotency_key.like(f"{key}#p%"),
        )
        .order_by(OutboxMessage.id)
    ).all()
    out = []
    for m in rows:
        answer = m.payload.get("answer")
        out.append(
            WarehouseMessage(
                id=m.id,
                key=m.idempotency_key,
                verb="cancel" if m.kind == OUTBOUND_CANCEL else "create",
                target=m.target,
                state=m.state,
                answer=answer if isinstance(answer, dict) else {},
                last_error=m.last_error,
                request={k: v for k, v in m.payload.items() if k != "answer"},
            )
        )
    return out


def order_parts(session: Session, key: str) -> list[Part]:
    """The order's warehouse orders (every part and revision), oldest first."""
    rows = session.scalars(
        select(OutboundOrderRow)
        .where(OutboundOrderRow.order_key == key)
        .order_by(OutboundOrderRow.part, OutboundOrderRow.revision)
    ).all()
    return [
        Part(
            key=r.idempotency_key,
            part=r.part,
            revision=r.revision,
            warehouse=r.warehouse,
            state=r.state,
            warehouse_order_id=r.warehouse_order_id,
            lines=[(line.sku, line.quantity) for line in r.lines],
        )
        for r in rows
    ]


def order_packages(session: Session, key: str) -> list[Package]:
    """Every parcel of the order's shipments, in the order they were recorded."""
    rows = session.execute(
        select(ShipmentRow, PackageRow)
        .join(PackageRow, PackageRow.shipment_id == ShipmentRow.id)
        .where(ShipmentRow.outbound_key.like(f"{key}#p%"))
        .order_by(PackageRow.id)
    ).all()
    return [
        Package(
            shipment_id=s.shipment_id,
            warehouse=s.warehouse,
            shipped_at=s.shipped_at,
            tracking_number=p.tracking_number,
            carrier=p.carrier,
            service=p.service,
            tracking_url=p.tracking_url,
        )
        for s, p in rows
    ]


def tracking_steps(session: Session, numbers: list[str]) -> dict[str, list[TrackingEvent]]:
    """Each tracking number's buyer-facing timeline: one entry per distinct step, oldest
    first (the same step reported twice is one step for the buyer)."""
    out: dict[str, list[TrackingEvent]] = {}
    for number in dict.fromkeys(numbers):
        seen: set[tuple[str, str | None]] = set()
        steps = []
        for e in tracking_timeline(session, number):
            step = (e.status.value, e.description)
            if step not in seen:
                seen.add(step)
                steps.append(e)
        if steps:
            out[number] = steps
    return out


def order_detail(session: Session, key: OrderKey) -> OrderDetail:
    """Everything about ``key`` (NotFound when it is not stored)."""
    row = get_order_row(session, key)
    text = str(key)
    packages = order_packages(session, text)
    return OrderDetail(
        id=row.id,
        order=to_order(row),
        history=order_events(session, row.id),
        messages=warehouse_messages(session, text),
        parts=order_parts(session, text),
        packages=packages,
        tracking=tracking_steps(session, [p.tracking_number for p in packages]),
    )
