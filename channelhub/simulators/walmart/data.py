"""The Walmart simulator's seeded seller account: items, inventory and purchase orders.

Amounts are JSON numbers as Walmart sends them (floats here, read back as Decimal by the
connector: two-decimal values survive ``repr`` exactly).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from channelhub.simulators.seeded import SeededData


def ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


@dataclass
class WalmartShop:
    """What a seller's Walmart account holds (mutable: the routes change it)."""

    items: dict[str, dict[str, Any]] = field(default_factory=dict)  # sku -> item
    inventory: dict[str, int] = field(default_factory=dict)  # sku -> quantity
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)  # purchaseOrderId -> order
    feeds: dict[str, dict[str, Any]] = field(default_factory=dict)  # feedId -> status body
    feed_polls: dict[str, int] = field(default_factory=dict)  # feedId -> GETs so far
    lose_next_ship_answer: bool = False  # act on the next shipping update, then answer 500
    empty_as_404: bool = False  # answer an empty released-orders window with 404


def last_modified(order: dict[str, Any]) -> int:
    """When the order last changed (epoch ms): its lines' latest ``statusDate``, which every
    action (acknowledge, ship, cancel, refund) stamps; getAllOrders filters on it."""
    stamps = [int(order["orderDate"])]
    stamps += [int(line["statusDate"]) for line in order["orderLines"]["orderLine"]]
    return max(stamps)


def buyer_cancels(order: dict[str, Any], line_number: str, at: datetime) -> None:
    """The buyer cancels a line's open units after the seller acknowledged the order."""
    for line in order["orderLines"]["orderLine"]:
        if line["lineNumber"] != line_number:
            continue
        rows = line["orderLineStatuses"]["orderLineStatus"]
        amount = sum(
            int(r["statusQuantity"]["amount"])
            for r in rows
            if r["status"] in ("Created", "Acknowledged")
        )
        kept = [r for r in rows if r["status"] not in ("Created", "Acknowledged")]
        line["orderLineStatuses"]["orderLineStatus"] = [
            *kept,
            {
                "status": "Cancelled",
                "cancellationReason": "CUSTOMER_REQUESTED_SELLER_TO_CANCEL",
                "statusQuantity": {"unitOfMeasurement": "EACH", "amount": str(amount)},
            },
        ]
        line["statusDate"] = ms(at)


def refund_line(order: dict[str, Any], line_number: str, amount: Decimal, at: datetime) -> None:
    """Walmart refunds a line (a negative ``PRODUCT`` refund charge, as the spec's example)."""
    for line in order["orderLines"]["orderLine"]:
        if line["lineNumber"] == line_number:
            charge = {
                "chargeType": "PRODUCT",
                "chargeName": "ItemPrice",
                "chargeAmount": {"currency": "USD", "amount": float(-amount)},
            }
            line["refund"] = {
                "refundId": f"R{order['purchaseOrderId']}{line_number}",
                "refundCharges": {
                    "refundCharge": [{"refundReason": "DamagedItem", "charge": charge}]
                },
            }
            line["statusDate"] = ms(at)


def build_shop(
    seed: int, *, order_count: int, sku_count: int = 24, anchor: datetime | None = None
) -> WalmartShop:
    """Orders created in the 20 days before ``anchor`` (now), all released (``Created``)."""
    end = (anchor or datetime.now(UTC)) - timedelta(minutes=30)
    start = end - timedelta(days=20)
    data = SeededData(seed)
    shop = WalmartShop()
    catalog = data.fork("catalog")
    for index in range(sku_count):
        sku = f"WM-{index:04d}"
        shop.items[sku] = {
            "mart": "WALMART_US",
            "sku": sku,
            "condition": "New",
            "wpid": catalog.identifier("0W", 10),
            "upc": catalog.digits(12),
            "gtin": "00" + catalog.digits(12),
            "productName": f"Sim Walmart product {index}",
            "productType": "Sim",
            "price": {"currency": "USD", "amount": float(catalog.amount("5", "90"))},
            "publishedStatus": "PUBLISHED" if index % 6 else "UNPUBLISHED",
            "lifecycleStatus": "ACTIVE",
        }
        shop.inventory[sku] = catalog.integer(0, 60)
    stream = data.fork("orders")
    skus = sorted(shop.items)
    for _ in range(order_count):
        order = _order(stream, shop, skus, start, end)
        shop.orders[order["purchaseOrderId"]] = order
    return shop


def _order(
    data: SeededData, shop: WalmartShop, skus: list[str], start: datetime, end: datetime
) -> dict[str, Any]:
    created = data.instant(start, end)
    po = data.digits(13)
    while po in shop.orders or po.startswith("0"):
        po = data.digits(13)
    lines = []
    for number in range(1, data.integer(1, 3) + 1):
        sku = data.choice(skus)
        quantity = data.integer(1, 2)
        unit = Decimal(str(shop.items[sku]["price"]["amount"]))
        lines.append(
            {
                "lineNumber": str(number),
                "item": {"productName": shop.items[sku]["productName"], "sku": sku},
                "charges": {
                    "charge": [
                        {
                            "chargeType": "PRODUCT",
                            "chargeName": "ItemPrice",
                            "chargeAmount": {"currency": "USD", "amount": float(unit * quantity)},
                            "tax": {
                                "taxName": "Tax1",
                                "taxAmount": {"currency": "USD", "amount": 1.25},
                            },
                        }
                    ]
                },
                "orderLineQuantity": {"unitOfMeasurement": "EACH", "amount": str(quantity)},
                "statusDate": ms(created),
                "orderLineStatuses": {
                    "orderLineStatus": [
                        {
                            "status": "Created",
                            "statusQuantity": {
                                "unitOfMeasurement": "EACH",
                                "amount": str(quantity),
                            },
                        }
                    ]
                },
                "fulfillment": {"fulfillmentOption": "S2H", "shipMethod": "STANDARD"},
            }
        )
    address = data.address("US")
    return {
        "purchaseOrderId": po,
        "customerOrderId": data.digits(13),
        "customerEmailId": f"{data.identifier('', 12)}@relay.walmart.com",
        "orderType": "REGULAR",
        "orderDate": ms(created),
        "shippingInfo": {
            "phone": address["phone"].lstrip("+"),
            "estimatedDeliveryDate": ms(created + timedelta(days=5)),
            "estimatedShipDate": ms(created + timedelta(days=2)),
            "methodCode": "Standard",
            "postalAddress": {
                "name": address["name"],
                "address1": address["line1"],
                "city": address["city"],
                "state": address["region"],
                "postalCode": address["postal_code"],
                "country": "USA",
                "addressType": "RESIDENTIAL",
            },
        },
        "orderLines": {"orderLine": lines},
        "shipNode": {"type": "SellerFulfilled"},
    }
