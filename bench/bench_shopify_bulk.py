"""Shopify bulk import: N orders (default 100,000) through one bulk query, requests and time.

The Shopify simulator and ``ShopifyConnector`` in process on the bench's fake clock, the
account set to read long windows in bulk (``bulk_after_days``). Requests are counted in the
simulator's HTTP journal, beside the contract minimum: 3 for any N — ``bulkOperationRunQuery``,
one read of the operation once it is COMPLETED (a ``currentBulkOperation`` poll, or the
``bulk_operations/finish`` webhook and then that read), and the download of its JSONL file
(not a GraphQL call, outside the cost bucket). Two runs: the operation finished by the first
poll (N orders), and one Shopify takes 60 s to run (2,000 orders: the polls depend on the
time, not on N; the connector polls at once, then after 1, 2, 4 … s, at most every 30 s).
The paged import's minimum (ceil(N/20) ``orders`` pages) is printed beside for comparison.
``--orders N`` changes N.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
from datetime import timedelta

import httpx
from pydantic import SecretStr

from bench.channels import FakeTime, TimedApp
from bench.channels.shopify import SHOP_START, orders_per_page
from bench.run import Figure
from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.shopify import ShopifyConnector
from channelhub.simulators.shopify import create_app

ORDERS = 100_000
TRACE_MEMORY = False
MINIMUM = 3
POLLED = 2_000  # the polling run: its requests depend on the time, not on N (see tests)


async def _import(orders: int, bulk_seconds: float) -> tuple[int, int, float, float, float]:
    """(orders imported, requests, wall seconds, of them in the simulator, seed seconds)."""
    clock = FakeTime(SHOP_START + timedelta(minutes=37 * (orders + 1)) + timedelta(days=4))
    seeding = time.perf_counter()
    sim = create_app(
        seed=1,
        orders=orders,
        products=50,
        clock=clock.monotonic,
        now=clock.utc,
        bulk_seconds=bulk_seconds,
    )
    seeded = time.perf_counter() - seeding
    timed = TimedApp(sim)
    context = ConnectorContext(
        platform="shopify",
        account="bench-shopify",
        base_url="https://channelhub-bench.myshopify.com",
        credentials={"access_token": SecretStr("shpat_simulator")},
        settings={"location_id": "1", "bulk_after_days": 7, "bulk_page_orders": 1000},
        transport=httpx.ASGITransport(app=timed),
        clock=clock.monotonic,
        sleep=clock.sleep,
        now=clock.utc,
    )
    connector = ShopifyConnector(context)
    imported = 0
    started = time.perf_counter()
    async for page in connector.pull_orders(None, since=SHOP_START - timedelta(days=1)):
        imported += len(page.items)
        if page.failures:
            raise SystemExit(f"bulk import refused {len(page.failures)} orders")
    wall = time.perf_counter() - started
    await connector.aclose()
    return imported, len(sim.journal.entries), wall, timed.seconds, seeded


def run(args: argparse.Namespace) -> list[Figure]:
    orders = args.orders or round(ORDERS * args.scale)
    figures: list[Figure] = []
    runs = ((orders, 0.0, "done by the first poll"), (POLLED, 60.0, "2,000 orders, running 60 s"))
    for count, bulk_seconds, label in runs:
        imported, requests, wall, in_sim, seeded = asyncio.run(_import(count, bulk_seconds))
        figures += [
            Figure(f"{label}: orders imported", imported, "orders", minimum=count),
            Figure(f"{label}: requests", requests, "requests", minimum=MINIMUM),
            Figure(f"{label}: import wall time", wall, "s"),
            Figure(f"{label}:   of it in the simulator", in_sim, "s"),
            Figure(f"{label}: orders/s", imported / wall if wall else 0.0, "orders/s"),
            Figure(f"{label}: seeding the shop (not timed above)", seeded, "s"),
        ]
    paged = math.ceil(orders / orders_per_page())
    figures.append(Figure("paged import for comparison: orders pages", paged, "requests"))
    return figures
