"""Outbound orders, shipments and tracking events, each stored once on its natural key."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from channelhub.core.errors import InvalidInput, NotFound
from channelhub.core.fulfilment import (
    OutboundOrder,
    OutboundState,
    Shipment,
    TrackingEvent,
    TrackingStatus,
)
from channelhub.store.repos._upsert import insert_for
from channelhub.store.repos.payloads import StoredPayload as Stored
from channelhub.store.tables.fulfilment import (
    OutboundLineRow,
    OutboundOrderRow,
    PackageRow,
    ShipmentRow,
    TrackingEventRow,
)

__all__ = [
    "Stored",
    "get_outbound",
    "record_shipment",
    "record_tracking_events",
    "save_outbound",
    "set_outbound_state",
    "tracking_timeline",
]


def save_outbound(session: Session, outbound: OutboundOrder, *, now: datetime) -> Stored:
    """Store an outbound order once per idempotency key (state ``pending``)."""
    table = OutboundOrderRow.__table__
    new_id = session.execute(
        insert_for(session, table)
        .values(
            idempotency_key=outbound.idempotency_key,
            order_key=outbound.order_key,
            part=outbound.part,
            revision=outbound.revision,
            warehouse=outbound.warehouse,
            state=OutboundState.PENDING.value,
            document=outbound.model_dump(mode="json"),
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing()  # on the key, or on (order_key, part, revision)
        .returning(table.c.id)
    ).scalar_one_or_none()
    if new_id is None:
        existing = session.scalar(
            select(OutboundOrderRow.id).where(
                OutboundOrderRow.idempotency_key == outbound.idempotency_key
            )
        )
        if existing is None:  # same (order, part, revision) under another key
            raise InvalidInput.field(
                "outbound idempotency key",
                outbound.idempotency_key,
                f"differs from the stored one for {outbound.order_key} part {outbound.part} "
                f"revision {outbound.revision}",
            )
        return Stored(existing, False)
    for line in outbound.lines:
        session.add(
            OutboundLineRow(
                outbound_id=new_id,
                sku=line.sku,
                quantity=line.quantity,
                order_line_id=line.order_line_id,
            )
        )
    session.flush()
    return Stored(new_id, True)


def get_outbound(session: Session, idempotency_key: str) -> tuple[OutboundOrder, OutboundState]:
    """The stored outbound order and where it is at the warehouse."""
    row = session.scalars(
        select(OutboundOrderRow).where(OutboundOrderRow.idempotency_key == idempotency_key)
    ).one_or_none()
    if row is None:
        raise NotFound(f"outbound order {idempotency_key!r} is not in the hub")
    return OutboundOrder.model_validate(row.document, strict=False), OutboundState(row.state)


def set_outbound_state(
    session: Session,
    idempotency_key: str,
    state: OutboundState,
    *,
    now: datetime,
    warehouse_order_id: str | None = None,
) -> None:
    """Record what the warehouse says about an outbound order."""
    values: dict[str, object] = {"state": state.value, "updated_at": now}
    if warehouse_order_id is not None:
        values["warehouse_order_id"] = warehouse_order_id
    result = session.execute(
        update(OutboundOrderRow)
        .where(OutboundOrderRow.idempotency_key == idempotency_key)
        .values(values)
        .execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 0):
        raise NotFound(f"outbound order {idempotency_key!r} is not in the hub")
    session.expire_all()


def record_shipment(session: Session, shipment: Shipment, *, now: datetime) -> Stored:
    """Store a shipment (with its packages) once per (warehouse, shipment id)."""
    table = ShipmentRow.__table__
    new_id = session.execute(
        insert_for(session, table)
        .values(
            warehouse=shipment.warehouse,
            shipment_id=shipment.shipment_id,
            outbound_key=shipment.outbound_key,
            warehouse_order_id=shipment.warehouse_order_id,
            shipped_at=shipment.shipped_at,
            costs=[cost.model_dump(mode="json") for cost in shipment.costs],
            recorded_at=now,
        )
        .on_conflict_do_nothing(index_elements=["warehouse", "shipment_id"])
        .returning(table.c.id)
    ).scalar_one_or_none()
    if new_id is None:
        existing = session.scalar(
            select(ShipmentRow.id).where(
                ShipmentRow.warehouse == shipment.warehouse,
                ShipmentRow.shipment_id == shipment.shipment_id,
            )
        )
        assert existing is not None  # the conflict proves it exists
        return Stored(existing, False)
    for package in shipment.packages:
        session.add(
            PackageRow(
                shipment_id=new_id,
                package_id=package.package_id,
                tracking_number=package.tracking_number,
                carrier=package.carrier,
                service=package.service,
                weight_grams=package.weight_grams,
                tracking_url=package.tracking_url,
                lines=[line.model_dump(mode="json") for line in package.lines],
            )
        )
    session.flush()
    return Stored(new_id, True)


def record_tracking_events(
    session: Session, events: Iterable[TrackingEvent], *, now: datetime
) -> int:
    """Store tracking events; the same scan reported again is skipped. Returns how many were new."""
    table = TrackingEventRow.__table__
    new = 0
    for event in events:
        inserted = session.execute(
            insert_for(session, table)
            .values(
                tracking_number=event.tracking_number,
                carrier=event.carrier,
                status=event.status.value,
                raw_code=event.raw_code,
                description=event.description,
                location=event.location,
                occurred_at=event.occurred_at,
                recorded_at=now,
            )
            .on_conflict_do_nothing(
                index_elements=["carrier", "tracking_number", "occurred_at", "raw_code"]
            )
            .returning(table.c.id)
        ).scalar_one_or_none()
        new += inserted is not None
    return new


def tracking_timeline(session: Session, tracking_number: str) -> list[TrackingEvent]:
    """Every stored event of one tracking number, oldest first."""
    rows = session.scalars(
        select(TrackingEventRow)
        .where(TrackingEventRow.tracking_number == tracking_number)
        .order_by(TrackingEventRow.occurred_at, TrackingEventRow.id)
    )
    return [
        TrackingEvent(
            tracking_number=row.tracking_number,
            carrier=row.carrier,
            status=TrackingStatus(row.status),
            raw_code=row.raw_code,
            description=row.description,
            location=row.location,
            occurred_at=row.occurred_at,
        )
        for row in rows
    ]
