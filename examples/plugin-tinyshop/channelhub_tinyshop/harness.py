"""What channelhub's conformance suite needs to know about Tinyshop (``channelhub.testing``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import httpx
from pydantic import SecretStr

from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.results import FulfilmentPush, QuantityUpdate
from channelhub.core.models import ListingKey, Package
from channelhub.testing import ChannelHarness, FakeTime, Rig
from channelhub_tinyshop import PLUGIN, TinyshopConnector
from channelhub_tinyshop.connector import BATCH
from channelhub_tinyshop.mapping import normalize_orders
from channelhub_tinyshop.simulator import API_KEY, WEBHOOK_SECRET, create_simulator, webhook

ACCOUNT = "my-tinyshop"


class TinyshopHarness(ChannelHarness):
    plugin = PLUGIN
    page_size = 10
    quantity_batch = BATCH

    def rig(self, *, seed: int, orders: int) -> Rig:
        time = FakeTime()
        sim = create_simulator(seed=seed, orders=orders, now=time.now, clock=time.monotonic)

        def connect() -> TinyshopConnector:
            context = ConnectorContext(
                platform="tinyshop",
                account=ACCOUNT,
                base_url="http://tinyshop.sim",
                credentials={
                    "api_key": SecretStr(API_KEY),
                    "webhook_secret": SecretStr(WEBHOOK_SECRET),
                },
                transport=httpx.ASGITransport(app=sim),
                clock=time.monotonic,
                sleep=time.sleep,
                now=time.now,
            )
            return TinyshopConnector(context, page_size=self.page_size)

        return Rig(sim, time, connect, state=sim.state, since=time.now() - timedelta(days=30))

    def order_ids(self, rig: Rig) -> set[str]:
        return set(rig.state.orders)

    def touch_order(self, rig: Rig, external_id: str) -> None:
        rig.state.touch(external_id, rig.time.now())

    def order_list_calls(self, rig: Rig) -> int:
        return rig.sim.journal.count("GET", "/api/orders")

    def map_order(self, document: Any, *, account: str, context: Mapping[str, Any]) -> list[Any]:
        return normalize_orders(document, account=account, **context)

    def quantity_updates(self, rig: Rig, count: int) -> list[QuantityUpdate]:
        skus = sorted(rig.state.stock)[:count]
        return [
            QuantityUpdate(ListingKey(channel="tinyshop", account=ACCOUNT, listing_id=sku), i)
            for i, sku in enumerate(skus)
        ]

    def unknown_quantity_update(self, rig: Rig) -> QuantityUpdate | None:
        return QuantityUpdate(ListingKey(channel="tinyshop", account=ACCOUNT, listing_id="NOPE"), 1)

    def quantity_on_platform(self, rig: Rig, update: QuantityUpdate) -> int | None:
        return rig.state.stock.get(update.listing.listing_id)

    def quantity_calls(self, rig: Rig) -> int:
        return rig.sim.journal.count("POST", "/api/inventory")

    async def fulfilment(self, rig: Rig) -> FulfilmentPush:
        order_id = sorted(rig.state.orders)[0]
        packages = (
            Package(tracking_number="TS-1", carrier="UPS"),
            Package(tracking_number="TS-2", carrier="DHL"),
        )
        return FulfilmentPush(order_id, packages, shipped_at=rig.time.now())

    def fulfilments_on_platform(self, rig: Rig, push: FulfilmentPush) -> int:
        return len(rig.state.shipments[push.order_external_id])

    def webhook(self, rig: Rig, n: int) -> tuple[dict[str, str], bytes]:
        order_id = sorted(rig.state.orders)[n]
        return webhook(rig.state, order_id, f"evt-{n}", rig.time.now())
