"""Temu rig: the Temu router simulator and the registry's Temu connector on one fake clock.

Contract unverified (Temu publishes no spec): the facts follow the partner-docs transcript in
contracts/temu/. ``bg.order.list.v2.get`` pages hold at most 100 parent orders
(``pageSize`` <= 100) and its update-time window has no documented maximum;
``bg.local.goods.stock.edit`` sets every SKU of one goods in a call;
``bg.logistics.shipment.confirm`` confirms a package (carrier id + tracking number);
``bg.order.shippinginfo.v2.get`` gives the ship-to of one parent order (the list has none), so
an import also costs one call per merchant-fulfilled parent. Every API type shares the app
key's ~20 requests/s: a 4000004 answer would show as calls above the minimum.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import SecretStr

from bench.channels import FakeTime, Session, TimedApp, Workload, one_package_push
from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.registry import ConnectorRegistry
from channelhub.connectors.results import FulfilmentPush, PackagePushResult, QuantityUpdate
from channelhub.core.models import Listing, Order
from channelhub.simulators.temu import (
    DEFAULT_ACCESS_TOKEN,
    DEFAULT_APP_KEY,
    DEFAULT_APP_SECRET,
    create_simulator,
)
from channelhub.simulators.temu.data import build_shop

NOW = datetime(2026, 2, 10, 12, tzinfo=UTC)  # after every seeded order and its later edits
PAGE_SIZE = 100
CARRIER = "USPS"
CARRIER_ID = "699272611"  # the transcript's carrier id for USPS, as the Temu tests use
SKUS_PER_GOODS = 2  # goods the rig adds to the 20 seeded ones carry two SKUs each


def _extend_goods(shop: Any, skus_wanted: int) -> None:
    """Add goods (in the simulator's own shape) until the shop holds ``skus_wanted`` SKUs."""
    have = sum(len(g["skuInfoList"]) for g in shop.goods.values())
    index = len(shop.goods)
    while have < skus_wanted:
        goods_id = 601099548660000 + index
        skus = [
            {
                "skuId": 17592352670000 + index * 10 + variant,
                "outSkuSn": f"TM-{index:03d}-{variant}",
                "quantity": (index * 7 + variant) % 60,
                "price": "9.90",
            }
            for variant in range(SKUS_PER_GOODS)
        ]
        shop.goods[goods_id] = {
            "goodsId": goods_id,
            "goodsName": f"Bench goods {index}",
            "outGoodsSn": f"TM-{index:03d}",
            "catId": 24800 + index,
            "price": "9.90",
            "currency": "USD",
            "quantity": sum(s["quantity"] for s in skus),
            "skuInfoList": skus,
        }
        have += SKUS_PER_GOODS
        index += 1


def merchant_parents(orders: int, seed: int = Workload.seed) -> int:
    """Parent orders the seeded shop has the seller ship (each needs a shippinginfo call)."""
    shop = build_shop(
        seed,
        order_count=orders,
        app_key=DEFAULT_APP_KEY,
        app_secret=DEFAULT_APP_SECRET,
        access_token=DEFAULT_ACCESS_TOKEN,
    )
    return len(shop.addresses)


class TemuRig:
    platform = "temu"

    def start(self, workload: Workload) -> Session:
        time = FakeTime(NOW)
        sim = create_simulator(
            seed=workload.seed,
            order_count=workload.orders,
            now=time.utc,
            clock=time.monotonic,
            sleep=time.sleep,
        )
        _extend_goods(sim.shop, workload.quantities)
        timed = TimedApp(sim)
        context = ConnectorContext(
            platform="temu",
            account="bench-temu",
            base_url="http://temu.sim",
            credentials={
                "app_key": SecretStr(DEFAULT_APP_KEY),
                "app_secret": SecretStr(DEFAULT_APP_SECRET),
                "access_token": SecretStr(DEFAULT_ACCESS_TOKEN),
            },
            settings={"region": "us", "carrier_ids": {CARRIER: CARRIER_ID}},
            transport=httpx.ASGITransport(app=timed),
            clock=time.monotonic,
            sleep=time.sleep,
            now=time.utc,
        )
        connector = ConnectorRegistry().create(context)  # the connector the hub runs
        children = sum(len(group["orderList"]) for group in sim.shop.parents.values())
        since = datetime(2025, 12, 31, tzinfo=UTC)
        return Session(sim, connector, since, time, children, timed)

    def quantity_updates(
        self, session: Session, listings: Sequence[Listing], count: int
    ) -> list[QuantityUpdate]:
        return [
            QuantityUpdate(
                listing=listing.key,
                quantity=(listing.quantity or 0) + 1 + index % 7,
                channel_sku=listing.channel_sku,
                expected_previous=listing.quantity,
            )
            for index, listing in enumerate(listings[:count])
        ]

    def fulfilment_push(self, order: Order, index: int, shipped_at: datetime) -> FulfilmentPush:
        return one_package_push(order, index, shipped_at, carrier=CARRIER)

    async def send_fulfilment(
        self, connector: Any, push: FulfilmentPush, order: Order
    ) -> list[PackagePushResult]:
        # the hub passes the stored order: Temu needs its parent, goods and SKU ids
        results: list[PackagePushResult] = await connector.push_fulfilment(push, order=order)
        return results

    def import_minimum(self, orders: int) -> int:
        # ceil(N / 100) bg.order.list.v2.get pages over one window (pageSize <= 100, N parent
        # orders; the transcript sets no maximum window), plus one bg.order.shippinginfo.v2.get
        # per merchant-fulfilled parent of the bench's seeded shop (the default workload seed).
        # Access tokens last about a year: no token call.
        return max(1, math.ceil(orders / PAGE_SIZE)) + merchant_parents(orders)

    def quantities_minimum(self, updates: Sequence[QuantityUpdate]) -> int:
        # one bg.local.goods.stock.edit per goods touched (it sets all of a goods' SKUs);
        # the rig's goods carry two SKUs each, the 20 seeded ones one to three: ~M / 2
        return len({u.listing.listing_id for u in updates})

    def fulfilments_minimum(self, pushes: Sequence[FulfilmentPush]) -> int:
        # one bg.logistics.shipment.confirm per package
        return sum(len(p.packages) for p in pushes)


RIG = TemuRig()
