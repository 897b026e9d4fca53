"""Outbounds queued without a recorded expansion (before it was recorded, or by hand)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from channelhub.core.errors import InvalidInput
from channelhub.core.models import OutboundLine, Package, PackageLine, Shipment
from channelhub.jobs.fulfilment.shipments import apply_shipment
from channelhub.store.db import make_session_factory
from channelhub.store.repos.fulfilment import save_outbound
from channelhub.store.tables.outbox import OutboxMessage
from tests.jobs.dispatch_fakes import T0, WH, outbound, seed_allocated


def shipped(session: Session, key: str, *lines: tuple[str, int]) -> None:
    apply_shipment(
        session,
        Shipment(
            outbound_key=key,
            warehouse=WH,
            shipment_id="S-1",
            shipped_at=T0,
            packages=(
                Package(
                    tracking_number="1Z-1",
                    carrier="UPS",
                    lines=tuple(PackageLine(sku=s, quantity=q) for s, q in lines),
                ),
            ),
        ),
        now=T0,
    )


def test_units_per_channel_unit_come_from_the_stored_order_line(engine: Engine) -> None:
    out = outbound((("MUG", 4),))  # order line L1 has 2 units: 2 mugs each
    with make_session_factory(engine)() as session:
        seed_allocated(session, out)
        save_outbound(session, out, now=T0)
        shipped(session, out.idempotency_key, ("MUG", 2))
        message = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "fulfilment"))
        assert message.one().payload["package"]["lines"] == [
            {"sku": "MUG", "quantity": 1, "order_line_id": "L1"}
        ]


def test_a_bundle_whose_unit_cannot_be_told_is_refused_by_name(engine: Engine) -> None:
    out = outbound((("MUG", 3),))
    out = out.model_copy(
        update={"lines": (*out.lines, OutboundLine(sku="CUP", quantity=1, order_line_id="L1"))}
    )
    with make_session_factory(engine)() as session:
        seed_allocated(session, out)
        save_outbound(session, out, now=T0)
        with pytest.raises(InvalidInput, match="order line L1 \\(CUP, MUG\\) does not divide"):
            shipped(session, out.idempotency_key, ("MUG", 3), ("CUP", 1))
