"""Temu runs the connector conformance suite (channelhub.testing) against its simulator."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

import httpx
from pydantic import SecretStr

from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.results import FulfilmentPush, QuantityUpdate
from channelhub.connectors.temu import PLUGIN, TemuConnector
from channelhub.core.models import ListingKey, Package, PackageLine
from channelhub.mappings.temu import normalize_orders
from channelhub.simulators.temu import (
    DEFAULT_ACCESS_TOKEN,
    DEFAULT_APP_KEY,
    DEFAULT_APP_SECRET,
    create_simulator,
)
from channelhub.testing import ChannelHarness, ConformanceSuite, FakeTime, Rig

ACCOUNT = "temu-us"


class TemuHarness(ChannelHarness):
    plugin = PLUGIN
    page_size = 5  # parent orders per page (each holds 1-3 child orders)
    order_count = 30
    settle_seconds = 600.0  # the connector holds 2 minutes back

    def rig(self, *, seed: int, orders: int) -> Rig:
        time = FakeTime()
        sim = create_simulator(
            seed=seed, order_count=orders, now=time.now, clock=time.monotonic, sleep=time.sleep
        )

        def connect() -> TemuConnector:
            context = ConnectorContext(
                platform="temu",
                account=ACCOUNT,
                base_url="http://temu.sim",
                credentials={
                    "app_key": SecretStr(DEFAULT_APP_KEY),
                    "app_secret": SecretStr(DEFAULT_APP_SECRET),
                    "access_token": SecretStr(DEFAULT_ACCESS_TOKEN),
                },
                settings={"region": "us", "carrier_ids": {"USPS": "699272611"}},
                transport=httpx.ASGITransport(app=sim),
                clock=time.monotonic,
                sleep=time.sleep,
                now=time.now,
            )
            return TemuConnector(context, page_size=self.page_size, window=timedelta(days=40))

        return Rig(sim, time, connect, state=sim.shop, since=time.now() - timedelta(days=30))

    def order_ids(self, rig: Rig) -> set[str]:
        return {c["orderSn"] for g in rig.state.parents.values() for c in g["orderList"]}

    def _group_of(self, rig: Rig, external_id: str) -> dict[str, Any]:
        return next(
            g
            for g in rig.state.parents.values()
            if any(c["orderSn"] == external_id for c in g["orderList"])
        )

    def touch_order(self, rig: Rig, external_id: str) -> None:
        group = self._group_of(rig, external_id)
        group["parentOrderMap"]["updateTime"] = int(rig.time.now().timestamp())

    def order_call_budget(self, orders: int) -> int:
        return -(-orders // self.page_size) + 2  # one 40-day window: pages of parents

    def order_list_calls(self, rig: Rig) -> int:
        return sum(1 for e in rig.sim.journal.entries if b"bg.order.list" in e.body)

    def throttled_calls(self, rig: Rig) -> int:
        return int(rig.state.rate_limited)

    def map_order(self, document: Any, *, account: str, context: Mapping[str, Any]) -> list[Any]:
        return normalize_orders(document, account=account, **context)

    # quantities: one bg.local.goods.stock.edit per goods, for all its SKUs
    def quantity_updates(self, rig: Rig, count: int) -> list[QuantityUpdate]:
        updates: list[QuantityUpdate] = []
        for goods in rig.state.goods.values():
            for sku in goods["skuInfoList"]:
                key = ListingKey(
                    channel="temu",
                    account=ACCOUNT,
                    listing_id=str(goods["goodsId"]),
                    variation_id=str(sku["skuId"]),
                )
                updates.append(QuantityUpdate(key, sku["quantity"] + 7))
                if len(updates) == count:
                    return updates
        return updates

    def quantity_on_platform(self, rig: Rig, update: QuantityUpdate) -> int | None:
        goods = rig.state.goods[int(update.listing.listing_id)]
        sku = next(
            s for s in goods["skuInfoList"] if str(s["skuId"]) == update.listing.variation_id
        )
        return int(sku["quantity"])

    def quantity_calls(self, rig: Rig) -> int:
        return sum(1 for e in rig.sim.journal.entries if b"goods.stock.edit" in e.body)

    def quantity_call_budget(self, updates: Sequence[QuantityUpdate]) -> int:
        return len({u.listing.listing_id for u in updates})

    async def fulfilment(self, rig: Rig) -> FulfilmentPush:
        group, child = next(
            (g, c)
            for g in rig.state.parents.values()
            for c in g["orderList"]
            if c["orderStatus"] == 2 and c["fulfillmentType"] == "fulfillBySeller"
        )
        package = Package(
            tracking_number="9400111899223197428490",
            carrier="USPS",
            lines=[
                PackageLine(sku="X", quantity=child["quantity"], order_line_id=child["orderSn"])
            ],
        )
        return FulfilmentPush(
            order_external_id=child["orderSn"],
            packages=(package,),
            shipped_at=rig.time.now(),
            parent_external_id=group["parentOrderMap"]["parentOrderSn"],
        )

    def fulfilments_on_platform(self, rig: Rig, push: FulfilmentPush) -> int:
        return sum(1 for s in rig.state.shipments if s["orderSn"] == push.order_external_id)


class TestTemuConformance(ConformanceSuite):
    harness = TemuHarness()
