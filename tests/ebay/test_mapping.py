"""eBay orders and inventory into the canonical model, from spec-valid example payloads."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from openapi_core.exceptions import OpenAPIError

from channelhub.core.errors import InvalidInput
from channelhub.core.models import ChannelOrderState, ListingStatus, Money
from channelhub.mappings.catalog import normalizer
from channelhub.mappings.ebay import normalize_listings, normalize_orders
from tests.ebay import specs
from tests.openapi3 import assert_valid_response

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "ebay"


def _load(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def test_examples_have_the_published_shape() -> None:
    orders = _load("get_orders.json")
    assert_valid_response(specs.fulfillment(), "GET", "/order", 200, orders)
    assert_valid_response(specs.fulfillment(), "GET", "/order/x", 200, orders["orders"][0])
    inventory = _load("inventory.json")
    page = {"inventoryItems": inventory["inventoryItems"], "total": 2, "size": 2}
    assert_valid_response(specs.inventory(), "GET", "/inventory_item", 200, page)
    assert_valid_response(specs.inventory(), "GET", "/offer", 200, {"offers": inventory["offers"]})
    with pytest.raises(OpenAPIError):
        assert_valid_response(specs.fulfillment(), "GET", "/order", 200, {"orders": "none"})


def test_get_orders_page() -> None:
    paid, cancelled = normalize_orders(_load("get_orders.json"), account="acme")
    assert paid.external_id == "12-10001-20001"
    assert paid.channel_state is ChannelOrderState.UNSHIPPED
    assert paid.channel_status == "NOT_STARTED"
    assert paid.marketplace == "EBAY_US"
    assert paid.placed_at == datetime(2026, 3, 1, 9, 15, 2, tzinfo=UTC)
    assert paid.updated_at == datetime(2026, 3, 2, 11, 40, 27, tzinfo=UTC)
    assert paid.totals.total == Money.of("48.18", "USD")
    assert paid.totals.subtotal == Money.of("39.98", "USD")
    assert paid.totals.shipping == Money.of("5.00", "USD")
    assert paid.totals.tax == Money.of("3.20", "USD")
    assert paid.totals.refunded == Money.of("5.00", "USD")
    assert "ebay:refunded" in paid.tags
    assert paid.payment.paid and paid.payment.paid_at == datetime(2026, 3, 1, 9, 15, 5, tzinfo=UTC)
    assert paid.ship_to is not None
    assert (paid.ship_to.name, paid.ship_to.city, paid.ship_to.region, paid.ship_to.country) == (
        "Jane Doe",
        "San Jose",
        "CA",
        "US",
    )
    assert paid.shipping_service == "USPSPriority"
    assert paid.ship_by == datetime(2026, 3, 3, 7, 59, 59, tzinfo=UTC)
    assert paid.remarks == "Please no plastic packaging"
    (line,) = paid.lines
    assert (line.line_id, line.listing_id, line.variation_id, line.channel_sku) == (
        "10001234567801",
        "110552001234",
        "BOTTLE-750-BLK",
        "BOTTLE-750-BLK",
    )
    assert line.unit_price == Money.of("19.99", "USD")
    assert line.tax == Money.of("3.20", "USD")
    assert cancelled.channel_state is ChannelOrderState.CANCELLED
    assert cancelled.channel_status == "CANCELED"
    assert cancelled.lines[0].cancelled_quantity == 1
    assert cancelled.totals.refunded == Money.of("3.50", "USD")


def test_get_order_body_and_list_of_orders() -> None:
    page = _load("get_orders.json")
    (single,) = normalize_orders(page["orders"][0], account="acme")
    assert normalize_orders(page["orders"], account="acme")[0] == single


def test_cancel_requested_and_unpaid() -> None:
    page = _load("get_orders.json")
    order = copy.deepcopy(page["orders"][0])
    order["cancelStatus"]["cancelState"] = "IN_PROGRESS"
    order["orderPaymentStatus"] = "PENDING"
    (mapped,) = normalize_orders(order, account="a")
    assert "ebay:cancel-requested" in mapped.tags
    assert mapped.channel_state is ChannelOrderState.PENDING
    assert not mapped.payment.paid


def test_failed_refunds_are_not_counted() -> None:
    order = copy.deepcopy(_load("get_orders.json")["orders"][0])
    order["paymentSummary"]["refunds"][0]["refundStatus"] = "FAILED"
    (mapped,) = normalize_orders(order, account="a")
    assert mapped.totals.refunded is None


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda o: o.pop("orderId"), "neither orders nor orderId"),
        (
            lambda o: o["pricingSummary"]["total"].update(value="4O.00"),
            r"pricingSummary\.total\.value: '4O\.00' is not a decimal amount",
        ),
        (
            lambda o: o["pricingSummary"]["total"].update(currency="usd$"),
            r"pricingSummary\.total\.currency: 'usd\$' is not an ISO 4217",
        ),
        (
            lambda o: o.update(creationDate="yesterday"),
            r"creationDate: 'yesterday' is not an ISO 8601",
        ),
        (lambda o: o["lineItems"][0].update(quantity=0), r"quantity: 0 must be at least 1"),
        (
            lambda o: o["fulfillmentStartInstructions"][0]["shippingStep"]["shipTo"][
                "contactAddress"
            ].update(countryCode="USA"),
            r"country: 'USA' is not an ISO 3166-1",
        ),
        (lambda o: o.update(lineItems=[]), "lineItems is empty"),
    ],
)
def test_bad_orders_name_the_field_and_value(mutate: Any, expected: str) -> None:
    order = copy.deepcopy(_load("get_orders.json")["orders"][0])
    mutate(order)
    with pytest.raises(InvalidInput, match=expected):
        normalize_orders(order, account="a")


def test_listings_join_offers_to_items() -> None:
    published, draft = normalize_listings(_load("inventory.json"), account="acme")
    assert (published.listing_id, published.variation_id, published.channel_sku) == (
        "110552001234",
        "BOTTLE-750-BLK",
        "BOTTLE-750-BLK",
    )
    assert published.title == "Stainless steel water bottle 750 ml, black"
    assert published.price == Money.of("19.99", "USD")
    assert published.quantity == 25
    assert published.status is ListingStatus.ACTIVE
    assert published.marketplace == "EBAY_US"
    assert published.identifiers["offerId"] == "5005317010"
    assert published.identifiers["upc"] == "012345678905"
    assert published.inventory_ref == "BOTTLE-750-BLK"
    assert (draft.listing_id, draft.status, draft.quantity) == ("BRUSH-1", ListingStatus.DRAFT, 100)


def test_single_offer_and_single_item() -> None:
    inventory = _load("inventory.json")
    (offer,) = normalize_listings(inventory["offers"][0], account="a")
    assert offer.listing_id == "110552001234" and offer.title is None
    (item,) = normalize_listings(inventory["inventoryItems"][1], account="a")
    assert item.listing_id == "BRUSH-1"


def test_bad_listing_names_the_field() -> None:
    inventory = _load("inventory.json")
    inventory["offers"][0]["availableQuantity"] = "lots"
    with pytest.raises(
        InvalidInput, match=r"offers\[0\]\.availableQuantity: 'lots' is not a whole"
    ):
        normalize_listings(inventory, account="a")
    with pytest.raises(InvalidInput, match="not eBay inventory"):
        normalize_listings({"items": []}, account="a")


def test_catalog_finds_the_ebay_mappings() -> None:
    assert len(normalizer("ebay", "order")(_load("get_orders.json"), account="a")) == 2
    assert len(normalizer("ebay", "listing")(_load("inventory.json"), account="a")) == 2
