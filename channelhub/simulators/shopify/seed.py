"""Seeded, deterministic shop data in the shapes the Admin API answers with.

Objects are kept as GraphQL-shaped dicts (``__typename`` set, connections as plain lists), so
the executor can answer any selection of them. The generator covers what imports must get
right: several presentment currencies, cash on delivery, multi-line orders, cancellations,
refunds, partial and full fulfilment, and edits after creation. Order ids exceed 2^53.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from channelhub.core.codes import minor_units

#: Presentment currency -> (rate per USD, country, shipping fee, VAT rate)
MARKETS: dict[str, tuple[Decimal, str, Decimal, Decimal]] = {
    "USD": (Decimal("1"), "US", Decimal("6.90"), Decimal("0")),
    "EUR": (Decimal("0.92"), "DE", Decimal("7.50"), Decimal("0.19")),
    "GBP": (Decimal("0.79"), "GB", Decimal("3.99"), Decimal("0.20")),
    "SAR": (Decimal("3.75"), "SA", Decimal("20"), Decimal("0.15")),
    "AED": (Decimal("3.67"), "AE", Decimal("15"), Decimal("0.05")),
    "JPY": (Decimal("150"), "JP", Decimal("800"), Decimal("0.10")),
}
ORDER_ID_BASE = 2**53 + 1000  # beyond a float's exact range on purpose
COD_GATEWAY = "Cash on Delivery (COD)"


def gid(kind: str, number: int | str) -> str:
    return f"gid://shopify/{kind}/{number}"


def num(global_id: str) -> str:
    return global_id.rsplit("/", 1)[-1]


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def quantize(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP)


def bag(amount: Decimal, currency: str, shop_currency: str = "USD") -> dict[str, Any]:
    """A MoneyBag: presentment money and the shop-currency equivalent."""
    rate = MARKETS.get(currency, (Decimal(1),))[0] / MARKETS.get(shop_currency, (Decimal(1),))[0]
    shop = quantize(amount / rate, shop_currency)
    return {
        "presentmentMoney": {"amount": str(amount), "currencyCode": currency},
        "shopMoney": {"amount": str(shop), "currencyCode": shop_currency},
    }


@dataclass
class ShopData:
    """Everything one simulated shop holds; mutated by the simulator's mutations."""

    currency: str = "USD"
    domain: str = "channelhub-sim.myshopify.com"
    name: str = "channelhub simulator"
    #: the access scopes granted to the app (``currentAppInstallation.accessScopes``)
    scopes: tuple[str, ...] = (
        "read_orders",
        "read_products",
        "read_inventory",
        "write_inventory",
        "read_locations",
        "read_merchant_managed_fulfillment_orders",
        "write_merchant_managed_fulfillment_orders",
    )
    locations: list[dict[str, Any]] = field(default_factory=list)
    products: list[dict[str, Any]] = field(default_factory=list)
    levels: dict[tuple[str, str], int] = field(default_factory=dict)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    next_id: int = 990_000_000_000

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def variants(self) -> list[dict[str, Any]]:
        return [v for p in self.products for v in p["variants"]]

    def inventory_item(self, item_id: str) -> dict[str, Any] | None:
        for variant in self.variants():
            if num(variant["inventoryItem"]["id"]) == item_id:
                return variant["inventoryItem"]  # type: ignore[no-any-return]
        return None

    def refresh_inventory(self) -> None:
        """Recompute each variant's ``inventoryQuantity`` and each item's levels view."""
        for variant in self.variants():
            item = variant["inventoryItem"]
            item_id = num(item["id"])
            levels = [
                {
                    "__typename": "InventoryLevel",
                    "id": gid("InventoryLevel", f"{item_id}{loc_id}"),
                    "location": location,
                    "quantities": [
                        {
                            "__typename": "InventoryQuantity",
                            "id": gid("InventoryQuantity", f"{item_id}{loc_id}"),
                            "name": "available",
                            "quantity": qty,
                        }
                    ],
                }
                for location in self.locations
                for loc_id in [num(location["id"])]
                if (qty := self.levels.get((item_id, loc_id))) is not None
            ]
            item["inventoryLevels"] = levels
            item["inventoryLevel"] = _level_at(levels)
            variant["inventoryQuantity"] = sum(
                q for (i, _), q in self.levels.items() if i == item_id
            )


def _level_at(levels: list[dict[str, Any]]) -> Callable[..., dict[str, Any] | None]:
    """``InventoryItem.inventoryLevel(locationId:)``: the item's level there, or null when
    the item is not stocked at that location."""

    def resolve(info: Any, **args: Any) -> dict[str, Any] | None:
        wanted = num(args["locationId"])
        return next((lv for lv in levels if num(lv["location"]["id"]) == wanted), None)

    return resolve


def _products(rng: random.Random, data: ShopData, count: int, start: datetime) -> None:
    colours = ["Black", "White", "Red", "Blue", "Green"]
    for p in range(count):
        product_id = 8_100_000_000_000 + p
        n_variants = rng.randint(1, 3)
        variants = []
        for v in range(n_variants):
            variant_id = 45_000_000_000_000 + p * 10 + v
            item_id = 47_000_000_000_000 + p * 10 + v
            title = colours[v] if n_variants > 1 else "Default Title"
            variants.append(
                {
                    "__typename": "ProductVariant",
                    "id": gid("ProductVariant", variant_id),
                    "title": title,
                    "sku": f"SKU-{p:04d}-{v}",
                    "barcode": f"40063{p:05d}{v:03d}" if rng.random() < 0.8 else None,
                    "price": str(Decimal(rng.randint(500, 9000)) / 100),
                    "updatedAt": iso(start),
                    "inventoryItem": {
                        "__typename": "InventoryItem",
                        "id": gid("InventoryItem", item_id),
                        "sku": f"SKU-{p:04d}-{v}",
                    },
                }
            )
            for location in data.locations:
                data.levels[(str(item_id), num(location["id"]))] = rng.randint(0, 60)
        data.products.append(
            {
                "__typename": "Product",
                "id": gid("Product", product_id),
                "title": f"Product {p:04d}",
                "status": rng.choice(["ACTIVE"] * 8 + ["DRAFT", "ARCHIVED"]),
                "updatedAt": iso(start),
                "variants": variants,
            }
        )
    data.refresh_inventory()


def _line(
    rng: random.Random,
    data: ShopData,
    variant: dict[str, Any],
    product: dict[str, Any],
    currency: str,
) -> dict[str, Any]:
    rate = MARKETS[currency][0]
    unit = quantize(Decimal(variant["price"]) * rate, currency)
    quantity = rng.randint(1, 3)
    return {
        "__typename": "LineItem",
        "id": gid("LineItem", data.new_id()),
        "sku": variant["sku"],
        "title": product["title"],
        "variantTitle": None if variant["title"] == "Default Title" else variant["title"],
        "quantity": quantity,
        "currentQuantity": quantity,
        "unfulfilledQuantity": quantity,
        "nonFulfillableQuantity": 0,
        "product": {"__typename": "Product", "id": product["id"]},
        "variant": {"__typename": "ProductVariant", "id": variant["id"]},
        "unit": unit,
        "discount": Decimal(0),
    }


def price_order(order: dict[str, Any], shop_currency: str) -> None:
    """(Re)compute an order's money from its lines (after creation, an edit or a refund)."""
    currency = order["presentmentCurrencyCode"]
    _, _, shipping, vat = MARKETS[currency]
    subtotal = Decimal(0)
    for line in order["lineItems"]:
        line["originalUnitPriceSet"] = bag(line["unit"], currency, shop_currency)
        line_total = line["unit"] * line["quantity"] - line["discount"]
        line["discountedTotalSet"] = bag(line_total, currency, shop_currency)
        subtotal += line["unit"] * line["currentQuantity"] - line["discount"]
    if order.get("cancelledAt"):
        subtotal, shipping = Decimal(0), Decimal(0)
    tax = quantize(subtotal * vat, currency)
    total = subtotal + shipping + tax
    refunded = order.get("refunded", Decimal(0))
    paid = order["displayFinancialStatus"] in {"PAID", "PARTIALLY_REFUNDED", "REFUNDED"}
    for key, amount in {
        "currentSubtotalPriceSet": subtotal,
        "totalShippingPriceSet": shipping,
        "currentTotalTaxSet": tax,
        "currentTotalDiscountsSet": sum((ln["discount"] for ln in order["lineItems"]), Decimal(0)),
        "currentTotalPriceSet": total,
        "totalOutstandingSet": Decimal(0) if paid else total,
        "totalRefundedSet": refunded,
    }.items():
        order[key] = bag(quantize(Decimal(amount), currency), currency, shop_currency)


def _fulfillment_orders(data: ShopData, order: dict[str, Any]) -> None:
    status = "CANCELLED" if order.get("cancelledAt") else "OPEN"
    lines = []
    for line in order["lineItems"]:
        remaining = line["unfulfilledQuantity"]
        lines.append(
            {
                "__typename": "FulfillmentOrderLineItem",
                "id": gid("FulfillmentOrderLineItem", data.new_id()),
                "sku": line["sku"],
                "totalQuantity": line["currentQuantity"],
                "remainingQuantity": 0 if status == "CANCELLED" else remaining,
                "lineItem": line,
            }
        )
    if status == "OPEN" and all(x["remainingQuantity"] == 0 for x in lines):
        status = "CLOSED"
    order["fulfillmentOrders"] = [
        {
            "__typename": "FulfillmentOrder",
            "id": gid("FulfillmentOrder", data.new_id()),
            "status": status,
            "assignedLocation": {"location": data.locations[0]},
            "lineItems": lines,
        }
    ]


def _order(rng: random.Random, data: ShopData, n: int, placed: datetime) -> dict[str, Any]:
    currency = list(MARKETS)[n % len(MARKETS)]
    country = MARKETS[currency][1]
    cod = currency in {"SAR", "AED"} and rng.random() < 0.6
    picks = rng.sample([(v, p) for p in data.products for v in p["variants"]], rng.randint(1, 3))
    lines = [_line(rng, data, v, p, currency) for v, p in picks]
    order: dict[str, Any] = {
        "__typename": "Order",
        "id": gid("Order", ORDER_ID_BASE + n * 7919),
        "legacyResourceId": str(ORDER_ID_BASE + n * 7919),
        "name": f"#{1001 + n}",
        "createdAt": iso(placed),
        "processedAt": iso(placed),
        "updatedAt": iso(placed + timedelta(minutes=1)),
        "cancelledAt": None,
        "cancelReason": None,
        "closed": False,
        "edited": False,
        "displayFinancialStatus": "PENDING" if cod else "PAID",
        "displayFulfillmentStatus": "UNFULFILLED",
        "currencyCode": data.currency,
        "presentmentCurrencyCode": currency,
        "paymentGatewayNames": [COD_GATEWAY] if cod else ["shopify_payments"],
        "note": None if rng.random() < 0.8 else "Call before delivery",
        "tags": [],
        "email": f"buyer{n}@example.com",
        "phone": None,
        "customer": {
            "__typename": "Customer",
            "id": gid("Customer", 7_000_000_000_000 + n),
            "displayName": f"Buyer {n}",
            "email": f"buyer{n}@example.com",
            "phone": None,
        },
        "shippingAddress": {
            "name": f"Buyer {n}",
            "firstName": "Buyer",
            "lastName": str(n),
            "company": None,
            "address1": f"{n} Market Street",
            "address2": None,
            "city": "Capital",
            "province": None,
            "provinceCode": None,
            "zip": f"{10000 + n}",
            "countryCodeV2": country,
            "phone": "+10000000000",
        },
        "shippingLine": {"title": "Standard", "code": "STD"},
        "lineItems": lines,
        "fulfillments": [],
        "refunded": Decimal(0),
    }
    _story(rng, data, order, placed)
    price_order(order, data.currency)
    _fulfillment_orders(data, order)
    return order


def _story(rng: random.Random, data: ShopData, order: dict[str, Any], placed: datetime) -> None:
    """What happened to the order after it was placed."""
    roll = rng.random()
    later = placed + timedelta(hours=rng.randint(2, 72))
    lines = order["lineItems"]
    currency = order["presentmentCurrencyCode"]
    if roll < 0.10:  # cancelled before shipping, refunded
        order.update(
            cancelledAt=iso(later),
            cancelReason=rng.choice(["CUSTOMER", "INVENTORY"]),
            closed=True,
            updatedAt=iso(later),
        )
        paid = order["displayFinancialStatus"] == "PAID"
        order["displayFinancialStatus"] = "REFUNDED" if paid else "VOIDED"
        if paid:
            order["refunded"] = sum((ln["unit"] * ln["quantity"] for ln in lines), Decimal(0))
        for line in lines:
            line.update(
                currentQuantity=0, unfulfilledQuantity=0, nonFulfillableQuantity=line["quantity"]
            )
    elif roll < 0.20 and order["displayFinancialStatus"] == "PAID":  # one unit refunded
        line = lines[0]
        line["currentQuantity"] -= 1
        line["unfulfilledQuantity"] -= 1
        line["nonFulfillableQuantity"] += 1
        order["refunded"] = line["unit"]
        order["displayFinancialStatus"] = "PARTIALLY_REFUNDED"
        order["updatedAt"] = iso(later)
    elif roll < 0.30:  # edited after creation: a line added
        variant_product = rng.choice([(v, p) for p in data.products for v in p["variants"]])
        lines.append(_line(rng, data, *variant_product, currency))
        order.update(edited=True, updatedAt=iso(later))
    elif roll < 0.45:  # shipped in full
        for line in lines:
            line["unfulfilledQuantity"] = 0
        order["displayFulfillmentStatus"] = "FULFILLED"
        order["updatedAt"] = iso(later)
        order["fulfillments"].append(
            fulfillment_record(
                data,
                later,
                [(ln, ln["quantity"]) for ln in lines],
                "UPS",
                f"1Z{data.new_id()}",
                None,
            )
        )
    elif roll < 0.52 and sum(ln["quantity"] for ln in lines) > 1:  # shipped in part
        line = lines[0]
        line["unfulfilledQuantity"] -= 1
        order["displayFulfillmentStatus"] = "PARTIALLY_FULFILLED"
        order["updatedAt"] = iso(later)
        order["fulfillments"].append(
            fulfillment_record(data, later, [(line, 1)], "DHL Express", str(data.new_id()), None)
        )


def fulfillment_record(
    data: ShopData,
    when: datetime,
    lines: list[tuple[dict[str, Any], int]],
    company: str | None,
    number: str | None,
    url: str | None,
) -> dict[str, Any]:
    """A ``Fulfillment`` object as Shopify returns it."""
    return {
        "__typename": "Fulfillment",
        "id": gid("Fulfillment", data.new_id()),
        "status": "SUCCESS",
        "createdAt": iso(when),
        "trackingInfo": [{"company": company, "number": number, "url": url}],
        "fulfillmentLineItems": [
            {
                "__typename": "FulfillmentLineItem",
                "id": gid("FulfillmentLineItem", data.new_id()),
                "quantity": qty,
                "lineItem": line,
            }
            for line, qty in lines
        ],
    }


def generate_shop(
    seed: int = 0,
    *,
    orders: int = 40,
    products: int = 12,
    locations: int = 2,
    start: datetime = datetime(2026, 1, 1, tzinfo=UTC),
) -> ShopData:
    """A deterministic shop: the same seed always gives the same data."""
    rng = random.Random(seed)
    data = ShopData()
    for i in range(locations):
        data.locations.append(
            {
                "__typename": "Location",
                "id": gid("Location", 61_000_000_000 + i),
                "name": ["Shenzhen DC", "Los Angeles 3PL", "Rotterdam 3PL"][i % 3],
                "isActive": True,
                "fulfillsOnlineOrders": True,
                "address": {"countryCode": ["CN", "US", "NL"][i % 3], "city": "City"},
            }
        )
    _products(rng, data, products, start)
    for n in range(orders):
        placed = start + timedelta(minutes=37 * n + rng.randint(0, 30))
        order = _order(rng, data, n, placed)
        data.orders[num(order["id"])] = order
    return data
