"""Shopify listings, request builders, answer readers and webhook signatures."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from channelhub.core.errors import InvalidInput
from channelhub.core.models import ListingStatus, Money
from channelhub.mappings.shopify import (
    FulfillmentOrder,
    FulfillmentOrderLine,
    QuantityChange,
    fulfillment_create_request,
    inventory_set_quantities_request,
    inventory_set_quantities_requests,
    inventory_set_results,
    is_throttled,
    normalize_listings,
    normalize_locations,
    orders_request,
    plan_fulfillment,
    query_cost,
    refill_wait,
    sign_webhook,
    verify_webhook_hmac,
)
from channelhub.mappings.shopify.queries import FULFILLMENT_CREATE, ORDERS_QUERY
from tests.graphql_contract import admin_schema

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "shopify"


def test_products_response_gives_one_listing_per_variant() -> None:
    payload = json.loads((EXAMPLES / "products_graphql_response.json").read_text())
    listings = normalize_listings(payload, account="shop")
    assert [item.variation_id for item in listings] == [
        "45012345678901",
        "45012345678903",
        "45012345678902",
    ]
    mug = listings[0]
    assert mug.listing_id == "8123456789012" and mug.channel_sku == "MUG-BLK-350"
    assert mug.inventory_ref == "47012345678901"
    assert mug.identifiers == {"barcode": "4006381333931", "inventory_item_id": "47012345678901"}
    assert mug.price == Money.of("21.50", "USD") and mug.status is ListingStatus.ACTIVE
    assert mug.title == "Ceramic mug - Black / 350 ml"
    assert listings[1].quantity == 0  # oversold (-2) is nothing to sell
    tea = listings[2]
    assert tea.title == "Green tea 100 g" and tea.status is ListingStatus.DRAFT
    assert "barcode" not in tea.identifiers


def test_single_product_node_needs_currency_for_price() -> None:
    payload = json.loads((EXAMPLES / "products_graphql_response.json").read_text())
    node = payload["data"]["products"]["edges"][0]["node"]
    assert normalize_listings(node, account="s")[0].price is None
    assert normalize_listings(node, account="s", currency="USD")[0].price == Money.of(
        "21.50", "USD"
    )
    node["variants"]["nodes"][0]["price"] = 21.5
    with pytest.raises(InvalidInput, match=r"variants.nodes\[0\].price: 21.5"):
        normalize_listings(node, account="s", currency="USD")


def test_locations() -> None:
    payload = {
        "data": {
            "locations": {
                "nodes": [
                    {
                        "id": "gid://shopify/Location/61234567890",
                        "name": "Shenzhen DC",
                        "isActive": True,
                        "fulfillsOnlineOrders": True,
                        "address": {"countryCode": "CN", "city": "Shenzhen"},
                    }
                ],
                "pageInfo": {"hasNextPage": False, "endCursor": None},
            }
        }
    }
    (location,) = normalize_locations(payload)
    assert (location.location_id, location.country) == ("61234567890", "CN")


def test_orders_request_filters_on_updated_at() -> None:
    since = datetime(2026, 1, 5, 10, 0, tzinfo=timezone(timedelta(hours=2)))
    body = orders_request(
        updated_since=since, updated_before=since + timedelta(hours=1), after="abc", first=25
    )
    assert body["query"] is ORDERS_QUERY
    assert body["variables"] == {
        "first": 25,
        "after": "abc",
        "query": "updated_at:>='2026-01-05T08:00:00Z' AND updated_at:<'2026-01-05T09:00:00Z'",
    }
    with pytest.raises(InvalidInput, match="timezone"):
        orders_request(updated_since=datetime(2026, 1, 5))


def _changes(n: int) -> list[QuantityChange]:
    return [QuantityChange(str(1000 + i), "61234567890", i, i + 1) for i in range(n)]


def test_inventory_set_quantities_batches_of_250_with_compare_quantity() -> None:
    batches = inventory_set_quantities_requests(
        _changes(1000), reference_document_uri="channelhub://stock-push/42"
    )
    assert [len(batch) for batch, _ in batches] == [250, 250, 250, 250]
    payload = batches[0][1]["variables"]["input"]
    assert payload["name"] == "available" and payload["reason"] == "correction"
    assert payload["referenceDocumentUri"] == "channelhub://stock-push/42"
    assert payload["quantities"][3] == {
        "inventoryItemId": "gid://shopify/InventoryItem/1003",
        "locationId": "gid://shopify/Location/61234567890",
        "quantity": 3,
        "compareQuantity": 4,
    }
    assert "ignoreCompareQuantity" not in payload


def test_inventory_input_is_valid_for_the_schema_input_type() -> None:
    from graphql import coerce_input_value

    (_, body), *_ = inventory_set_quantities_requests(_changes(3))
    input_type = admin_schema().get_type("InventorySetQuantitiesInput")
    coerced = coerce_input_value(body["variables"]["input"], input_type)  # type: ignore[arg-type]
    assert coerced["quantities"][0]["compareQuantity"] == 1


def test_inventory_set_quantities_refuses_bad_batches() -> None:
    with pytest.raises(InvalidInput, match="1 to 250"):
        inventory_set_quantities_request(_changes(251))
    duplicate = [*_changes(1), *_changes(1)]
    with pytest.raises(InvalidInput, match="twice"):
        inventory_set_quantities_request(duplicate)


def test_inventory_results_per_item() -> None:
    batch = _changes(3)
    ok = {"data": {"inventorySetQuantities": {"inventoryAdjustmentGroup": {}, "userErrors": []}}}
    assert {r.status for r in inventory_set_results(batch, ok)} == {"accepted"}
    stale = {
        "data": {
            "inventorySetQuantities": {
                "inventoryAdjustmentGroup": None,
                "userErrors": [
                    {
                        "code": "COMPARE_QUANTITY_STALE",
                        "field": ["input", "quantities", "1", "compareQuantity"],
                        "message": "The compareQuantity value does not match persisted value.",
                    }
                ],
            }
        }
    }
    results = inventory_set_results(batch, stale)
    assert [r.status for r in results] == ["not_applied", "stale", "not_applied"]
    assert results[1].code == "COMPARE_QUANTITY_STALE"


def _fo(fo_id: str, status: str, *lines: tuple[str, str, int]) -> FulfillmentOrder:
    return FulfillmentOrder(
        fo_id,
        status,
        "1",
        tuple(FulfillmentOrderLine(li, ol, None, rem, rem) for li, ol, rem in lines),
    )


def test_plan_fulfillment_is_partial_and_spans_fulfillment_orders() -> None:
    orders = [
        _fo("11", "CLOSED", ("111", "900", 5)),
        _fo("12", "OPEN", ("121", "900", 1), ("122", "901", 3)),
        _fo("13", "IN_PROGRESS", ("131", "900", 2)),
    ]
    plan = plan_fulfillment(orders, {"900": 2, "901": 1})
    assert plan == [
        {
            "fulfillmentOrderId": "gid://shopify/FulfillmentOrder/12",
            "fulfillmentOrderLineItems": [
                {"id": "gid://shopify/FulfillmentOrderLineItem/121", "quantity": 1},
                {"id": "gid://shopify/FulfillmentOrderLineItem/122", "quantity": 1},
            ],
        },
        {
            "fulfillmentOrderId": "gid://shopify/FulfillmentOrder/13",
            "fulfillmentOrderLineItems": [
                {"id": "gid://shopify/FulfillmentOrderLineItem/131", "quantity": 1}
            ],
        },
    ]
    with pytest.raises(InvalidInput, match=r"package.lines\[901\].quantity: 1"):
        plan_fulfillment(orders, {"901": 4})


def test_fulfillment_create_request_carries_tracking() -> None:
    plan = [{"fulfillmentOrderId": "gid://shopify/FulfillmentOrder/12"}]
    body = fulfillment_create_request(
        plan, company="DHL Express", number="1234567890", url="https://dhl.example/t/1234567890"
    )
    assert body["query"] is FULFILLMENT_CREATE
    assert body["variables"]["fulfillment"]["trackingInfo"] == {
        "company": "DHL Express",
        "number": "1234567890",
        "url": "https://dhl.example/t/1234567890",
    }
    with pytest.raises(InvalidInput, match="nothing to fulfil"):
        fulfillment_create_request([], company="DHL", number="1")


def test_cost_and_throttle_readers() -> None:
    throttled = {
        "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
        "extensions": {
            "cost": {
                "requestedQueryCost": 502,
                "actualQueryCost": None,
                "throttleStatus": {
                    "maximumAvailable": 2000.0,
                    "currentlyAvailable": 102,
                    "restoreRate": 100.0,
                },
            }
        },
    }
    assert is_throttled(throttled) and not is_throttled({"data": {}})
    cost = query_cost(throttled)
    assert cost is not None and cost.throttle is not None
    assert refill_wait(cost) == pytest.approx(4.0)
    assert query_cost({"data": {}}) is None


def test_webhook_hmac_verification() -> None:
    body = b'{"id":9007199254740993123}'
    secret = "shpss_test_secret"
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    assert sign_webhook(body, secret) == expected
    assert verify_webhook_hmac(body, expected, secret)
    assert not verify_webhook_hmac(body + b" ", expected, secret)
    assert not verify_webhook_hmac(body, expected, "other")
    assert not verify_webhook_hmac(body, None, secret)
    assert not verify_webhook_hmac(body, "ünïcode", secret)


def _variant_node(item: dict[str, object]) -> dict[str, object]:
    return {
        "id": "gid://shopify/Product/1",
        "title": "Mug",
        "status": "ACTIVE",
        "variants": {
            "nodes": [
                {
                    "id": "gid://shopify/ProductVariant/2",
                    "title": "Default Title",
                    "inventoryQuantity": 89,  # the total over every location: never read
                    "inventoryItem": {"id": "gid://shopify/InventoryItem/3", **item},
                }
            ]
        },
    }


def _level(location: str, available: int) -> dict[str, object]:
    return {
        "location": {"id": f"gid://shopify/Location/{location}"},
        "quantities": [{"name": "available", "quantity": available}],
    }


def test_listing_quantity_is_the_available_at_the_managed_location() -> None:
    levels = {"inventoryLevels": {"nodes": [_level("71", 58), _level("72", 31)]}}
    (listing,) = normalize_listings(_variant_node(levels), account="s", location_id="72")
    assert listing.quantity == 31
    (listing,) = normalize_listings(_variant_node(levels), account="s", location_id="71")
    assert listing.quantity == 58
    # the level asked for with inventoryLevel(locationId:), as the connector's query does
    one = {"inventoryLevel": {"quantities": [{"name": "available", "quantity": -3}]}}
    (listing,) = normalize_listings(_variant_node(one), account="s", location_id="72")
    assert listing.quantity == 0  # oversold is nothing to sell


def test_listing_quantity_is_not_guessed_when_the_location_is_not_known() -> None:
    levels = {"inventoryLevels": {"nodes": [_level("71", 58), _level("72", 31)]}}
    # no managed location given: neither level, nor the total, is that location's stock
    assert normalize_listings(_variant_node(levels), account="s")[0].quantity is None
    # a location the item is not stocked at
    assert (
        normalize_listings(_variant_node(levels), account="s", location_id="73")[0].quantity is None
    )
    # not stocked there (inventoryLevel null), or a level naming another location
    for item in ({"inventoryLevel": None}, {"inventoryLevel": _level("71", 58)}):
        (listing,) = normalize_listings(_variant_node(item), account="s", location_id="72")
        assert listing.quantity is None
    # only inventoryQuantity (the total over every location): unknown, not 89
    assert normalize_listings(_variant_node({}), account="s", location_id="72")[0].quantity is None
