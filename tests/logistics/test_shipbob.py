"""ShipBob mapping and simulator, checked against the 2026-01 spec with openapi-core."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from channelhub.connectors.stock_rows import stock_page
from channelhub.core.errors import InvalidInput
from channelhub.core.fulfilment import OutboundState, Shipment, TrackingEvent, TrackingStatus
from channelhub.core.warehouse_reports import InterceptOutcome, InterceptResult
from channelhub.mappings import shipbob
from channelhub.simulators.clock import ManualClock
from channelhub.simulators.shipbob import create_app
from tests.logistics.conformance import check_exchange, openapi
from tests.logistics.specs import schema_errors, shipbob_spec
from tests.logistics.test_outbound_protocol import outbound_order

HOST = "https://sandbox-api.shipbob.com"
AUTH = {"Authorization": "Bearer pat_sim"}
NOW = datetime(2026, 1, 15, 12, tzinfo=UTC)


def prepaid() -> Any:
    return outbound_order(cash_on_delivery=None)


def test_create_order_body_matches_the_spec() -> None:
    body = shipbob.create_order_body(prepaid(), product_names={"MUG-RED": "Red mug"})
    assert schema_errors(shipbob_spec(), "Orders.CreateOrderModel", body) == []
    assert body["reference_id"] == prepaid().idempotency_key
    assert body["products"] == [{"reference_id": "MUG-RED", "name": "Red mug", "quantity": 2}]
    assert body["recipient"]["address"]["country"] == "SA"  # type: ignore[index]


def test_create_order_refuses_what_shipbob_cannot_do() -> None:
    with pytest.raises(InvalidInput, match="cash_on_delivery"):
        shipbob.create_order_body(outbound_order())
    from channelhub.core.parties import Address

    with pytest.raises(InvalidInput, match=r"ship_to\.line1"):
        shipbob.create_order_body(
            prepaid().model_copy(update={"ship_to": Address(name="A", city="B", country="US")})
        )


def test_spec_example_order_maps_to_a_shipment() -> None:
    example = copy.deepcopy(
        shipbob_spec()["paths"]["/2026-01/order"]["post"]["responses"]["201"]["content"][
            "application/json"
        ]["example"]
    )
    # The example's invoice_currency_code is "string" (the spec types it a free string): the
    # shipment still maps, without the cost (issue 18, item 12); an ISO code gives the cost.
    (odd,) = shipbob.normalize_shipments(example, warehouse="shipbob")
    assert example["shipments"][0]["invoice_currency_code"] == "string"
    assert odd.costs == () and odd.packages[0].tracking_number
    example["shipments"][0]["invoice_currency_code"] = "USD"
    shipments = shipbob.normalize_shipments(example, warehouse="shipbob")
    assert [c.currency for c in shipments[0].costs] == ["USD"]
    assert len(shipments) == 1
    (package,) = shipments[0].packages
    assert package.tracking_number == example["shipments"][0]["tracking"]["tracking_number"]
    assert (
        shipbob.order_state(example) is OutboundState.ACCEPTED
        or shipbob.order_state(example) in OutboundState
    )


def test_spec_example_tracking_and_inventory() -> None:
    paths = shipbob_spec()["paths"]
    tracking = paths["/2026-01/shipments-tracking"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["example"]
    events = shipbob.normalize_tracking(tracking)
    assert [e.raw_code for e in events] == [
        "InTransit/DepartedFacility",
        "InTransit/ArrivedAtFacility",
    ]
    assert events[0].carrier == "ups" and events[0].tracking_number == "1Z999AA10123456784"
    inventory = paths["/2026-01/inventory-level"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["example"]
    page = stock_page(
        shipbob.STOCK, shipbob.stock_rows(inventory), warehouse="s", now=NOW, done=True
    )
    assert page.failures == ()
    assert page.items[0].sku == "string" and page.items[0].on_hand == 0


def test_bad_fields_are_named() -> None:
    with pytest.raises(InvalidInput, match=r"items\[0\]\.total_on_hand_quantity: '3'"):
        shipbob.stock_level({"sku": "A", "total_on_hand_quantity": "3"}, "items[0]")
    with pytest.raises(InvalidInput, match="topic"):
        shipbob.parse_webhook("order.exploded", {}, warehouse="shipbob", received_at=NOW)


@pytest.fixture
async def client() -> AsyncIterator[tuple[httpx.AsyncClient, Any, ManualClock]]:
    clock = ManualClock()
    app = create_app(seed=1, clock=clock)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=HOST, headers=AUTH
    ) as c:
        yield c, app.state.shipbob, clock


@pytest.mark.anyio
async def test_simulator_order_lifecycle_conforms(
    client: tuple[httpx.AsyncClient, Any, ManualClock],
) -> None:
    http, sim, clock = client
    spec = openapi(shipbob_spec(), check_spec=False)
    body = shipbob.create_order_body(prepaid())
    headers = shipbob.channel_headers("101")

    no_channel = await http.post("/2026-01/order", json=body)
    assert no_channel.status_code == 400
    created = await http.post("/2026-01/order", json=body, headers=headers)
    assert created.status_code == 201
    check_exchange(spec, created, HOST)
    order_id = created.json()["id"]
    duplicate = await http.post("/2026-01/order", json=body, headers=headers)
    assert duplicate.status_code == 422
    check_exchange(spec, duplicate, HOST)
    found = await http.get("/2026-01/order", params={"ReferenceIds": body["reference_id"]})
    assert [o["id"] for o in found.json()] == [order_id]

    assert shipbob.normalize_shipments(created.json(), warehouse="shipbob") == []  # not shipped yet
    sim.advance(timedelta(hours=3))
    got = await http.get(f"/2026-01/order/{order_id}")
    check_exchange(spec, got, HOST)
    assert shipbob.order_state(got.json()) is OutboundState.SHIPPED
    (shipment,) = shipbob.normalize_shipments(got.json(), warehouse="shipbob")
    assert isinstance(shipment, Shipment)
    assert shipment.outbound_key == body["reference_id"]
    assert shipment.packages[0].carrier == "ups" and shipment.packages[0].lines[0].quantity == 2
    assert str(shipment.costs[0]) == "6.85 USD"

    listed = await http.get(f"/2026-01/order/{order_id}/shipment")
    check_exchange(spec, listed, HOST)
    assert shipbob.normalize_shipments(listed.json(), warehouse="shipbob") == [shipment]

    tracking = await http.get(
        "/2026-01/shipments-tracking", params={"ShipmentIds": shipment.shipment_id}
    )
    check_exchange(spec, tracking, HOST)
    events = shipbob.normalize_tracking(tracking.json())
    assert events[-1].status is TrackingStatus.IN_TRANSIT

    too_late = await http.post(f"/2026-01/order/{order_id}:cancel")
    check_exchange(spec, too_late, HOST)
    result = shipbob.cancel_result(
        too_late.json(), warehouse="shipbob", outbound_key=body["reference_id"], decided_at=clock()
    )
    assert result.outcome is InterceptOutcome.TOO_LATE and "already Completed" in (
        result.message or ""
    )


@pytest.mark.anyio
async def test_simulator_cancel_before_shipping_and_inventory(
    client: tuple[httpx.AsyncClient, Any, ManualClock],
) -> None:
    http, sim, clock = client
    spec = openapi(shipbob_spec(), check_spec=False)
    body = shipbob.create_order_body(prepaid())
    created = await http.post("/2026-01/order", json=body, headers=shipbob.channel_headers("101"))
    cancelled = await http.post(f"/2026-01/order/{created.json()['id']}:cancel")
    check_exchange(spec, cancelled, HOST)
    result = shipbob.cancel_result(
        cancelled.json(), warehouse="shipbob", outbound_key="k", decided_at=clock()
    )
    assert result.outcome is InterceptOutcome.SUCCEEDED
    sim.advance(timedelta(hours=3))
    assert (await http.get(f"/2026-01/order/{created.json()['id']}")).json()[
        "status"
    ] == "Cancelled"

    pages, url = [], "/2026-01/inventory-level?PageSize=2"
    while url:
        page = await http.get(url)
        check_exchange(spec, page, HOST)
        pages.append(page.json())
        url = page.json().get("next")
    levels = [
        level
        for body in pages
        for level in stock_page(
            shipbob.STOCK, shipbob.stock_rows(body), warehouse="shipbob", now=clock(), done=True
        ).items
    ]
    assert {lv.sku: lv.on_hand for lv in levels} == {
        "MUG-BLUE": 40,
        "MUG-RED": 120,
        "TEE-M": 15,
    }


@pytest.mark.anyio
async def test_simulator_requires_the_pat(
    client: tuple[httpx.AsyncClient, Any, ManualClock],
) -> None:
    http, _, _ = client
    response = await http.get("/2026-01/order", headers={"Authorization": "Bearer wrong"})
    assert response.status_code == 401


def test_webhook_topics_exist_in_the_spec_and_map() -> None:
    topics = shipbob_spec()["components"]["schemas"]["Webhooks.Topics"]["enum"]
    assert set(shipbob.ORDER_TOPICS) <= set(topics)
    example = shipbob_spec()["paths"]["/2026-01/order"]["post"]["responses"]["201"]["content"][
        "application/json"
    ]["example"]
    shipment = copy.deepcopy(example["shipments"][0])
    shipment["invoice_currency_code"] = "USD"
    shipped = shipbob.parse_webhook("order.shipped", shipment, warehouse="shipbob", received_at=NOW)
    assert isinstance(shipped, Shipment)
    delivered = shipbob.parse_webhook(
        "order.shipment.delivered", {"data": shipment}, warehouse="shipbob", received_at=NOW
    )
    assert isinstance(delivered, TrackingEvent) and delivered.status is TrackingStatus.DELIVERED
    cancelled = shipbob.parse_webhook(
        "order.shipment.cancelled", shipment, warehouse="shipbob", received_at=NOW
    )
    assert isinstance(cancelled, InterceptResult) and cancelled.initiated_by == "warehouse"
    assert (
        shipbob.parse_webhook(
            "order.shipment.on_hold", shipment, warehouse="shipbob", received_at=NOW
        )
        is None
    )
