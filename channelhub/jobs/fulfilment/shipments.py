"""Shipment confirmations: consume the reservation, record packages, queue one push each.

Warehouses confirm shipments by callback or when polled, and they repeat, delay and reorder
them. Everything here keys on the shipment id, so a confirmation seen a second time changes
nothing: the shipment row is inserted once (the gate), ledger movements carry a dedupe key,
and the per-package fulfilment push is an outbox message keyed by order + tracking number.
The order only moves forward (a late "partially shipped" never undoes "shipped").

Each push speaks the channel's units, not the warehouse's
(:mod:`channelhub.jobs.fulfilment.channel_units`):
a package holding only part of a bundle queues no push (the channel cannot be told half a
unit); that is recorded on the order and the bundle is reported with the package completing it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from channelhub.core.errors import InvalidInput
from channelhub.core.fulfilment import OutboundOrder, OutboundState, Shipment
from channelhub.core.lifecycle import HubStatus
from channelhub.core.reservations import consume, part_reference
from channelhub.jobs.fulfilment.channel_units import PackagePush, package_pushes
from channelhub.jobs.fulfilment.outbound import (
    FULFILMENT,
    channel_target,
    held_for,
    move_order,
    order_row,
    parse_order_key,
)
from channelhub.jobs.fulfilment.tracking import deliver_if_all_delivered
from channelhub.jobs.orders.pipeline import open_movements
from channelhub.store.repos.decisions import record_decision
from channelhub.store.repos.fulfilment import get_outbound, record_shipment, set_outbound_state
from channelhub.store.repos.outbox import enqueue
from channelhub.store.repos.stock import record_movement
from channelhub.store.tables.fulfilment import OutboundOrderRow

_NOT_LIVE = frozenset({OutboundState.REJECTED, OutboundState.CANCELLED})


@dataclass(frozen=True)
class ShipmentOutcome:
    """What applying one shipment did. ``duplicate``: it was seen before; nothing changed."""

    duplicate: bool
    order_status: HubStatus | None = None
    pushes: tuple[str, ...] = field(default_factory=tuple)  # outbox keys of the pushes queued
    deferred: tuple[str, ...] = field(default_factory=tuple)  # tracking numbers not pushed yet


def fulfilment_key(order_key: str, tracking_number: str) -> str:
    """The outbox key of one package's fulfilment push: one per order + tracking number."""
    return f"fulfilment:{order_key}:{tracking_number}"


def apply_shipment(session: Session, shipment: Shipment, *, now: datetime) -> ShipmentOutcome:
    """Apply a warehouse's shipment confirmation in the caller's transaction (idempotent).

    Raises NotFound for an outbound the hub never sent and InvalidInput when the shipment
    holds more than was reserved for it (reconciliation must look at that; nothing is
    written, and the caller keeps the raw payload to replay).
    """
    outbound, _ = get_outbound(session, shipment.outbound_key)
    if not record_shipment(session, shipment, now=now).is_new:
        row = order_row(session, outbound.order_key)
        return ShipmentOutcome(True, HubStatus(row.hub_status) if row is not None else None)
    reference = part_reference(outbound.order_key, outbound.part)
    shipped = _shipped_quantities(shipment, held_for(session, reference))
    _consume(session, shipment, outbound, reference, shipped, now)
    fully = not held_for(session, reference)
    state = OutboundState.SHIPPED if fully else OutboundState.PARTIALLY_SHIPPED
    set_outbound_state(
        session,
        outbound.idempotency_key,
        state,
        now=now,
        warehouse_order_id=shipment.warehouse_order_id,
    )
    status = _move_order(session, shipment, outbound, now)
    pushes, deferred = _queue_pushes(session, shipment, outbound, shipped, now)
    deliver_if_all_delivered(session, outbound.order_key, now=now)
    row = order_row(session, outbound.order_key)
    status = HubStatus(row.hub_status) if row is not None else status
    return ShipmentOutcome(False, status, pushes, deferred)


def _shipped_quantities(shipment: Shipment, open_: Mapping[tuple[str, str], int]) -> dict[str, int]:
    """Units per SKU the shipment holds; packages without lines ship what is still reserved."""
    shipped: dict[str, int] = {}
    for package in shipment.packages:
        for line in package.lines:
            shipped[line.sku] = shipped.get(line.sku, 0) + line.quantity
    if not shipped:
        for (_, sku), quantity in open_.items():
            shipped[sku] = shipped.get(sku, 0) + quantity
    return shipped


def _consume(
    session: Session,
    shipment: Shipment,
    outbound: OutboundOrder,
    reference: str,
    shipped: Mapping[str, int],
    now: datetime,
) -> None:
    """CONSUME what the shipment holds from the part's reservation (refused beyond it)."""
    try:
        movements = consume(
            open_movements(session, reference),
            reference,
            {(outbound.warehouse, sku): quantity for sku, quantity in shipped.items()},
            at=shipment.shipped_at,
            reason=f"shipped in {shipment.shipment_id}",
        )
    except InvalidInput as error:
        raise InvalidInput(error.problems, source=f"shipment {shipment.shipment_id}") from None
    for movement in movements:
        record_movement(
            session,
            movement,
            now=now,
            dedupe_key=(
                f"consume:{shipment.warehouse}:{shipment.shipment_id}:"
                f"{movement.reference}:{movement.sku}"
            ),
        )


def _move_order(
    session: Session, shipment: Shipment, outbound: OutboundOrder, now: datetime
) -> HubStatus | None:
    """Shipped when every live outbound of the order has shipped in full, else partly."""
    row = order_row(session, outbound.order_key)
    if row is None:
        return None
    states = session.scalars(
        select(OutboundOrderRow.state).where(OutboundOrderRow.order_key == outbound.order_key)
    )
    live = [OutboundState(s) for s in states if OutboundState(s) not in _NOT_LIVE]
    done = all(state is OutboundState.SHIPPED for state in live)
    target = HubStatus.SHIPPED if done else HubStatus.PARTIALLY_SHIPPED
    reason = f"{shipment.warehouse} shipped {shipment.shipment_id} ({outbound.idempotency_key})"
    current = HubStatus(row.hub_status)
    if current is HubStatus.ON_HOLD:  # stopped in the hub, yet the warehouse shipped it
        why = f"{reason} after the order was stopped"
        move_order(session, row, [HubStatus.EXCEPTION], reason=why, now=now)
    elif current is HubStatus.ALLOCATED:  # the dispatch outcome was not recorded yet
        move_order(session, row, [HubStatus.DISPATCHED, target], reason=reason, now=now)
    else:
        move_order(session, row, [target], reason=reason, now=now)
    return HubStatus(row.hub_status)


def _queue_pushes(
    session: Session,
    shipment: Shipment,
    outbound: OutboundOrder,
    shipped: Mapping[str, int],
    now: datetime,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """One fulfilment push per package, in channel units, keyed by order + tracking number.

    Returns the outbox keys queued and the tracking numbers deferred (no whole unit yet).
    """
    order_key = parse_order_key(outbound.order_key)
    keys = []
    deferred = []
    for push in package_pushes(session, shipment, outbound, shipped):
        number = push.package.tracking_number
        if push.deferred:
            deferred.append(number)
            _record_deferred(session, outbound, push, now)
            continue
        key = fulfilment_key(outbound.order_key, number)
        enqueue(
            session,
            idempotency_key=key,
            target=channel_target(order_key),
            kind=FULFILMENT,
            payload={
                "order_key": outbound.order_key,
                "order_external_id": order_key.external_id,
                "outbound_key": outbound.idempotency_key,
                "shipment_id": shipment.shipment_id,
                "shipped_at": shipment.shipped_at.isoformat(),
                "package": push.channel.model_dump(mode="json"),
                "stock_lines": [line.model_dump(mode="json") for line in push.stock_lines],
            },
            now=now,
        )
        keys.append(key)
    return tuple(keys), tuple(deferred)


def _record_deferred(
    session: Session, outbound: OutboundOrder, push: PackagePush, now: datetime
) -> None:
    row = order_row(session, outbound.order_key)
    if row is None:
        return
    held = ", ".join(f"{line.sku} x {line.quantity}" for line in push.stock_lines) or "nothing"
    record_decision(
        session,
        row.id,
        kind="fulfilment_deferred",
        at=now,
        actor="shipments",
        reason=(
            f"package {push.package.tracking_number} ({held}) completes no channel unit: "
            "part of a bundle still to ship; the channel hears of it with the package that "
            "completes it"
        ),
        detail={
            "tracking_number": push.package.tracking_number,
            "stock_lines": [line.model_dump(mode="json") for line in push.stock_lines],
        },
    )
