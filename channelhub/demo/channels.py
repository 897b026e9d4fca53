"""Put the demo's orders and listings into the Amazon and Shopify simulators, in each
platform's own wire shapes (the shapes the simulators' own seeders produce), so the real
connectors import them over HTTP exactly as they would from the platforms."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from channelhub.demo.scenario import (
    AMAZON_LISTINGS,
    PRICES,
    SHOPIFY_LISTINGS,
    DemoOrder,
    Scenario,
    amazon_address,
    placed_at,
)
from channelhub.simulators.amazon.catalog import MARKETPLACES, Marketplace, iso, money
from channelhub.simulators.shopify.seed import (
    ORDER_ID_BASE,
    ShopData,
    gid,
    num,
    price_order,
)

AMAZON_MARKETS = tuple(m for m in MARKETPLACES if m.country in ("US", "SA"))
_MARKET = {m.country: m for m in AMAZON_MARKETS}
SELLER_ID = "A1DEMOSELLER"
SHOP_LOCATION = 61_000_000_001


def amazon_order_id(order: DemoOrder) -> str:
    return f"113-{order.number:07d}-{order.number * 7919 % 10_000_000:07d}"


def amazon_listings(start: datetime) -> dict[str, dict[str, Any]]:
    """One listing per seller SKU, offered in every demo marketplace."""
    listings: dict[str, dict[str, Any]] = {}
    created = start - timedelta(days=60)
    for index, sku in enumerate(AMAZON_LISTINGS):
        listings[sku] = {
            "sku": sku,
            "summaries": [
                {
                    "marketplaceId": m.marketplace_id,
                    "asin": f"B0DEMO{index:04d}",
                    "productType": "HOME",
                    "conditionType": "new_new",
                    "status": ["BUYABLE", "DISCOVERABLE"],
                    "itemName": f"Demo {sku}",
                    "createdDate": iso(created),
                    "lastUpdatedDate": iso(created),
                }
                for m in AMAZON_MARKETS
            ],
            "offers": [
                {
                    "marketplaceId": m.marketplace_id,
                    "offerType": "B2C",
                    "price": money(PRICES[sku] * m.rate, m),
                }
                for m in AMAZON_MARKETS
            ],
            "fulfillmentAvailability": [{"fulfillmentChannelCode": "DEFAULT", "quantity": 0}],
            "_base_price": PRICES[sku],
        }
    return listings


def amazon_order(order: DemoOrder, start: datetime) -> dict[str, Any]:
    """A 2026-01-01 ``Order`` with its PII kept aside (served only with an RDT)."""
    market: Marketplace = _MARKET[order.country]
    created = placed_at(start, order)
    total = Decimal(0)
    items = []
    for number, (sku, quantity) in enumerate(order.lines, start=1):
        unit = PRICES[sku] * market.rate
        line_total = Decimal(money(unit, market)["amount"]) * quantity
        total += line_total
        item: dict[str, Any] = {
            "orderItemId": f"{order.number:07d}{number:07d}",
            "quantityOrdered": quantity,
            "product": {
                "asin": f"B0DEMO{AMAZON_LISTINGS.index(sku):04d}",
                "title": f"Demo {sku}",
                "sellerSku": sku,
                "price": {"unitPrice": money(unit, market)},
            },
            "proceeds": {"proceedsTotal": money(line_total, market)},
            "fulfillment": {"quantityFulfilled": 0, "quantityUnfulfilled": quantity},
        }
        if order.cod:
            item["fulfillment"]["shipping"] = {
                "shippingConstraints": {"cashOnDelivery": "MANDATORY"}
            }
        items.append(item)
    order_id = amazon_order_id(order)
    body: dict[str, Any] = {
        "orderId": order_id,
        "createdTime": iso(created),
        "lastUpdatedTime": iso(created),
        "salesChannel": {
            "channelName": "AMAZON",
            "marketplaceId": market.marketplace_id,
            "marketplaceName": market.name,
        },
        "proceeds": {
            "grandTotal": money(total, market),
            "breakdowns": [{"type": "ITEM", "subtotal": money(total, market)}],
        },
        "fulfillment": {
            "fulfillmentStatus": "UNSHIPPED",
            "fulfilledBy": "MERCHANT",
            "fulfillmentServiceLevel": "STANDARD",
            "shipByWindow": {"latestDateTime": iso(created + timedelta(days=2))},
        },
        "orderItems": items,
        "_pii": {
            "buyer": {
                "buyerName": f"Amazon Buyer {order.number}",
                "buyerEmail": f"{order_id.replace('-', '')}@marketplace.amazon.com",
            },
            "recipient": {"deliveryAddress": amazon_address(order)},
        },
    }
    if order.cod:
        body["payment"] = {
            "paymentExecutions": [
                {"paymentMethod": "CashOnDelivery", "paymentAmount": money(total, market)}
            ]
        }
    return body


def seed_amazon(state: Any, scenario: Scenario, start: datetime) -> None:
    """Replace the Amazon simulator's random shop with the demo's (``sim.state``)."""
    state.listings = amazon_listings(start)
    state.orders = {amazon_order_id(o): amazon_order(o, start) for o in scenario.amazon}


def _variant_number(index: int) -> int:
    return 45_000_000_000_000 + index


def _item_number(index: int) -> int:
    return 47_000_000_000_000 + index


def shop_data(
    scenario: Scenario,
    start: datetime,
    *,
    domain: str = "channelhub-demo.myshopify.com",
    listings: Sequence[str] = SHOPIFY_LISTINGS,
    sku_of: Callable[[str], str] = str,
) -> ShopData:
    """A Shopify shop (EUR presentment, USD shop currency) holding the demo's products.

    ``listings``: the demo SKUs it lists; ``sku_of``: the SKU the shop shows for each (the
    engine bench gives every seller's shop SKUs of its own)."""
    data = ShopData(domain=domain)
    location = {
        "__typename": "Location",
        "id": gid("Location", SHOP_LOCATION),
        "name": "Hub-managed stock",
        "isActive": True,
        "fulfillsOnlineOrders": True,
        "address": {"countryCode": "DE", "city": "Berlin"},
    }
    data.locations.append(location)
    variants: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    for index, sku in enumerate(listings):
        variant = {
            "__typename": "ProductVariant",
            "id": gid("ProductVariant", _variant_number(index)),
            "title": "Default Title",
            "sku": sku_of(sku),
            "barcode": None,
            "price": str(PRICES[sku]),
            "updatedAt": iso(start - timedelta(days=30)),
            "inventoryItem": {
                "__typename": "InventoryItem",
                "id": gid("InventoryItem", _item_number(index)),
                "sku": sku_of(sku),
            },
        }
        product = {
            "__typename": "Product",
            "id": gid("Product", 8_100_000_000_000 + index),
            "title": f"Demo {sku}",
            "status": "ACTIVE",
            "updatedAt": iso(start - timedelta(days=30)),
            "variants": [variant],
        }
        data.products.append(product)
        data.levels[(str(_item_number(index)), str(SHOP_LOCATION))] = 0
        variants[sku] = (variant, product)
    data.refresh_inventory()
    for order in scenario.shopify:
        body = _shop_order(data, order, variants, start, sku_of)
        data.orders[num(body["id"])] = body
    return data


def _shop_order(
    data: ShopData,
    order: DemoOrder,
    variants: dict[str, tuple[dict[str, Any], dict[str, Any]]],
    start: datetime,
    sku_of: Callable[[str], str],
) -> dict[str, Any]:
    currency = "EUR"
    placed = placed_at(start, order)
    lines = []
    for sku, quantity in order.lines:
        variant, product = variants[sku]
        lines.append(
            {
                "__typename": "LineItem",
                "id": gid("LineItem", data.new_id()),
                "sku": sku_of(sku),
                "title": product["title"],
                "variantTitle": None,
                "quantity": quantity,
                "currentQuantity": quantity,
                "unfulfilledQuantity": quantity,
                "nonFulfillableQuantity": 0,
                "product": {"__typename": "Product", "id": product["id"]},
                "variant": {"__typename": "ProductVariant", "id": variant["id"]},
                "unit": (PRICES[sku] * Decimal("0.92")).quantize(Decimal("0.01")),
                "discount": Decimal(0),
            }
        )
    number = ORDER_ID_BASE + order.number * 7919
    body: dict[str, Any] = {
        "__typename": "Order",
        "id": gid("Order", number),
        "legacyResourceId": str(number),
        "name": f"#{1000 + order.number}",
        "createdAt": iso(placed),
        "processedAt": iso(placed),
        "updatedAt": iso(placed),
        "cancelledAt": None,
        "cancelReason": None,
        "closed": False,
        "edited": False,
        "displayFinancialStatus": "PENDING" if order.cod else "PAID",
        "displayFulfillmentStatus": "UNFULFILLED",
        "currencyCode": data.currency,
        "presentmentCurrencyCode": currency,
        "paymentGatewayNames": ["shopify_payments"],
        "note": None,
        "tags": [],
        "email": f"buyer{order.number}@example.com",
        "phone": None,
        "customer": {
            "__typename": "Customer",
            "id": gid("Customer", 7_000_000_000_000 + order.number),
            "displayName": f"Shop Buyer {order.number}",
            "email": f"buyer{order.number}@example.com",
            "phone": None,
        },
        "shippingAddress": {
            "name": f"Shop Buyer {order.number}",
            "firstName": "Shop",
            "lastName": f"Buyer {order.number}",
            "company": None,
            "address1": f"{order.number} Marktstrasse",
            "address2": None,
            "city": {"DE": "Berlin", "FR": "Lyon", "NL": "Utrecht", "RU": "Moscow"}[order.country],
            "province": None,
            "provinceCode": None,
            "zip": f"{10115 + order.number}",
            "countryCode": order.country,
            "countryCodeV2": order.country,
            "phone": "+4930000000",
        },
        "shippingLine": {"title": "Standard", "code": "STD"},
        "lineItems": lines,
        "fulfillments": [],
        "refunded": Decimal(0),
    }
    price_order(body, data.currency)
    body["fulfillmentOrders"] = [
        {
            "__typename": "FulfillmentOrder",
            "id": gid("FulfillmentOrder", data.new_id()),
            "status": "OPEN",
            "assignedLocation": {"location": data.locations[0]},
            "lineItems": [
                {
                    "__typename": "FulfillmentOrderLineItem",
                    "id": gid("FulfillmentOrderLineItem", data.new_id()),
                    "sku": line["sku"],
                    "totalQuantity": line["currentQuantity"],
                    "remainingQuantity": line["unfulfilledQuantity"],
                    "lineItem": line,
                }
                for line in lines
            ],
        }
    ]
    return body
