"""Webhook deliveries as Shopify sends them: REST-shaped order JSON, signed, at least once.

``render_rest_order`` turns a seeded order into the REST body the ``orders/*`` topics carry
(ids as JSON integers beyond 2^53, money as strings). ``WebhookSender`` signs each delivery
with the app secret (``X-Shopify-Hmac-Sha256``) and, with ``duplicate_rate``, delivers some
twice with the same ``X-Shopify-Webhook-Id`` — as Shopify's at-least-once delivery does.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx

from channelhub.mappings.shopify.webhooks import sign_webhook
from channelhub.simulators.shopify.seed import ShopData, bag, num

_FULFILLMENT = {"UNFULFILLED": None, "PARTIALLY_FULFILLED": "partial", "FULFILLED": "fulfilled"}


def _money_set(bag: dict[str, Any]) -> dict[str, Any]:
    return {
        "shop_money": {
            "amount": bag["shopMoney"]["amount"],
            "currency_code": bag["shopMoney"]["currencyCode"],
        },
        "presentment_money": {
            "amount": bag["presentmentMoney"]["amount"],
            "currency_code": bag["presentmentMoney"]["currencyCode"],
        },
    }


def _rest_line(line: dict[str, Any], currency: str) -> dict[str, Any]:
    return {
        "id": int(num(line["id"])),
        "admin_graphql_api_id": line["id"],
        "product_id": int(num(line["product"]["id"])),
        "variant_id": int(num(line["variant"]["id"])),
        "sku": line["sku"],
        "title": line["title"],
        "variant_title": line["variantTitle"],
        "quantity": line["quantity"],
        "current_quantity": line["currentQuantity"],
        "fulfillable_quantity": line["unfulfilledQuantity"],
        "price": str(line["unit"]),
        "price_set": _money_set(line["originalUnitPriceSet"]),
        "total_discount": str(line["discount"]),
        "total_discount_set": _money_set(bag(line["discount"], currency)),
    }


def render_rest_order(order: dict[str, Any]) -> dict[str, Any]:
    """The REST ``Order`` resource of a seeded order (what order webhooks carry)."""
    currency = order["presentmentCurrencyCode"]
    address = order["shippingAddress"]
    customer = order["customer"]
    refunded: Decimal = order.get("refunded", Decimal(0))
    refunds = []
    if refunded > 0:
        refunds.append(
            {
                "id": int(num(order["id"])) // 1000,
                "created_at": order["updatedAt"],
                "refund_line_items": [
                    {
                        "line_item_id": int(num(ln["id"])),
                        "quantity": ln["nonFulfillableQuantity"],
                        "restock_type": "cancel",
                    }
                    for ln in order["lineItems"]
                    if ln["nonFulfillableQuantity"]
                ],
                "transactions": [
                    {
                        "kind": "refund",
                        "status": "success",
                        "amount": str(refunded),
                        "currency": currency,
                    }
                ],
            }
        )
    cancel_reason = order.get("cancelReason")
    return {
        "id": int(num(order["id"])),
        "admin_graphql_api_id": order["id"],
        "name": order["name"],
        "email": order["email"],
        "phone": order["phone"],
        "created_at": order["createdAt"],
        "updated_at": order["updatedAt"],
        "processed_at": order["processedAt"],
        "cancelled_at": order["cancelledAt"],
        "cancel_reason": cancel_reason.lower() if cancel_reason else None,
        "closed_at": order["updatedAt"] if order["closed"] else None,
        "financial_status": order["displayFinancialStatus"].lower(),
        "fulfillment_status": _FULFILLMENT.get(order["displayFulfillmentStatus"]),
        "currency": order["currencyCode"],
        "presentment_currency": currency,
        "payment_gateway_names": list(order["paymentGatewayNames"]),
        "note": order["note"],
        "tags": ", ".join(order["tags"]),
        "customer": {
            "id": int(num(customer["id"])),
            "first_name": address["firstName"],
            "last_name": address["lastName"],
            "email": customer["email"],
            "phone": customer["phone"],
        },
        "shipping_address": {
            "name": address["name"],
            "first_name": address["firstName"],
            "last_name": address["lastName"],
            "company": address["company"],
            "address1": address["address1"],
            "address2": address["address2"],
            "city": address["city"],
            "province": address["province"],
            "province_code": address["provinceCode"],
            "zip": address["zip"],
            "country_code": address["countryCodeV2"],
            "phone": address["phone"],
        },
        "shipping_lines": [
            {
                "title": order["shippingLine"]["title"],
                "code": order["shippingLine"]["code"],
                "price": order["totalShippingPriceSet"]["shopMoney"]["amount"],
            }
        ],
        "current_subtotal_price_set": _money_set(order["currentSubtotalPriceSet"]),
        "total_shipping_price_set": _money_set(order["totalShippingPriceSet"]),
        "current_total_tax_set": _money_set(order["currentTotalTaxSet"]),
        "current_total_discounts_set": _money_set(order["currentTotalDiscountsSet"]),
        "current_total_price_set": _money_set(order["currentTotalPriceSet"]),
        "total_outstanding": order["totalOutstandingSet"]["presentmentMoney"]["amount"],
        "line_items": [_rest_line(line, currency) for line in order["lineItems"]],
        "refunds": refunds,
    }


@dataclass(frozen=True)
class WebhookDelivery:
    """One HTTP delivery: the headers and the exact raw body that was signed."""

    topic: str
    webhook_id: str
    headers: dict[str, str]
    body: bytes


@dataclass
class WebhookSender:
    """Signs and delivers order webhooks for one shop (``secret`` is the app's secret)."""

    data: ShopData
    secret: str
    duplicate_rate: float = 0.0
    api_version: str = "2025-01"
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def delivery(self, topic: str, order_id: str) -> WebhookDelivery:
        """A fresh, signed delivery of ``topic`` for one order."""
        body = json.dumps(render_rest_order(self.data.orders[order_id])).encode()
        webhook_id = str(uuid.UUID(int=self.rng.getrandbits(128)))
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": sign_webhook(body, self.secret),
            "X-Shopify-Shop-Domain": self.data.domain,
            "X-Shopify-API-Version": self.api_version,
            "X-Shopify-Webhook-Id": webhook_id,
            "X-Shopify-Triggered-At": self.now().astimezone(UTC).isoformat(),
        }
        return WebhookDelivery(topic, webhook_id, headers, body)

    def deliveries(self, topic: str, order_id: str) -> list[WebhookDelivery]:
        """What reaches the app for one event: once, or twice with the same webhook id."""
        one = self.delivery(topic, order_id)
        return [one, one] if self.rng.random() < self.duplicate_rate else [one]

    async def send(
        self, client: httpx.AsyncClient, url: str, topic: str, order_id: str
    ) -> list[httpx.Response]:
        """POST the event's deliveries to ``url`` and return the app's answers."""
        return [
            await client.post(url, content=d.body, headers=d.headers)
            for d in self.deliveries(topic, order_id)
        ]
