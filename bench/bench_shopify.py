"""Shopify: import N orders and push M changed quantities against the simulator in process.

Prints the GraphQL calls used beside the contract's minimum. Orders: a page of the lean
order selection costs ~160 points, so the 1000-point single-query limit caps a page at 5
orders (the 250-item page limit alone would allow ceil(N/250)). Stock: ceil(M/250)
``inventorySetQuantities`` calls. Throttle waits run on a fake clock and are reported as
simulated seconds, not slept.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
from datetime import UTC, datetime, timedelta

import httpx
from pydantic import SecretStr

from bench.run import Figure
from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.results import QuantityUpdate
from channelhub.connectors.shopify import ShopifyConnector
from channelhub.core.models import ListingKey
from channelhub.mappings.shopify.queries import ORDERS_PAGE_SIZE
from channelhub.simulators.shopify import create_app


class _FakeTime:
    def __init__(self) -> None:
        self.t = 0.0

    def clock(self) -> float:
        return self.t

    def now(self) -> datetime:
        return datetime(2026, 3, 1, tzinfo=UTC) + timedelta(seconds=self.t)

    async def sleep(self, seconds: float) -> None:
        self.t += seconds


async def _bench(orders: int, quantities: int) -> list[Figure]:
    time = _FakeTime()
    sim = create_app(
        seed=1, orders=orders, products=max(quantities // 4, 10), clock=time.clock, now=time.now
    )
    shop = sim.shop
    context = ConnectorContext(
        platform="shopify",
        account="bench",
        base_url="https://bench.myshopify.com",
        credentials={"access_token": SecretStr("shpat_simulator")},
        transport=httpx.ASGITransport(app=sim),
        clock=time.clock,
        sleep=time.sleep,
        now=time.now,
        rng=random.Random(1),
    )
    connector = ShopifyConnector(context)
    imported = 0
    async for page in connector.pull_orders():
        imported += len(page.items)
    order_calls = shop.calls("orders", outcome=None)
    import_seconds = time.t
    pairs = list(shop.data.levels.items())[:quantities]
    updates = [
        QuantityUpdate(
            listing=ListingKey(channel="shopify", account="bench", listing_id=item),
            quantity=current + 1,
            inventory_ref=item,
            location=location,
            expected_previous=current,
        )
        for (item, location), current in pairs
    ]
    results = await connector.push_quantities(updates)
    await connector.aclose()
    return [
        Figure(f"orders imported (of {orders})", imported, "orders"),
        Figure("orders calls", order_calls, "calls", math.ceil(orders / ORDERS_PAGE_SIZE)),
        Figure("orders calls, page-size floor ceil(N/250)", math.ceil(orders / 250), "calls"),
        Figure("simulated throttle wait during import", import_seconds, "s"),
        Figure(
            f"quantities accepted (of {len(updates)})", sum(r.accepted for r in results), "items"
        ),
        Figure(
            "inventorySetQuantities calls",
            shop.calls("inventorySetQuantities", outcome=None),
            "calls",
            math.ceil(len(updates) / 250),
        ),
    ]


def run(args: argparse.Namespace) -> list[Figure]:
    scale = getattr(args, "scale", 1.0)
    return asyncio.run(_bench(orders=int(500 * scale), quantities=int(1000 * scale)))
