"""eBay runs the connector conformance suite (channelhub.testing) against its simulator."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import httpx
from pydantic import SecretStr

from channelhub.connectors.ebay import PLUGIN, EbayConnector
from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.results import FulfilmentPush, QuantityUpdate, WebhookEvent
from channelhub.core.models import ListingKey, Package, PackageLine
from channelhub.mappings.ebay import normalize_orders
from channelhub.simulators.ebay import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_REFRESH_TOKEN,
    create_simulator,
    sign_notification,
)
from channelhub.testing import ChannelHarness, ConformanceSuite, FakeTime, Rig

ACCOUNT = "acme"
BULK = "/sell/inventory/v1/bulk_update_price_quantity"


def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.000Z")


class EbayHarness(ChannelHarness):
    plugin = PLUGIN
    page_size = 10
    quantity_batch = 25  # bulkUpdatePriceQuantity's published maximum
    replay_window = timedelta(minutes=30)

    def rig(self, *, seed: int, orders: int) -> Rig:
        time = FakeTime()
        sim = create_simulator(seed=seed, order_count=orders, now=time.now)

        def connect() -> EbayConnector:
            context = ConnectorContext(
                platform="ebay",
                account=ACCOUNT,
                base_url="http://ebay.sim",
                credentials={
                    "client_id": SecretStr(DEFAULT_CLIENT_ID),
                    "client_secret": SecretStr(DEFAULT_CLIENT_SECRET),
                    "refresh_token": SecretStr(DEFAULT_REFRESH_TOKEN),
                    "verification_token": SecretStr("verify-me-0123456789-abcdefghij-klmnop"),
                },
                settings={"notification_endpoint": "https://hub.example.com/webhooks/ebay/acme"},
                transport=httpx.ASGITransport(app=sim),
                clock=time.monotonic,
                sleep=time.sleep,
                now=time.now,
            )
            return EbayConnector(context, page_limit=self.page_size)

        return Rig(sim, time, connect, state=sim.shop, since=time.now() - timedelta(days=45))

    def order_ids(self, rig: Rig) -> set[str]:
        return set(rig.state.orders)

    def touch_order(self, rig: Rig, external_id: str) -> None:
        rig.state.orders[external_id]["lastModifiedDate"] = _stamp(rig.time.now())

    def order_list_calls(self, rig: Rig) -> int:
        return sum(1 for e in rig.sim.journal.entries if e.path == "/sell/fulfillment/v1/order")

    def map_order(self, document: Any, *, account: str, context: Mapping[str, Any]) -> list[Any]:
        return normalize_orders(document, account=account, **context)

    def quantity_updates(self, rig: Rig, count: int) -> list[QuantityUpdate]:
        skus = sorted(rig.state.items)[:count]
        return [
            QuantityUpdate(
                listing=ListingKey(channel="ebay", account=ACCOUNT, listing_id=sku),
                quantity=7 + i,
                inventory_ref=sku,
            )
            for i, sku in enumerate(skus)
        ]

    def unknown_quantity_update(self, rig: Rig) -> QuantityUpdate | None:
        key = ListingKey(channel="ebay", account=ACCOUNT, listing_id="NOPE-1")
        return QuantityUpdate(listing=key, quantity=3, inventory_ref="NOPE-1")

    def quantity_on_platform(self, rig: Rig, update: QuantityUpdate) -> int | None:
        item = rig.state.items[update.inventory_ref]
        return int(item["availability"]["shipToLocationAvailability"]["quantity"])

    def quantity_calls(self, rig: Rig) -> int:
        return rig.sim.journal.count("POST", BULK)

    async def fulfilment(self, rig: Rig) -> FulfilmentPush:
        order = next(iter(rig.state.orders.values()))
        line = order["lineItems"][0]
        package = Package(
            tracking_number="9400111899223197428490",
            carrier="USPS",
            lines=[
                PackageLine(
                    sku=line["sku"], quantity=line["quantity"], order_line_id=line["lineItemId"]
                )
            ],
        )
        return FulfilmentPush(
            order_external_id=order["orderId"], packages=(package,), shipped_at=rig.time.now()
        )

    def fulfilments_on_platform(self, rig: Rig, push: FulfilmentPush) -> int:
        return len(rig.state.fulfillments[push.order_external_id])

    def webhook(self, rig: Rig, n: int) -> tuple[dict[str, str], bytes]:
        at = _stamp(rig.time.now())
        body = json.dumps(
            {
                "metadata": {"topic": "MARKETPLACE_ACCOUNT_DELETION", "schemaVersion": "1.0"},
                "notification": {
                    "notificationId": f"n-{n}",
                    "eventDate": at,
                    "publishDate": at,
                    "data": {"username": "u", "userId": "x"},
                },
            },
            separators=(",", ":"),
        ).encode()
        return {"X-EBAY-SIGNATURE": sign_notification(rig.state, body)}, body

    async def verify(
        self, connector: Any, headers: Mapping[str, str], body: bytes, now: datetime
    ) -> WebhookEvent:
        event: WebhookEvent = await connector.verify_notification(headers, body, now=now)
        return event


class TestEbayConformance(ConformanceSuite):
    harness = EbayHarness()
