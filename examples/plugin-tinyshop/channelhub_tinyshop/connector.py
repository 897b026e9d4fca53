"""The Tinyshop connector: one shop's orders, quantities, shipments and webhooks.

Tinyshop lists orders by (updated_at, id) after a keyset, so a page cursor is the last order
read: an order updated mid-walk moves behind it and is read later in the same walk, and a
killed import resumes exactly after its last committed page. The last page's cursor holds
back ``OVERLAP`` so a change Tinyshop commits late is still read by the next run.
Shipments carry no idempotency key: the connector reads an order's shipments before it
creates one, so a repeat after a crash finds the first.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime, timedelta

from channelhub.connectors.errors import CapabilityMissing, WebhookRejected
from channelhub.connectors.http.auth import HeaderTokenAuth
from channelhub.connectors.http.ratelimit import RateLimit
from channelhub.connectors.plugin import ConnectorContext, http_client_for
from channelhub.connectors.records import PageRecords, map_fetched
from channelhub.connectors.results import (
    ChannelFulfilment,
    Fetched,
    FulfilmentPush,
    PackagePushResult,
    PageOf,
    QuantityPushResult,
    QuantityUpdate,
    RawRecord,
    WebhookEvent,
)
from channelhub.connectors.roles import Capability
from channelhub.connectors.webhooks import check_replay_window, verify_hmac_sha256
from channelhub.core.models import Listing, Order
from channelhub_tinyshop import mapping

DEFAULT_BASE_URL = "https://api.tinyshop.example"
#: Tinyshop's published limits, per operation (the account's ``rate_limits`` override them)
LIMITS = {
    "listOrders": RateLimit(rate=5, burst=10),
    "getOrder": RateLimit(rate=5, burst=10),
    "setInventory": RateLimit(rate=2, burst=5),
    "shipments": RateLimit(rate=5, burst=10),
}
BATCH = 50  # items per POST /api/inventory
PAGE_SIZE = 50
OVERLAP = timedelta(minutes=2)
CAPABILITIES = frozenset(
    {
        Capability.PULL_ORDERS,
        Capability.GET_ORDER,
        Capability.PUSH_QUANTITIES,
        Capability.PUSH_FULFILMENT,
        Capability.READ_FULFILMENTS,
        Capability.VERIFY_WEBHOOK,
    }
)


class TinyshopConnector:
    """One Tinyshop shop."""

    platform = "tinyshop"
    capabilities = CAPABILITIES

    def __init__(self, context: ConnectorContext, *, page_size: int = PAGE_SIZE) -> None:
        self.account = context.account
        self._context = context
        self._now = context.now
        self._page_size = page_size
        auth = HeaderTokenAuth("X-Api-Key", context.credential("api_key"))
        self.http = http_client_for(
            context, default_base_url=DEFAULT_BASE_URL, limits=LIMITS, auth=auth
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    # --- orders ----------------------------------------------------------------------------

    async def pull_orders(
        self, cursor: str | None = None, *, since: datetime | None = None
    ) -> AsyncIterator[PageOf[Order]]:
        if cursor is not None:
            after, after_id = json.loads(cursor)
        else:
            start = since or self._now() - timedelta(days=30)
            after, after_id = start.isoformat(), ""
        while True:
            response = await self.http.request(
                "listOrders",
                "GET",
                "/api/orders",
                params={"updated_after": after, "after_id": after_id, "limit": self._page_size},
            )
            body = response.json()
            page: PageRecords[Order] = PageRecords()
            for node in body["orders"]:
                raw = RawRecord(
                    "order", str(node.get("id")), json.dumps(node).encode(), self._now()
                )
                page.take(raw, mapping.normalize_orders, node, account=self.account)
                page.origins.extend([len(page.raws) - 1] * (len(page.items) - len(page.origins)))
            if body["orders"]:
                last = body["orders"][-1]
                after, after_id = str(last["updated_at"]), str(last["id"])
            done = not body["has_more"]
            if done:  # the next run starts a little before the newest change seen
                held = datetime.fromisoformat(after) - OVERLAP
                after, after_id = held.isoformat(), ""
            yield PageOf(
                items=tuple(page.items),
                raw=tuple(page.raws),
                cursor=json.dumps([after, after_id]),
                done=done,
                failures=tuple(page.failures),
                origins=tuple(page.origins),
            )
            if done:
                return

    async def get_order(self, external_id: str) -> Fetched[Order]:
        response = await self.http.request("getOrder", "GET", f"/api/orders/{external_id}")
        raw = RawRecord("order", external_id, response.content, self._now())
        (order,) = map_fetched(raw, mapping.normalize_orders, response.json(), account=self.account)
        return Fetched(order, raw)

    def pull_listings(self, cursor: str | None = None) -> AsyncIterator[PageOf[Listing]]:
        raise CapabilityMissing(f"tinyshop account {self.account!r} cannot list listings")

    # --- quantities ------------------------------------------------------------------------

    async def push_quantities(self, updates: Sequence[QuantityUpdate]) -> list[QuantityPushResult]:
        results: list[QuantityPushResult] = []
        for start in range(0, len(updates), BATCH):
            batch = updates[start : start + BATCH]
            skus = [(u.channel_sku or u.listing.listing_id, u.quantity) for u in batch]
            response = await self.http.request(
                "setInventory",
                "POST",
                "/api/inventory",
                json=mapping.inventory_request(skus),
                idempotent=True,  # setting a quantity twice sets it once
            )
            answers = response.json()["results"]
            for update, answer in zip(batch, answers, strict=True):
                results.append(
                    QuantityPushResult(
                        update.listing,
                        update.quantity,
                        accepted=bool(answer["ok"]),
                        reason=answer.get("error"),
                    )
                )
        return results

    # --- fulfilments -----------------------------------------------------------------------

    async def get_fulfilments(self, order_external_id: str) -> list[ChannelFulfilment]:
        response = await self.http.request(
            "shipments", "GET", f"/api/orders/{order_external_id}/shipments"
        )
        return [
            ChannelFulfilment(str(s["id"]), s["tracking_number"], s["carrier"])
            for s in response.json()["shipments"]
        ]

    async def push_fulfilment(self, push: FulfilmentPush) -> list[PackagePushResult]:
        existing = {
            f.tracking_number: f for f in await self.get_fulfilments(push.order_external_id)
        }
        results: list[PackagePushResult] = []
        for package in push.packages:
            found = existing.get(package.tracking_number)
            if found is not None:
                results.append(
                    PackagePushResult(
                        package.tracking_number, True, found.fulfilment_id, already_present=True
                    )
                )
                continue
            response = await self.http.request(
                "shipments",
                "POST",
                f"/api/orders/{push.order_external_id}/shipments",
                json=mapping.shipment_request(package),
                expected=(201, 422),
            )
            if response.status == 422:
                reason = str(response.json().get("error"))
                results.append(PackagePushResult(package.tracking_number, False, reason=reason))
            else:
                created = str(response.json()["id"])
                results.append(PackagePushResult(package.tracking_number, True, created))
        return results

    # --- webhooks --------------------------------------------------------------------------

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, *, now: datetime
    ) -> WebhookEvent:
        secret = self._context.credentials.get("webhook_secret")
        if secret is None:
            raise WebhookRejected("the account has no webhook_secret", platform=self.platform)
        lower = {k.lower(): v for k, v in headers.items()}
        verify_hmac_sha256(secret, body, lower.get("x-tinyshop-signature"), platform="tinyshop")
        try:
            sent_at = datetime.fromisoformat(lower.get("x-tinyshop-sent-at", ""))
            payload = json.loads(body)
        except ValueError:
            raise WebhookRejected("the webhook is not well formed", platform="tinyshop") from None
        check_replay_window(sent_at, now, platform="tinyshop")
        event_id = str(lower.get("x-tinyshop-event-id", ""))
        if not event_id:
            raise WebhookRejected("the webhook carries no event id", platform="tinyshop")
        raw = RawRecord("webhook", event_id, body, now)
        return WebhookEvent(event_id, str(lower.get("x-tinyshop-topic")), sent_at, payload, raw)
