"""Wish runs the connector conformance suite (channelhub.testing) against its simulator
(contract unverified: the simulator follows the same guesses as the connector)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import httpx
from pydantic import SecretStr

from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.results import FulfilmentPush, QuantityUpdate
from channelhub.connectors.wish import PLUGIN, WishConnector
from channelhub.core.models import ListingKey, Package, PackageLine
from channelhub.mappings.wish import normalize_orders
from channelhub.simulators.wish import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_REFRESH_TOKEN,
    WAREHOUSE_ID,
    create_simulator,
    wish_time,
)
from channelhub.testing import ChannelHarness, ConformanceSuite, FakeTime, Rig

ACCOUNT = "acme-wish"


class WishHarness(ChannelHarness):
    plugin = PLUGIN
    page_size = 10
    quantity_count = 5  # variations of three products: one updateProduct per product

    def rig(self, *, seed: int, orders: int) -> Rig:
        time = FakeTime()
        sim = create_simulator(
            seed=seed, order_count=orders, now=time.now, clock=time.monotonic, sleep=time.sleep
        )

        def connect() -> WishConnector:
            context = ConnectorContext(
                platform="wish",
                account=ACCOUNT,
                base_url="http://wish.sim",
                credentials={
                    "client_id": SecretStr(DEFAULT_CLIENT_ID),
                    "client_secret": SecretStr(DEFAULT_CLIENT_SECRET),
                    "refresh_token": SecretStr(DEFAULT_REFRESH_TOKEN),
                },
                settings={"warehouse_id": WAREHOUSE_ID},
                transport=httpx.ASGITransport(app=sim),
                clock=time.monotonic,
                sleep=time.sleep,
                now=time.now,
            )
            return WishConnector(context, page_limit=self.page_size)

        return Rig(sim, time, connect, state=sim.shop, since=time.now() - timedelta(days=30))

    def order_ids(self, rig: Rig) -> set[str]:
        return set(rig.state.orders)

    def touch_order(self, rig: Rig, external_id: str) -> None:
        rig.state.orders[external_id]["updated_at"] = wish_time(rig.time.now())

    def order_list_calls(self, rig: Rig) -> int:
        calls = [e for e in rig.sim.journal.entries if e.path == "/api/v3/orders"]
        assert all("states=" not in e.query for e in calls)  # every state: refunds too
        assert all(e.headers["authorization"].startswith("Bearer ") for e in calls)
        return len(calls)

    def map_order(self, document: Any, *, account: str, context: Mapping[str, Any]) -> list[Any]:
        return normalize_orders(document, account=account, **context)

    def _variations(self, rig: Rig) -> list[dict[str, Any]]:
        return [v for p in rig.state.products.values() for v in p["variations"]]

    def quantity_updates(self, rig: Rig, count: int) -> list[QuantityUpdate]:
        return [
            QuantityUpdate(
                ListingKey(
                    channel="wish",
                    account=ACCOUNT,
                    listing_id=v["product_id"],
                    variation_id=v["id"],
                ),
                7 + i,
            )
            for i, v in enumerate(self._variations(rig)[:count])
        ]

    def quantity_on_platform(self, rig: Rig, update: QuantityUpdate) -> int | None:
        variation = next(v for v in self._variations(rig) if v["id"] == update.listing.variation_id)
        found = [
            row["inventory"]
            for row in variation["inventories"]
            if row["warehouse_id"] == WAREHOUSE_ID
        ]
        return int(found[0]) if found else None

    def quantity_calls(self, rig: Rig) -> int:
        return sum(
            1
            for e in rig.sim.journal.entries
            if e.method == "PUT" and e.path.startswith("/api/v3/products/")
        )

    def quantity_call_budget(self, updates: Any) -> int:
        return len({u.listing.listing_id for u in updates})  # one updateProduct per product

    async def fulfilment(self, rig: Rig) -> FulfilmentPush:
        oid, order = next(iter(rig.state.orders.items()))
        info = order["product_information"]
        quantity = order["order_payment"]["general_payment_details"]["product_quantity"]
        package = Package(
            tracking_number="YT2400000000001",
            carrier="yunexpress",
            lines=[PackageLine(sku=info["sku"], quantity=quantity, order_line_id=oid)],
        )
        return FulfilmentPush(order_external_id=oid, packages=(package,), shipped_at=rig.time.now())

    def fulfilments_on_platform(self, rig: Rig, push: FulfilmentPush) -> int:
        return len(rig.state.orders[push.order_external_id]["tracking_information"])


class TestWishConformance(ConformanceSuite):
    harness = WishHarness()
