"""The simulated shop's webhook subscriptions, and the order webhooks it sends to them.

``webhookSubscriptionCreate`` / ``webhookSubscriptions`` (2025-01 schema) record where each
topic goes. :meth:`OrderWebhooks.place_order` (a buyer checks out now) and
:meth:`OrderWebhooks.update_order` change the shop and POST ``orders/create`` /
``orders/updated`` — REST-shaped, signed with the app secret (``X-Shopify-Hmac-Sha256``) by
:class:`~channelhub.simulators.shopify.webhooks.WebhookSender` — to every subscribed address, as
Shopify does right after the change. Over HTTP: ``POST /_sim/orders`` and
``POST /_sim/orders/{id}/update``.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from channelhub.mappings.shopify.webhooks import sign_webhook
from channelhub.simulators.shopify.graph import paginate
from channelhub.simulators.shopify.seed import ShopData, _order, gid, iso, num
from channelhub.simulators.shopify.webhooks import WebhookSender

TOPICS = {
    "ORDERS_CREATE": "orders/create",
    "ORDERS_UPDATED": "orders/updated",
    "BULK_OPERATIONS_FINISH": "bulk_operations/finish",
}
DEFAULT_SECRET = "shpss_simulator_secret"


@dataclass
class OrderWebhooks:
    """Subscriptions of the app, and the deliveries made to them."""

    data: ShopData
    now: Callable[[], datetime]
    secret: str = DEFAULT_SECRET
    transport: httpx.AsyncBaseTransport | None = None
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    delivered: list[tuple[str, str, int]] = field(default_factory=list)  # topic, url, status

    # --- GraphQL root fields ---------------------------------------------------------------

    def query_fields(self) -> dict[str, Any]:
        def webhook_subscriptions(info: Any, **args: Any) -> dict[str, Any]:
            topics = args.get("topics")
            url = args.get("callbackUrl")
            found = [
                s
                for s in self.subscriptions
                if (not topics or s["topic"] in topics) and (url is None or s["callbackUrl"] == url)
            ]
            return paginate(found, args)

        return {"webhookSubscriptions": webhook_subscriptions}

    def mutation_fields(self) -> dict[str, Any]:
        def create(info: Any, **args: Any) -> dict[str, Any]:
            topic, spec = args["topic"], args["webhookSubscription"]
            url = spec.get("callbackUrl")
            if not url:
                return _user_error("callbackUrl", "Address can't be blank")
            if any(s["topic"] == topic and s["callbackUrl"] == url for s in self.subscriptions):
                return _user_error("address", "Address for this topic has already been taken")
            number = self.data.new_id()
            stamp = iso(self.now())
            made = {
                "__typename": "WebhookSubscription",
                "id": gid("WebhookSubscription", number),
                "legacyResourceId": str(number),
                "topic": topic,
                "callbackUrl": url,
                "endpoint": {"__typename": "WebhookHttpEndpoint", "callbackUrl": url},
                "format": spec.get("format") or "JSON",
                "includeFields": list(spec.get("includeFields") or []),
                "metafieldNamespaces": [],
                "filter": spec.get("filter"),
                "apiVersion": {"__typename": "ApiVersion", "handle": "2025-01"},
                "createdAt": stamp,
                "updatedAt": stamp,
            }
            self.subscriptions.append(made)
            return {"webhookSubscription": made, "userErrors": []}

        return {"webhookSubscriptionCreate": create}

    # --- the shop changes ------------------------------------------------------------------

    async def place_order(self, *, send: bool = True) -> str:
        """A buyer places an unfulfilled order now; ``orders/create`` goes out (unless not
        ``send``: the caller delivers it, e.g. a bench's own concurrent sender). Its id."""
        n = len(self.data.orders)
        while True:
            order = _order(self.rng, self.data, n, self.now())
            fresh = order["cancelledAt"] is None and num(order["id"]) not in self.data.orders
            if fresh and order["displayFulfillmentStatus"] == "UNFULFILLED":
                break
            n += 1
        stamp = iso(self.now())
        order.update(createdAt=stamp, processedAt=stamp, updatedAt=stamp)
        order_id = num(order["id"])
        self.data.orders[order_id] = order
        if send:
            await self.send("ORDERS_CREATE", order_id)
        return order_id

    async def update_order(self, order_id: str, *, note: str | None = None) -> None:
        """The merchant edits an order now; ``orders/updated`` goes out."""
        order = self.data.orders[order_id]
        order.update(updatedAt=iso(self.now()), note=note)
        await self.send("ORDERS_UPDATED", order_id)

    async def send(self, topic: str, order_id: str) -> None:
        """POST one signed delivery of ``topic`` to every address subscribed to it. A refused
        delivery is recorded (Shopify would retry it; the hub's polling catches it anyway)."""
        targets = [s["callbackUrl"] for s in self.subscriptions if s["topic"] == topic]
        if not targets:
            return
        sender = WebhookSender(self.data, self.secret, rng=self.rng, now=self.now)
        async with httpx.AsyncClient(transport=self.transport, timeout=10.0) as client:
            for url in targets:
                delivery = sender.delivery(TOPICS[topic], order_id)
                try:
                    answer = await client.post(url, content=delivery.body, headers=delivery.headers)
                    status = answer.status_code
                except httpx.HTTPError:
                    status = 0
                self.delivered.append((topic, url, status))

    async def send_json(self, topic: str, payload: dict[str, Any]) -> None:
        """POST one signed JSON body of ``topic`` (not an order's: e.g. a finished bulk
        operation) to every address subscribed to it."""
        targets = [s["callbackUrl"] for s in self.subscriptions if s["topic"] == topic]
        if not targets:
            return
        body = json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": TOPICS[topic],
            "X-Shopify-Hmac-Sha256": sign_webhook(body, self.secret),
            "X-Shopify-Shop-Domain": self.data.domain,
            "X-Shopify-API-Version": "2025-01",
            "X-Shopify-Webhook-Id": str(uuid.UUID(int=self.rng.getrandbits(128))),
            "X-Shopify-Triggered-At": self.now().astimezone(UTC).isoformat(),
        }
        async with httpx.AsyncClient(transport=self.transport, timeout=10.0) as client:
            for url in targets:
                try:
                    status = (await client.post(url, content=body, headers=headers)).status_code
                except httpx.HTTPError:
                    status = 0
                self.delivered.append((topic, url, status))


def _user_error(name: str, message: str) -> dict[str, Any]:
    error = {"__typename": "UserError", "field": ["webhookSubscription", name], "message": message}
    return {"webhookSubscription": None, "userErrors": [error]}
