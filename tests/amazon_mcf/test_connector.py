"""The MCF / FBA connector against its simulator: every request validated against the vendored
Swagger models; idempotent create by sellerFulfillmentOrderId; cancel, hold and release;
shipments, packages and tracking; unfulfillable outcomes; preview; inventory incremental."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from channelhub.connectors.amazon_mcf import McfRejected
from channelhub.core.fulfilment import OutboundState, TrackingStatus
from channelhub.core.models import Address, OutboundLine, OutboundOrder
from channelhub.mappings.amazon_mcf import fulfillment_order_id
from tests.amazon_mcf.harness import make_rig

pytestmark = pytest.mark.anyio
SHIP_TO = Address(
    name="Ana Diaz",
    line1="1 Main St",
    city="Austin",
    region="TX",
    postal_code="78701",
    country="US",
    email="ana@example.com",
)


def outbound(key: str = "shopify:shop-us:5678901234567890123#p1r1", **lines: int) -> OutboundOrder:
    return OutboundOrder(
        idempotency_key=key,
        order_key=key.split("#")[0],
        warehouse="FBA-US",
        ship_to=SHIP_TO,
        lines=tuple(
            OutboundLine(sku=sku.replace("_", "-"), quantity=n)
            for sku, n in (lines or {"MUG_RED": 2}).items()
        ),
        reference="#1001",
    )


async def test_create_twice_makes_one_order_and_ships_with_tracking() -> None:
    rig = make_rig()
    mcf = rig.connector()
    order = outbound(MUG_RED=2, TEE_M=1)
    first = await mcf.create_outbound(order)
    again = await mcf.create_outbound(order)
    assert first.created and not again.created
    assert first.warehouse_order_id == again.warehouse_order_id
    assert len(rig.sim.state.orders) == 1
    assert rig.sim.state.inventory["MUG-RED"] == 118  # reserved at Amazon
    rig.sim.advance(timedelta(hours=7))
    status = await mcf.get_outbound(order.idempotency_key)
    assert status.state is OutboundState.SHIPPED and not status.failures
    (shipment,) = status.shipments
    assert {p.lines[0].sku for p in shipment.packages} == {"MUG-RED", "TEE-M"}
    assert all(p.carrier == "ups" for p in shipment.packages)
    package = shipment.packages[0]
    assert package.package_id is not None
    rig.sim.advance(timedelta(hours=8))
    events = await mcf.package_tracking(int(package.package_id))
    assert [e.status for e in sorted(events, key=lambda e: e.occurred_at)] == [
        TrackingStatus.INFO_RECEIVED,
        TrackingStatus.IN_TRANSIT,
        TrackingStatus.OUT_FOR_DELIVERY,
        TrackingStatus.DELIVERED,
    ]
    assert {e.tracking_number for e in events} == {package.tracking_number}
    assert events[0].raw_code.startswith("EVENT_")
    operations = rig.assert_requests_follow_the_contract()
    assert operations.count("createFulfillmentOrder") == 2
    assert "getPackageTrackingDetails" in operations
    await mcf.aclose()


async def test_the_order_id_sent_is_the_dispatch_id_or_its_derivation() -> None:
    rig = make_rig()
    mcf = rig.connector()
    short = outbound("ORDER-1_p1r1")
    await mcf.create_outbound(short)
    await mcf.create_outbound(outbound())
    sent = [e.json()["sellerFulfillmentOrderId"] for e in rig.sim.journal.matching("POST", "/fba")]
    assert sent[0] == "ORDER-1_p1r1"
    assert sent[1] == fulfillment_order_id(outbound().idempotency_key)
    assert (await mcf.get_outbound(outbound().idempotency_key)).state is OutboundState.ACCEPTED
    rig.assert_requests_follow_the_contract()


def test_fulfillment_order_id_is_deterministic_bounded_and_distinct() -> None:
    long_key = "shopify:a-very-long-shop-name:5678901234567890123456#p12r34"
    derived = fulfillment_order_id(long_key)
    assert derived == fulfillment_order_id(long_key)
    assert len(derived) <= 40 and all(c.isalnum() or c in "-_" for c in derived)
    assert derived.startswith("5678901234567890123456-p12r34"[-27:])  # the readable tail
    # two keys that clean to the same text still differ
    assert fulfillment_order_id("a:b#p1r1") != fulfillment_order_id("a-b-p1r1")
    assert fulfillment_order_id("a-b-p1r1") == "a-b-p1r1"  # a key that fits is sent as it is
    assert len(fulfillment_order_id("x" * 40)) == 40 and fulfillment_order_id("x" * 41) != "x" * 40


async def test_cancel_in_time_and_too_late() -> None:
    rig = make_rig()
    mcf = rig.connector()
    early, late = outbound("A#p1r1"), outbound("B#p1r1")
    await mcf.create_outbound(early)
    await mcf.create_outbound(late)
    assert (await mcf.cancel_outbound(early.idempotency_key, reason="x")).state is (
        OutboundState.CANCELLED
    )
    assert rig.sim.state.inventory["MUG-RED"] == 118  # the cancelled one's units are back
    rig.sim.advance(timedelta(hours=4, minutes=30))  # picking has begun
    answer = await mcf.cancel_outbound(late.idempotency_key, reason="x")
    assert answer.state is OutboundState.CANCEL_TOO_LATE and "Processing" in (answer.reason or "")
    rig.assert_requests_follow_the_contract()


async def test_hold_stops_the_clock_and_release_ships() -> None:
    rig = make_rig()
    mcf = rig.connector()
    order = outbound()
    await mcf.create_outbound(order)
    assert await mcf.hold_outbound(order.idempotency_key, reason="review") is (
        OutboundState.ACCEPTED
    )
    rig.sim.advance(timedelta(hours=12))
    assert (await mcf.get_outbound(order.idempotency_key)).state is OutboundState.ACCEPTED
    await mcf.release_outbound(order.idempotency_key)
    rig.sim.advance(timedelta(hours=7))
    assert (await mcf.get_outbound(order.idempotency_key)).state is OutboundState.SHIPPED
    with pytest.raises(McfRejected):  # shipped: too late to hold
        await mcf.hold_outbound(order.idempotency_key, reason="late")
    bodies = [e.json() for e in rig.sim.journal.matching("PUT", "/fba")]
    assert [b["fulfillmentAction"] for b in bodies] == ["Hold", "Ship", "Hold"]
    rig.assert_requests_follow_the_contract()


async def test_unfulfillable_and_partial_outcomes_are_named() -> None:
    rig = make_rig(inventory={"MUG-RED": 1, "TEE-M": 5})
    mcf = rig.connector()
    kill = outbound("K#p1r1", MUG_RED=2)
    await mcf.create_outbound(kill)
    assert (await mcf.get_outbound(kill.idempotency_key)).state is OutboundState.REJECTED
    assert "MUG-RED x2" in ((await mcf.outcome(kill.idempotency_key)).reason or "")
    partial_mcf = rig.connector(fulfillment_policy="FillAllAvailable")
    part = outbound("P#p1r1", MUG_RED=2, TEE_M=1)
    await partial_mcf.create_outbound(part)
    rig.sim.advance(timedelta(hours=7))
    status = await partial_mcf.get_outbound(part.idempotency_key)
    assert status.state is OutboundState.PARTIALLY_SHIPPED
    reason = (await partial_mcf.outcome(part.idempotency_key)).reason or ""
    assert "part of the order" in reason and "MUG-RED x1" in reason
    rig.assert_requests_follow_the_contract()


async def test_preview_gives_fees_and_arrival_per_speed() -> None:
    rig = make_rig()
    mcf = rig.connector()
    quotes = await mcf.preview(SHIP_TO, [("MUG-RED", 2)], speeds=("Standard", "Priority"))
    assert [q.speed for q in quotes] == ["Standard", "Priority"]
    assert all(q.fulfillable and q.fees is not None for q in quotes)
    assert quotes[0].fees is not None and str(quotes[0].fees.amount) == "6.44"
    assert quotes[1].earliest_arrival is not None and quotes[0].earliest_arrival is not None
    assert quotes[1].earliest_arrival < quotes[0].earliest_arrival
    rig.assert_requests_follow_the_contract()


async def test_inventory_reads_every_page_then_only_what_changed() -> None:
    rig = make_rig(page_size=2)
    mcf = rig.connector()
    pages = [page async for page in mcf.get_stock_levels()]
    assert len(pages) == 2 and pages[-1].done and pages[0].cursor is None
    assert {lv.sku: lv.on_hand for p in pages for lv in p.items} == {
        "MUG-BLUE": 40,
        "MUG-RED": 120,
        "TEE-M": 15,
    }
    assert {lv.warehouse for p in pages for lv in p.items} == {"FBA-US"}
    cursor = pages[-1].cursor
    assert cursor is not None and "since" in json.loads(cursor)
    rig.clock.tick(timedelta(hours=1))
    rig.sim.state.sell("TEE-M", 3)  # an Amazon-fulfilled order drew on the same stock
    changed = [lv async for page in mcf.get_stock_levels(cursor=cursor) for lv in page.items]
    assert [(lv.sku, lv.on_hand) for lv in changed] == [("TEE-M", 12)]
    queries = [e.query for e in rig.sim.journal.matching("GET", "/fba/inventory")]
    assert "startDateTime" in queries[-1] and "granularityType=Marketplace" in queries[-1]
    rig.assert_requests_follow_the_contract()
