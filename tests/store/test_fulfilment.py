"""Outbound orders, shipments and tracking events are each stored once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from channelhub.core.errors import InvalidInput
from channelhub.core.models import (
    Address,
    Money,
    OutboundLine,
    OutboundOrder,
    OutboundState,
    Package,
    PackageLine,
    Shipment,
    TrackingEvent,
    TrackingStatus,
)
from channelhub.store.repos.fulfilment import (
    get_outbound,
    record_shipment,
    record_tracking_events,
    save_outbound,
    set_outbound_state,
    tracking_timeline,
)
from channelhub.store.tables.fulfilment import OutboundLineRow, PackageRow

T0 = datetime(2026, 3, 1, tzinfo=UTC)
ORDER_KEY = "shopify:shop-eu:5678901234567890123"
KEY = OutboundOrder.make_key(ORDER_KEY, 1, 1)
OUTBOUND = OutboundOrder(
    idempotency_key=KEY,
    order_key=ORDER_KEY,
    warehouse="DE-1",
    ship_to=Address(name="A", line1="B", city="C", country="DE"),
    lines=(OutboundLine(sku="MUG", quantity=2, order_line_id="L1"),),
    cash_on_delivery=Money.of("39.98", "EUR"),
)


def test_outbound_saved_once_and_tracked(session: Session) -> None:
    first = save_outbound(session, OUTBOUND, now=T0)
    again = save_outbound(session, OUTBOUND, now=T0)
    assert first.is_new and again == (first.id, False)
    assert session.scalar(select(func.count()).select_from(OutboundLineRow)) == 1
    set_outbound_state(session, KEY, OutboundState.ACCEPTED, now=T0, warehouse_order_id="W-77")
    session.commit()
    assert get_outbound(session, KEY) == (OUTBOUND, OutboundState.ACCEPTED)


def test_same_part_under_another_key_is_refused(session: Session) -> None:
    save_outbound(session, OUTBOUND, now=T0)
    clash = OUTBOUND.model_copy(update={"idempotency_key": "other-key"})
    with pytest.raises(InvalidInput, match="'other-key' differs from the stored one"):
        save_outbound(session, clash, now=T0)


def test_shipment_stored_once(session: Session) -> None:
    shipment = Shipment(
        outbound_key=KEY,
        warehouse="DE-1",
        shipment_id="S-1",
        shipped_at=T0,
        packages=(
            Package(
                tracking_number="1Z999",
                carrier="ups",
                lines=(PackageLine(sku="MUG", quantity=2),),
            ),
        ),
        costs=(Money.of("4.10", "EUR"),),
    )
    assert record_shipment(session, shipment, now=T0).is_new
    assert not record_shipment(session, shipment, now=T0).is_new
    assert session.scalars(select(PackageRow.tracking_number)).all() == ["1Z999"]


def test_tracking_events_deduplicated_and_ordered(session: Session) -> None:
    def event(minutes: int, status: TrackingStatus, code: str) -> TrackingEvent:
        return TrackingEvent(
            tracking_number="1Z999",
            carrier="ups",
            status=status,
            raw_code=code,
            occurred_at=T0 + timedelta(minutes=minutes),
        )

    events = [
        event(60, TrackingStatus.IN_TRANSIT, "I"),
        event(0, TrackingStatus.INFO_RECEIVED, "M"),
    ]
    assert record_tracking_events(session, events, now=T0) == 2
    more = [*events, event(120, TrackingStatus.DELIVERED, "D")]
    assert record_tracking_events(session, more, now=T0) == 1
    timeline = tracking_timeline(session, "1Z999")
    assert [e.status for e in timeline] == [
        TrackingStatus.INFO_RECEIVED,
        TrackingStatus.IN_TRANSIT,
        TrackingStatus.DELIVERED,
    ]
