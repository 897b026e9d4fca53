"""eBay request builders, validated against the published specs, and the answers they read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from channelhub.core.errors import InvalidInput
from channelhub.mappings.ebay import (
    API_SCOPES,
    PushRecord,
    StockUpdate,
    basic_client_auth,
    bulk_price_quantity_bodies,
    existing_fulfillment_for,
    fulfillment_id_from_location,
    get_orders_params,
    next_page,
    order_path,
    parse_bulk_price_quantity,
    plan_quantity_push,
    refresh_token_form,
    shipping_fulfillment_body,
)
from tests.ebay import specs
from tests.openapi3 import assert_valid_request, assert_valid_response

AUTH = {"Authorization": "Bearer v^1.1#i^1"}
JSON = {**AUTH, "Content-Type": "application/json"}
T0 = datetime(2026, 3, 1, 0, 0, 0, 123456, tzinfo=UTC)


def test_get_orders_query_is_valid_and_filters_on_lastmodifieddate() -> None:
    params = get_orders_params(T0, T0 + timedelta(hours=1))
    assert params == {
        "filter": "lastmodifieddate:[2026-03-01T00:00:00.123Z..2026-03-01T01:00:00.123Z]",
        "limit": "200",
    }
    assert_valid_request(
        specs.fulfillment(), "GET", "/sell/fulfillment/v1/order", query=params, headers=AUTH
    )
    open_ended = get_orders_params(T0, limit=50)
    assert open_ended["filter"].endswith("..]")


def test_get_orders_refuses_limits_over_200_and_backwards_windows() -> None:
    with pytest.raises(InvalidInput, match="limit"):
        get_orders_params(T0, limit=201)
    with pytest.raises(InvalidInput, match="modified_to"):
        get_orders_params(T0, T0 - timedelta(seconds=1))


def test_next_page_is_taken_as_given() -> None:
    assert next_page({"next": "https://api.ebay.com/sell/fulfillment/v1/order?offset=200"}) == (
        "https://api.ebay.com/sell/fulfillment/v1/order?offset=200"
    )
    assert next_page({"orders": []}) is None


def test_get_order_and_fulfilment_paths_are_valid() -> None:
    assert_valid_request(specs.fulfillment(), "GET", order_path("12-10001-20001"), headers=AUTH)
    path = order_path("12-10001-20001") + "/shipping_fulfillment"
    assert_valid_request(specs.fulfillment(), "GET", path, headers=AUTH)
    with pytest.raises(InvalidInput):
        order_path("../x/y")


def test_oauth_refresh_form_and_basic_auth() -> None:
    form = refresh_token_form("v^1.1#r", [*API_SCOPES["fulfillment"], *API_SCOPES["inventory"]])
    assert form == {
        "grant_type": "refresh_token",
        "refresh_token": "v^1.1#r",
        "scope": "https://api.ebay.com/oauth/api_scope/sell.fulfillment "
        "https://api.ebay.com/oauth/api_scope/sell.inventory",
    }
    assert basic_client_auth("id", "secret") == "Basic aWQ6c2VjcmV0"
    with pytest.raises(InvalidInput):
        refresh_token_form("r", [])


def test_scopes_are_the_ones_the_specs_declare() -> None:
    fulfillment = specs.fulfillment().spec / "paths" / "/order" / "get" / "security"
    with fulfillment.open() as security:
        assert API_SCOPES["fulfillment"][0] in security[0]["api_auth"]
    bulk = specs.inventory().spec / "paths" / "/bulk_update_price_quantity" / "post" / "security"
    with bulk.open() as security:
        assert API_SCOPES["inventory"][0] in security[0]["api_auth"]


def test_bulk_bodies_hold_at_most_25_items_and_are_valid() -> None:
    updates = [StockUpdate(f"SKU-{i}", i) for i in range(60)]
    bodies = bulk_price_quantity_bodies(updates)
    assert [len(b["requests"]) for b in bodies] == [25, 25, 10]
    assert bodies[0]["requests"][3] == {
        "sku": "SKU-3",
        "shipToLocationAvailability": {"quantity": 3},
    }
    for body in bodies:
        assert_valid_request(
            specs.inventory(), "POST", "/bulk_update_price_quantity", headers=JSON, json=body
        )


def test_bulk_bodies_refuse_bad_updates() -> None:
    with pytest.raises(InvalidInput, match="negative"):
        bulk_price_quantity_bodies([StockUpdate("A", -1)])
    with pytest.raises(InvalidInput, match="twice"):
        bulk_price_quantity_bodies([StockUpdate("A", 1), StockUpdate("A", 2)])


def test_a_207_is_read_item_by_item() -> None:
    body = {
        "responses": [
            {"sku": "A", "offerId": "1", "statusCode": 200},
            {
                "sku": "B",
                "statusCode": 400,
                "errors": [
                    {"errorId": 25001, "message": "Invalid quantity", "category": "REQUEST"}
                ],
            },
            {
                "sku": "C",
                "statusCode": 500,
                "errors": [{"errorId": 25002, "message": "System error"}],
            },
        ]
    }
    assert_valid_response(specs.inventory(), "POST", "/bulk_update_price_quantity", 207, body)
    results = {r.sku: r for r in parse_bulk_price_quantity(body, ["A", "B", "C", "D"])}
    assert results["A"].ok and results["A"].offer_id == "1"
    assert not results["B"].ok and not results["B"].retryable
    assert results["B"].errors == ("25001: Invalid quantity",)
    assert results["C"].retryable
    assert not results["D"].ok and "no result" in results["D"].errors[0]


def test_shipping_fulfillment_body_is_valid() -> None:
    body = shipping_fulfillment_body(
        {"10001234567801": 2},
        carrier_code="USPS",
        tracking_number="9400111899223197428490",
        shipped_at=T0,
    )
    assert body == {
        "lineItems": [{"lineItemId": "10001234567801", "quantity": 2}],
        "shippingCarrierCode": "USPS",
        "trackingNumber": "9400111899223197428490",
        "shippedDate": "2026-03-01T00:00:00.123Z",
    }
    path = order_path("12-10001-20001") + "/shipping_fulfillment"
    assert_valid_request(specs.fulfillment(), "POST", path, headers=JSON, json=body)
    with pytest.raises(InvalidInput, match="trackingNumber"):
        shipping_fulfillment_body({"1": 1}, carrier_code="USPS", tracking_number=" ")
    with pytest.raises(InvalidInput, match="lineItems"):
        shipping_fulfillment_body({}, carrier_code="USPS", tracking_number="1")


def test_fulfilment_location_and_existing_lookup() -> None:
    location = "https://api.ebay.com/sell/fulfillment/v1/order/12-1/shipping_fulfillment/940550969"
    assert fulfillment_id_from_location(location) == "940550969"
    with pytest.raises(InvalidInput):
        fulfillment_id_from_location("https://api.ebay.com/")
    existing = {
        "fulfillments": [
            {"fulfillmentId": "F1", "shipmentTrackingNumber": "1Z999", "shippingCarrierCode": "UPS"}
        ],
        "total": 1,
    }
    assert_valid_response(
        specs.fulfillment(), "GET", "/order/12-1/shipping_fulfillment", 200, existing
    )
    assert existing_fulfillment_for(existing, "1Z999") == "F1"
    assert existing_fulfillment_for(existing, "1Z000") is None


NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def test_unchanged_quantity_is_never_pushed() -> None:
    history = [PushRecord("A", 5, NOW - timedelta(days=3))]
    decision = plan_quantity_push("A", 5, history, now=NOW)
    assert not decision.push and "unchanged" in decision.reason
    assert plan_quantity_push("A", 6, history, now=NOW).push
    assert plan_quantity_push("B", 5, history, now=NOW).push


def test_revision_limit_warns_then_holds() -> None:
    def pushes(n: int) -> list[PushRecord]:
        return [PushRecord("A", i, NOW - timedelta(minutes=n - i)) for i in range(n)]

    calm = plan_quantity_push("A", 999, pushes(10), now=NOW)
    assert calm.push and calm.warning is None and calm.revisions_today == 10
    close = plan_quantity_push("A", 999, pushes(199), now=NOW)
    assert close.push and close.warning is not None and "200 of 250" in close.warning
    full = plan_quantity_push("A", 999, pushes(250), now=NOW)
    assert not full.push and full.warning is not None and "250" in full.reason
    old = [PushRecord("A", i, NOW - timedelta(hours=25)) for i in range(300)]
    assert plan_quantity_push("A", 999, old, now=NOW).push


def test_carrier_codes() -> None:
    from channelhub.mappings.ebay import ebay_carrier_code

    assert ebay_carrier_code("royal_mail") == "RoyalMail"
    assert ebay_carrier_code("Royal Mail") == "RoyalMail"
    assert ebay_carrier_code("usps") == "USPS"
    assert ebay_carrier_code("SomeLocalCourier") == "SomeLocalCourier"
