"""Temu: import N parent orders and push SKU stock against the simulator in process.

Prints the router calls used beside the contract's minimum: bg.order.list.v2.get
ceil(N/100) for one window (pageSize <= 100), and one bg.local.goods.stock.edit per goods.
Waits for the 20 requests/s limit run on a fake clock and are reported as simulated seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
from datetime import UTC, datetime, timedelta

import httpx
from pydantic import SecretStr

from bench.run import Figure
from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.results import QuantityUpdate
from channelhub.connectors.temu import TemuConnector
from channelhub.core.models import ListingKey
from channelhub.simulators.temu import (
    DEFAULT_ACCESS_TOKEN,
    DEFAULT_APP_KEY,
    DEFAULT_APP_SECRET,
    create_simulator,
)

START = datetime(2026, 2, 10, tzinfo=UTC)


class _FakeTime:
    def __init__(self) -> None:
        self.t = 0.0

    def clock(self) -> float:
        return self.t

    def now(self) -> datetime:
        return START + timedelta(seconds=self.t)

    async def sleep(self, seconds: float) -> None:
        self.t += seconds


async def _bench(orders: int) -> list[Figure]:
    time = _FakeTime()
    sim = create_simulator(seed=1, order_count=orders, now=time.now, clock=time.clock)
    context = ConnectorContext(
        platform="temu",
        account="bench",
        base_url="https://openapi-b-us.temu.com",
        credentials={
            "app_key": SecretStr(DEFAULT_APP_KEY),
            "app_secret": SecretStr(DEFAULT_APP_SECRET),
            "access_token": SecretStr(DEFAULT_ACCESS_TOKEN),
        },
        transport=httpx.ASGITransport(app=sim),
        clock=time.clock,
        sleep=time.sleep,
        now=time.now,
    )
    connector = TemuConnector(context, window=timedelta(days=60))
    imported = 0
    async for page in connector.pull_orders(since=START - timedelta(days=50)):
        imported += len(page.items)
    import_seconds = time.t
    updates = [
        QuantityUpdate(
            listing=ListingKey(
                channel="temu",
                account="bench",
                listing_id=str(goods_id),
                variation_id=str(sku["skuId"]),
            ),
            quantity=sku["quantity"] + 1,
        )
        for goods_id, goods in sim.shop.goods.items()
        for sku in goods["skuInfoList"]
    ]
    results = await connector.push_quantities(updates)
    await connector.aclose()
    types = [json.loads(e.body).get("type") for e in sim.journal.entries]
    children = sum(len(g["orderList"]) for g in sim.shop.parents.values())
    return [
        Figure(f"child orders imported (of {children})", imported, "orders"),
        Figure(
            "bg.order.list.v2.get calls",
            types.count("bg.order.list.v2.get"),
            "calls",
            math.ceil(orders / 100),
        ),
        Figure("simulated rate-limit wait during import", import_seconds, "s"),
        Figure(
            f"sku quantities accepted (of {len(updates)})",
            sum(r.accepted for r in results),
            "items",
        ),
        Figure(
            "bg.local.goods.stock.edit calls",
            types.count("bg.local.goods.stock.edit"),
            "calls",
            len(sim.shop.goods),
        ),
    ]


def run(args: argparse.Namespace) -> list[Figure]:
    scale = getattr(args, "scale", 1.0)
    return asyncio.run(_bench(orders=int(1000 * scale)))
