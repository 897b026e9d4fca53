"""Amazon runs the connector conformance suite (channelhub.testing) against its simulator."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import httpx
from pydantic import SecretStr

from channelhub.connectors.amazon import PLUGIN, AmazonConnector
from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.results import FulfilmentPush, QuantityUpdate
from channelhub.core.models import ListingKey, Package, PackageLine
from channelhub.mappings.amazon import normalize_orders
from channelhub.simulators.amazon import MARKETPLACES, create_app
from channelhub.simulators.amazon.app import DEFAULT_CREDENTIALS
from channelhub.testing import ChannelHarness, ConformanceSuite, FakeTime, Rig

ACCOUNT = "acme-amazon"


class AmazonHarness(ChannelHarness):
    plugin = PLUGIN
    page_size = 10
    quantity_count = 30  # above patch_threshold (20): one JSON_LISTINGS_FEED for all
    quantity_batch = 10_000

    def rig(self, *, seed: int, orders: int) -> Rig:
        time = FakeTime()
        sim = create_app(seed=seed, order_count=orders, now=time.now)

        def connect() -> AmazonConnector:
            context = ConnectorContext(
                platform="amazon",
                account=ACCOUNT,
                base_url="http://sp.sim",
                credentials={k: SecretStr(v) for k, v in DEFAULT_CREDENTIALS.items()},
                settings={
                    "seller_id": "A1SIMSELLER",
                    "marketplace_ids": [m.marketplace_id for m in MARKETPLACES],
                    "lwa_url": "http://sp.sim/auth/o2/token",
                    "page_size": self.page_size,
                },
                transport=httpx.ASGITransport(app=sim),
                clock=time.monotonic,
                sleep=time.sleep,
                now=time.now,
            )
            return AmazonConnector(context)

        return Rig(sim, time, connect, state=sim.state, since=time.now() - timedelta(days=30))

    def order_ids(self, rig: Rig) -> set[str]:
        return set(rig.state.orders)

    def touch_order(self, rig: Rig, external_id: str) -> None:
        rig.state.edit_order(external_id)

    def order_list_calls(self, rig: Rig) -> int:
        return rig.sim.journal.count("GET", "/orders/2026-01-01/orders")

    def map_order(self, document: Any, *, account: str, context: Mapping[str, Any]) -> list[Any]:
        return normalize_orders(document, account=account, **context)

    def quantity_updates(self, rig: Rig, count: int) -> list[QuantityUpdate]:
        return [
            QuantityUpdate(
                listing=ListingKey(channel="amazon", account=ACCOUNT, listing_id=sku),
                quantity=3 + i,
                channel_sku=sku,
                inventory_ref=item["summaries"][0]["productType"],
            )
            for i, (sku, item) in enumerate(sorted(rig.state.listings.items())[:count])
        ]

    def unknown_quantity_update(self, rig: Rig) -> QuantityUpdate | None:
        key = ListingKey(channel="amazon", account=ACCOUNT, listing_id="GHOST-1")
        return QuantityUpdate(listing=key, quantity=1, inventory_ref="SHOES")

    def quantity_on_platform(self, rig: Rig, update: QuantityUpdate) -> int | None:
        listing = rig.state.listings[update.listing.listing_id]
        return int(listing["fulfillmentAvailability"][0]["quantity"])

    def quantity_calls(self, rig: Rig) -> int:
        patches = rig.sim.journal.count("PATCH", "/listings/")
        return rig.sim.journal.count("POST", "/feeds/2021-06-30/feeds") + patches

    async def fulfilment(self, rig: Rig) -> FulfilmentPush:
        order = next(
            o
            for o in rig.state.orders.values()
            if o["fulfillment"]["fulfillmentStatus"] == "UNSHIPPED"
            and o["fulfillment"]["fulfilledBy"] == "MERCHANT"
            and len(o["orderItems"]) >= 2
        )
        packages = tuple(
            Package(
                tracking_number=f"1Z{i}",
                carrier="UPS",
                lines=[
                    PackageLine(
                        sku=item["product"]["sellerSku"],
                        quantity=item["quantityOrdered"],
                        order_line_id=item["orderItemId"],
                    )
                ],
            )
            for i, item in enumerate(order["orderItems"][:2])
        )
        return FulfilmentPush(order["orderId"], packages, shipped_at=rig.time.now())

    def fulfilments_on_platform(self, rig: Rig, push: FulfilmentPush) -> int:
        return len(rig.state.packages.get(push.order_external_id, {}))


class TestAmazonConformance(ConformanceSuite):
    harness = AmazonHarness()
