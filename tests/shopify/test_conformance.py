"""Shopify runs the connector conformance suite (channelhub.testing) against its simulator."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import httpx
from pydantic import SecretStr

from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.results import FulfilmentPush, QuantityUpdate
from channelhub.connectors.shopify import (
    PLUGIN,
    DuplicateWebhook,
    InMemoryWebhookDedupe,
    ShopifyConnector,
)
from channelhub.core.models import ListingKey, Package, PackageLine
from channelhub.mappings import shopify as m
from channelhub.mappings.shopify.requests import ORDERS_PAGE_SIZE
from channelhub.simulators.shopify import WebhookSender, create_app
from channelhub.testing import ChannelHarness, ConformanceSuite, FakeTime, Rig
from tests.shopify.conftest import SECRET, TOKEN

ACCOUNT = "sim-shop"


class ShopifyHarness(ChannelHarness):
    plugin = PLUGIN
    page_size = ORDERS_PAGE_SIZE  # the connector sizes pages by the query cost
    quantity_batch = 250  # inventorySetQuantities' published maximum
    duplicate_webhook_error = DuplicateWebhook
    replay_window = timedelta(hours=49)

    def rig(self, *, seed: int, orders: int) -> Rig:
        time = FakeTime()
        sim = create_app(seed=seed, orders=orders, products=120, clock=time.monotonic, now=time.now)
        shop = sim.shop
        location = shop.data.locations[0]["id"].rsplit("/", 1)[-1]

        def connect() -> ShopifyConnector:
            context = ConnectorContext(
                platform="shopify",
                account=ACCOUNT,
                base_url="https://channelhub-sim.myshopify.com",
                credentials={"access_token": SecretStr(TOKEN), "api_secret": SecretStr(SECRET)},
                # the paged contract (several pages); bulk reads: tests/shopify/test_bulk.py
                settings={"api_version": "2025-01", "location_id": location, "bulk_after_days": 0},
                transport=httpx.ASGITransport(app=sim),
                clock=time.monotonic,
                sleep=time.sleep,
                now=time.now,
                rng=random.Random(7),
            )
            return ShopifyConnector(context, dedupe=InMemoryWebhookDedupe())

        sender = WebhookSender(shop.data, SECRET, now=time.now)
        return Rig(sim, time, connect, state=shop, extra={"sender": sender})

    def order_ids(self, rig: Rig) -> set[str]:
        return set(rig.state.data.orders)

    def touch_order(self, rig: Rig, external_id: str) -> None:
        stamp = rig.time.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        rig.state.data.orders[external_id]["updatedAt"] = stamp

    def order_list_calls(self, rig: Rig) -> int:
        return int(rig.state.calls("orders", outcome=None))

    def throttled_calls(self, rig: Rig) -> int:
        return sum(1 for e in rig.state.journal if e.outcome == "throttled")

    def map_order(self, document: Any, *, account: str, context: Mapping[str, Any]) -> list[Any]:
        return m.normalize_orders(document, account=account, **context)

    def quantity_updates(self, rig: Rig, count: int) -> list[QuantityUpdate]:
        pairs = list(rig.state.data.levels.items())[:count]
        return [
            QuantityUpdate(
                listing=ListingKey(channel="shopify", account=ACCOUNT, listing_id=item),
                quantity=current + 1,
                inventory_ref=item,
                location=location,
                expected_previous=current,
            )
            for (item, location), current in pairs
        ]

    def quantity_on_platform(self, rig: Rig, update: QuantityUpdate) -> int | None:
        return int(rig.state.data.levels[(update.inventory_ref, update.location)])

    def quantity_calls(self, rig: Rig) -> int:
        return int(rig.state.calls("inventorySetQuantities", outcome=None))

    async def fulfilment(self, rig: Rig) -> FulfilmentPush:
        order_id, node = next(
            (k, o)
            for k, o in rig.state.data.orders.items()
            if o["displayFulfillmentStatus"] == "UNFULFILLED"
            and not o["cancelledAt"]
            and sum(ln["currentQuantity"] for ln in o["lineItems"]) >= 2
        )
        line = node["lineItems"][0]
        first = Package(
            tracking_number="1Z001",
            carrier="UPS",
            lines=[
                PackageLine(sku=line["sku"], quantity=1, order_line_id=line["id"].rsplit("/")[-1])
            ],
        )
        rest = Package(tracking_number="1Z002", carrier="UPS")  # the rest of the order
        return FulfilmentPush(order_id, (first, rest), shipped_at=rig.time.now())

    def fulfilments_on_platform(self, rig: Rig, push: FulfilmentPush) -> int:
        ours = {p.tracking_number for p in push.packages}
        return sum(
            1
            for f in rig.state.data.orders[push.order_external_id]["fulfillments"]
            if any(t["number"] in ours for t in f["trackingInfo"])
        )

    def webhook(self, rig: Rig, n: int) -> tuple[dict[str, str], bytes]:
        order_id = sorted(rig.state.data.orders)[n]
        delivery = rig.extra["sender"].delivery("orders/updated", order_id)
        return dict(delivery.headers), delivery.body


class TestShopifyConformance(ConformanceSuite):
    harness = ShopifyHarness()
