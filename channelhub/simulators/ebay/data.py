"""Seeded eBay shop data: inventory items, offers and orders shaped like the Sell API schemas."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from channelhub.simulators.seeded import SeededData

START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2026, 1, 31, tzinfo=UTC)
#: With an anchor (the simulator's clock at start) orders are created between 25 and 3 days
#: before it; a modification lands at most ~2.1 days later: none in the future, all inside
#: the hub's default 30-day first-import lookback.
ANCHORED_WINDOW = (timedelta(days=25), timedelta(days=3))


def order_window(anchor: datetime | None) -> tuple[datetime, datetime]:
    """When seeded orders are created: January 2026 without an anchor, else before it."""
    if anchor is None:
        return START, END
    oldest, newest = ANCHORED_WINDOW
    return anchor - oldest, anchor - newest


def ebay_time(value: datetime) -> str:
    return (
        value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    )


def money(value: Decimal, currency: str = "USD") -> dict[str, str]:
    return {"value": f"{value:.2f}", "currency": currency}


@dataclass
class EbayShop:
    """The simulator's mutable state: what a seller's eBay account holds."""

    items: dict[str, dict[str, Any]] = field(default_factory=dict)  # sku -> inventory item
    offers: dict[str, dict[str, Any]] = field(default_factory=dict)  # offerId -> offer
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)  # orderId -> order
    fulfillments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # orderId -> list
    revisions: dict[tuple[str, str], int] = field(default_factory=dict)  # (sku, day) -> count
    signing_key: ec.EllipticCurvePrivateKey | None = None
    key_id: str = ""
    lose_next_create_answer: bool = False  # act on the next create, then answer 500

    def public_key_pem(self) -> str:
        """The PEM as eBay serves it: one line, no breaks between the markers."""
        assert self.signing_key is not None
        pem = self.signing_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        body = "".join(pem.decode().splitlines()[1:-1])
        return f"-----BEGIN PUBLIC KEY-----{body}-----END PUBLIC KEY-----"


def build_shop(
    seed: int, *, order_count: int, sku_count: int = 30, anchor: datetime | None = None
) -> EbayShop:
    """The seeded account; ``anchor`` dates the orders relative to it (see order_window)."""
    window = order_window(anchor)
    data = SeededData(seed)
    shop = EbayShop()
    catalog = data.fork("catalog")
    for index in range(sku_count):
        sku = f"EB-{index:04d}"
        price = catalog.amount("3", "120")
        quantity = catalog.integer(0, 80)
        shop.items[sku] = {
            "sku": sku,
            "locale": "en_US",
            "condition": "NEW",
            "product": {"title": f"Sim product {index}", "upc": [catalog.digits(12)]},
            "availability": {"shipToLocationAvailability": {"quantity": quantity}},
        }
        if index % 5 != 4:  # every fifth item has no published offer
            offer_id = catalog.identifier("", 10)
            shop.offers[offer_id] = {
                "offerId": offer_id,
                "sku": sku,
                "marketplaceId": "EBAY_US",
                "format": "FIXED_PRICE",
                "availableQuantity": quantity,
                "pricingSummary": {"price": money(price)},
                "listing": {"listingId": catalog.identifier("1", 11), "listingStatus": "ACTIVE"},
                "status": "PUBLISHED",
            }
    listed = [o for o in shop.offers.values()]
    stream = data.fork("orders")
    for _ in range(order_count):
        order = _order(stream, listed, window)
        shop.orders[order["orderId"]] = order
        shop.fulfillments[order["orderId"]] = []
    shop.signing_key = ec.derive_private_key(10_000 + seed, ec.SECP256R1())
    shop.key_id = f"sim-key-{seed}"
    return shop


def _order(
    data: SeededData, offers: list[dict[str, Any]], window: tuple[datetime, datetime]
) -> dict[str, Any]:
    created = data.instant(*window)
    modified = created + timedelta(minutes=data.integer(0, 3000))
    order_id = f"{data.digits(2)}-{data.digits(5)}-{data.digits(5)}"
    lines = []
    subtotal = Decimal(0)
    for number in range(data.integer(1, 3)):
        offer = data.choice(offers)
        quantity = data.integer(1, 3)
        unit = Decimal(offer["pricingSummary"]["price"]["value"])
        cost = unit * quantity
        subtotal += cost
        lines.append(
            {
                "lineItemId": f"{data.digits(13)}{number}",
                "legacyItemId": offer["listing"]["listingId"],
                "sku": offer["sku"],
                "title": f"Sim item {offer['sku']}",
                "quantity": quantity,
                "lineItemCost": money(cost),
                "total": money(cost),
                "purchaseMarketplaceId": "EBAY_US",
                "listingMarketplaceId": "EBAY_US",
                "soldFormat": "FIXED_PRICE",
                "lineItemFulfillmentStatus": "NOT_STARTED",
                "lineItemFulfillmentInstructions": {
                    "shipByDate": ebay_time(created + timedelta(days=2)),
                    "guaranteedDelivery": False,
                },
            }
        )
    shipping = data.amount("0", "12")
    total = subtotal + shipping
    country = data.choice(("US", "US", "US", "DE", "GB"))
    address = data.address(country)
    cancelled = data.integer(1, 20) == 1
    refunds = []
    if cancelled:
        refunds.append(
            {
                "refundId": data.identifier("RF", 8),
                "amount": money(total),
                "refundStatus": "REFUNDED",
                "refundDate": ebay_time(modified),
            }
        )
    return {
        "orderId": order_id,
        "creationDate": ebay_time(created),
        "lastModifiedDate": ebay_time(modified),
        "orderFulfillmentStatus": "NOT_STARTED",
        "orderPaymentStatus": "FULLY_REFUNDED" if cancelled else "PAID",
        "buyer": {"username": f"buyer_{data.digits(6)}"},
        "pricingSummary": {
            "priceSubtotal": money(subtotal),
            "deliveryCost": money(shipping),
            "total": money(total),
        },
        "cancelStatus": {
            "cancelState": "CANCELED" if cancelled else "NONE_REQUESTED",
            "cancelRequests": [],
        },
        "paymentSummary": {
            "payments": [
                {
                    "paymentMethod": "EBAY",
                    "paymentStatus": "PAID",
                    "amount": money(total),
                    "paymentDate": ebay_time(created),
                }
            ],
            "refunds": refunds,
            "totalDueSeller": money(total),
        },
        "fulfillmentStartInstructions": [
            {
                "fulfillmentInstructionsType": "SHIP_TO",
                "ebaySupportedFulfillment": False,
                "shippingStep": {
                    "shipTo": {
                        "fullName": address["name"],
                        "contactAddress": {
                            "addressLine1": address["line1"],
                            "city": address["city"],
                            "stateOrProvince": address["region"],
                            "postalCode": address["postal_code"],
                            "countryCode": country,
                        },
                        "primaryPhone": {"phoneNumber": address["phone"]},
                    },
                    "shippingServiceCode": "USPSPriority"
                    if country == "US"
                    else "StandardInternational",
                },
            }
        ],
        "fulfillmentHrefs": [],
        "lineItems": lines,
    }
