"""Shopify bulk import: N orders (default 100,000) through one bulk query, requests and time.

The Shopify simulator and ``ShopifyConnector`` in process on the bench's fake clock, the
account set to read long windows in bulk (``bulk_after_days``). Requests are counted in the
simulator's HTTP journal, beside the contract minimum: 3 for any N — ``bulkOperationRunQuery``,
one read of the operation once it is COMPLETED (a ``currentBulkOperation`` poll, or the
``bulk_operations/finish`` webhook and then that read), and the download of its JSONL file
(not a GraphQL call, outside the cost bucket). Two runs: the operation finished by the first
poll (N orders), and one Shopify takes 60 s to run (2,000 orders: the polls depend on the
time, not on N; the connector polls at once, then after 1, 2, 4 … s, at most every 30 s).
A third run takes 45 s with the ``bulk_operations/finish`` webhook (announced to the waiting
read the moment the operation finishes, as the hub's webhook intake does): the polls before
it are the same, the webhook ends the pause in progress, so the file is read at 45 s instead
of at the next poll (61 s); "waited" is the fake time from the start to the file read.
The paged import's minimum (ceil(N/20) ``orders`` pages) is printed beside for comparison.
``--orders N`` changes N.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
from datetime import timedelta
from typing import Any

import httpx
from pydantic import SecretStr

from bench.channels import FakeTime, TimedApp
from bench.channels.shopify import SHOP_START, orders_per_page
from bench.run import Figure
from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.shopify import ShopifyConnector
from channelhub.connectors.wakes import OperationWakes
from channelhub.simulators.shopify import create_app

ORDERS = 100_000
TRACE_MEMORY = False
MINIMUM = 3
POLLED = 2_000  # the polling run: its requests depend on the time, not on N (see tests)
ACCOUNT = "bench-shopify"


class WebhookTime(FakeTime):
    """The fake clock, and the shop's ``bulk_operations/finish`` webhook taken in the moment
    an operation finishes: a pause that spans the finish ends there, announced on the
    connector's wakes as the hub's webhook intake announces on its factory's."""

    sim: Any = None
    wakes: OperationWakes | None = None

    async def sleep(self, seconds: float) -> None:
        bulk = self.sim.shop.bulk
        ends = [op.created + bulk.duration for op in bulk.operations.values() if not op.notified]
        finish = min(ends, default=None)
        if finish is None or finish > self.now + timedelta(seconds=seconds):
            await super().sleep(seconds)
            return
        await super().sleep(max(0.0, (finish - self.now).total_seconds()))
        assert self.wakes is not None  # set with the connector's context
        for payload in bulk.due():
            self.wakes.announce(ACCOUNT, payload["admin_graphql_api_id"])


async def _import(
    orders: int, bulk_seconds: float, webhook: bool = False
) -> tuple[int, int, float, float, float, float]:
    """(orders imported, requests, wall seconds, of them in the simulator, seed seconds,
    fake seconds waited for the operation)."""
    start = SHOP_START + timedelta(minutes=37 * (orders + 1)) + timedelta(days=4)
    clock = WebhookTime(start) if webhook else FakeTime(start)
    seeding = time.perf_counter()
    sim = create_app(
        seed=1,
        orders=orders,
        products=50,
        clock=clock.monotonic,
        now=clock.utc,
        bulk_seconds=bulk_seconds,
    )
    wakes = OperationWakes()
    if isinstance(clock, WebhookTime):
        clock.sim, clock.wakes = sim, wakes
    seeded = time.perf_counter() - seeding
    timed = TimedApp(sim)
    context = ConnectorContext(
        platform="shopify",
        account=ACCOUNT,
        base_url="https://channelhub-bench.myshopify.com",
        credentials={"access_token": SecretStr("shpat_simulator")},
        settings={"location_id": "1", "bulk_after_days": 7, "bulk_page_orders": 1000},
        transport=httpx.ASGITransport(app=timed),
        clock=clock.monotonic,
        sleep=clock.sleep,
        now=clock.utc,
        wakes=wakes,
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
    waited = (clock.now - start).total_seconds()
    return imported, len(sim.journal.entries), wall, timed.seconds, seeded, waited


def run(args: argparse.Namespace) -> list[Figure]:
    orders = args.orders or round(ORDERS * args.scale)
    figures: list[Figure] = []
    runs = (
        (orders, 0.0, False, "done by the first poll"),
        (POLLED, 60.0, False, "2,000 orders, running 60 s"),
        (POLLED, 45.0, False, "2,000 orders, running 45 s, polled"),
        (POLLED, 45.0, True, "2,000 orders, running 45 s, finish webhook"),
    )
    for count, bulk_seconds, webhook, label in runs:
        imported, requests, wall, in_sim, seeded, waited = asyncio.run(
            _import(count, bulk_seconds, webhook)
        )
        if bulk_seconds:
            figures.append(Figure(f"{label}: waited", waited, "s", minimum=bulk_seconds))
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
