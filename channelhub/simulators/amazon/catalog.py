"""Seeded shop data for the Amazon simulator: listings and orders in the contract's shapes.

The same seed (and ``start``) gives the same shop every run. Orders span several marketplaces
and currencies, with COD (Saudi Arabia, UAE), FBA (``fulfilledBy: AMAZON``), several lines,
cancellations and edits after creation (a later ``lastUpdatedTime``). Buyer and recipient
personal data are generated but served only with a Restricted Data Token.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any


@dataclass(frozen=True)
class Marketplace:
    marketplace_id: str
    country: str
    currency: str
    name: str
    rate: Decimal  # simulator price factor from USD; not an exchange rate anyone should use
    places: int = 2


MARKETPLACES: tuple[Marketplace, ...] = (
    Marketplace("ATVPDKIKX0DER", "US", "USD", "Amazon.com", Decimal("1")),
    Marketplace("A2EUQ1WTGCTBG2", "CA", "CAD", "Amazon.ca", Decimal("1.35")),
    Marketplace("A1PA6795UKMFR9", "DE", "EUR", "Amazon.de", Decimal("0.92")),
    Marketplace("A1F83G8C2ARO7P", "GB", "GBP", "Amazon.co.uk", Decimal("0.79")),
    Marketplace("A17E79C6D8DWNP", "SA", "SAR", "Amazon.sa", Decimal("3.75")),
    Marketplace("A2VIGQ35RCS4UG", "AE", "AED", "Amazon.ae", Decimal("3.67")),
    Marketplace("A1VC38T7YXB528", "JP", "JPY", "Amazon.co.jp", Decimal("150"), places=0),
)
COD_COUNTRIES = frozenset({"SA", "AE"})
PRODUCT_TYPES = ("LUGGAGE", "SHOES", "KITCHEN", "HOME", "TOY_FIGURE")
_NAMES = ("Aisha Al-Harbi", "Ben Brown", "Chen Wei", "Dana Dubois", "Elif Kaya", "Farid Haddad")
_CITIES = {
    "US": ("Austin", "TX", "78701"),
    "CA": ("Toronto", "ON", "M5H 2N2"),
    "DE": ("Berlin", "BE", "10115"),
    "GB": ("London", "LND", "SW1A 1AA"),
    "SA": ("Riyadh", "Riyadh", "12211"),
    "AE": ("Dubai", "Dubai", "00000"),
    "JP": ("Tokyo", "Tokyo", "100-0001"),
}


def iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def money(amount: Decimal, market: Marketplace) -> dict[str, str]:
    quantum = Decimal(1).scaleb(-market.places)
    return {"amount": str(amount.quantize(quantum, ROUND_HALF_UP)), "currencyCode": market.currency}


def make_listings(
    rng: random.Random, count: int, markets: tuple[Marketplace, ...]
) -> dict[str, dict[str, Any]]:
    """``count`` listings keyed by SKU, each in every marketplace of the seller."""
    listings: dict[str, dict[str, Any]] = {}
    created = datetime(2025, 6, 1, tzinfo=UTC)
    for index in range(count):
        sku = f"SIM-{index:05d}"
        base = Decimal(rng.randint(500, 20000)) / 100
        quantity = rng.choice((0, rng.randint(1, 200), rng.randint(1, 50)))
        fba = rng.random() < 0.2
        updated = created + timedelta(days=rng.randint(0, 150))
        summaries = [
            {
                "marketplaceId": m.marketplace_id,
                "asin": f"B0{rng.randrange(16**8):08X}",
                "productType": rng.choice(PRODUCT_TYPES),
                "conditionType": "new_new",
                "status": ["BUYABLE", "DISCOVERABLE"] if quantity else ["DISCOVERABLE"],
                "itemName": f"Simulated product {index}",
                "createdDate": iso(created),
                "lastUpdatedDate": iso(updated),
            }
            for m in markets
        ]
        product_type = summaries[0]["productType"]
        asin = summaries[0]["asin"]
        for summary in summaries:  # one product: same ASIN and type in every marketplace
            summary["productType"], summary["asin"] = product_type, asin
        availability = [{"fulfillmentChannelCode": "DEFAULT", "quantity": quantity}]
        if fba:
            availability.append({"fulfillmentChannelCode": "AMAZON_NA"})
        listings[sku] = {
            "sku": sku,
            "summaries": summaries,
            "offers": [
                {
                    "marketplaceId": m.marketplace_id,
                    "offerType": "B2C",
                    "price": money(base * m.rate, m),
                }
                for m in markets
            ],
            "fulfillmentAvailability": availability,
            "_base_price": base,
        }
    return listings


def _order_id(rng: random.Random) -> str:
    return f"{rng.randint(100, 999)}-{rng.randint(0, 9999999):07d}-{rng.randint(0, 9999999):07d}"


def make_orders(
    rng: random.Random,
    count: int,
    listings: dict[str, dict[str, Any]],
    markets: tuple[Marketplace, ...],
    start: datetime,
    end: datetime,
) -> dict[str, dict[str, Any]]:
    """``count`` orders created in [start, end), keyed by order id; PII under ``_pii``."""
    skus = sorted(listings)
    orders: dict[str, dict[str, Any]] = {}
    span = max(int((end - start).total_seconds()), 1)
    while len(orders) < count:
        market = rng.choice(markets)
        created = start + timedelta(seconds=rng.randrange(span))
        fba = rng.random() < 0.25
        cod = not fba and market.country in COD_COUNTRIES and rng.random() < 0.5
        status = rng.choices(
            ("PENDING", "UNSHIPPED", "PARTIALLY_SHIPPED", "SHIPPED", "CANCELLED"),
            weights=(5, 40, 5, 35, 15),
        )[0]
        if fba and status in ("PENDING", "PARTIALLY_SHIPPED"):
            status = "SHIPPED"
        edited = status in ("SHIPPED", "CANCELLED", "PARTIALLY_SHIPPED") or rng.random() < 0.3
        room = min(72 * 60, int((end - created).total_seconds() // 60))
        updated = (
            created + timedelta(minutes=rng.randint(1, room)) if edited and room >= 1 else created
        )
        items = []
        total = Decimal(0)
        for number, sku in enumerate(rng.sample(skus, k=min(len(skus), rng.randint(1, 3)))):
            listing = listings[sku]
            quantity = rng.randint(1, 3)
            unit = Decimal(listing["_base_price"]) * market.rate
            line_total = Decimal(money(unit, market)["amount"]) * quantity
            total += line_total
            shipped = quantity if status == "SHIPPED" else 0
            if status == "PARTIALLY_SHIPPED" and number == 0:
                shipped = quantity
            item: dict[str, Any] = {
                "orderItemId": f"{rng.randint(10**13, 10**14 - 1)}",
                "quantityOrdered": quantity,
                "product": {
                    "asin": listing["summaries"][0]["asin"],
                    "title": listing["summaries"][0]["itemName"],
                    "sellerSku": sku,
                    "price": {"unitPrice": money(unit, market)},
                },
                "proceeds": {"proceedsTotal": money(line_total, market)},
                "fulfillment": {
                    "quantityFulfilled": shipped,
                    "quantityUnfulfilled": 0 if status == "CANCELLED" else quantity - shipped,
                },
            }
            if status == "CANCELLED":
                item["cancellation"] = {
                    "cancellationExecution": {
                        "cancelledBy": "BUYER",
                        "cancelReason": "Changed mind",
                    }
                }
            if cod:
                item["fulfillment"]["shipping"] = {
                    "shippingConstraints": {"cashOnDelivery": "MANDATORY"}
                }
            items.append(item)
        order_id = _order_id(rng)
        city, region, postal = _CITIES[market.country]
        name = rng.choice(_NAMES)
        order: dict[str, Any] = {
            "orderId": order_id,
            "createdTime": iso(created),
            "lastUpdatedTime": iso(updated),
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
                "fulfillmentStatus": status,
                "fulfilledBy": "AMAZON" if fba else "MERCHANT",
                "fulfillmentServiceLevel": rng.choice(("STANDARD", "EXPEDITED")),
                "shipByWindow": {"latestDateTime": iso(created + timedelta(days=2))},
            },
            "orderItems": items,
            "_pii": {
                "buyer": {
                    "buyerName": name,
                    "buyerEmail": f"{order_id.replace('-', '')}@marketplace.amazon.com",
                },
                "recipient": {
                    "deliveryAddress": {
                        "name": name,
                        "addressLine1": f"{rng.randint(1, 999)} Simulated Street",
                        "city": city,
                        "stateOrRegion": region,
                        "postalCode": postal,
                        "countryCode": market.country,
                        "phone": f"+{rng.randint(10**9, 10**10 - 1)}",
                    }
                },
            },
        }
        if cod:
            order["payment"] = {
                "paymentExecutions": [
                    {"paymentMethod": "CashOnDelivery", "paymentAmount": money(total, market)}
                ]
            }
        orders[order_id] = order
    return orders
