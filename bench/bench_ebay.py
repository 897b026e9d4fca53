"""eBay: import N orders and push M changed quantities against the simulator in process.

Prints the calls used beside the contract's minimum: getOrders ceil(N/200) (limit 200,
following ``next``), bulkUpdatePriceQuantity ceil(M/25), plus one token call per API.
"""

from __future__ import annotations

import argparse
import asyncio
import math
from datetime import UTC, datetime, timedelta

import httpx
from pydantic import SecretStr

from bench.run import Figure
from channelhub.connectors.ebay import EbayConnector
from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.results import QuantityUpdate
from channelhub.core.models import ListingKey
from channelhub.simulators.ebay import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_REFRESH_TOKEN,
    create_simulator,
)

NOW = datetime(2026, 2, 10, tzinfo=UTC)


class _FakeTime:
    def __init__(self) -> None:
        self.t = 0.0

    def clock(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += seconds


async def _bench(orders: int, quantities: int) -> list[Figure]:
    time = _FakeTime()
    sim = create_simulator(seed=1, order_count=orders, now=lambda: NOW, clock=time.clock)
    context = ConnectorContext(
        platform="ebay",
        account="bench",
        base_url="https://api.ebay.com",
        credentials={
            "client_id": SecretStr(DEFAULT_CLIENT_ID),
            "client_secret": SecretStr(DEFAULT_CLIENT_SECRET),
            "refresh_token": SecretStr(DEFAULT_REFRESH_TOKEN),
        },
        transport=httpx.ASGITransport(app=sim),
        clock=time.clock,
        sleep=time.sleep,
        now=lambda: NOW,
    )
    connector = EbayConnector(context)
    imported = 0
    async for page in connector.pull_orders(since=NOW - timedelta(days=60)):
        imported += len(page.items)
    skus = sorted(sim.shop.items)
    updates = [
        QuantityUpdate(
            listing=ListingKey(
                channel="ebay", account="bench", listing_id=skus[i % len(skus)] + f"#{i}"
            ),
            quantity=i,
            inventory_ref=skus[i % len(skus)] if i < len(skus) else f"UNKNOWN-{i}",
        )
        for i in range(quantities)
    ]
    results = await connector.push_quantities(updates)
    await connector.aclose()
    calls = [e.path for e in sim.journal.entries]
    return [
        Figure(f"orders imported (of {orders})", imported, "orders"),
        Figure(
            "getOrders calls",
            calls.count("/sell/fulfillment/v1/order"),
            "calls",
            math.ceil(orders / 200),
        ),
        Figure("token calls", calls.count("/identity/v1/oauth2/token"), "calls", 2),
        Figure(
            f"quantities accepted (of {quantities}; unknown skus refused)",
            sum(r.accepted for r in results),
            "items",
        ),
        Figure(
            "bulkUpdatePriceQuantity calls",
            calls.count("/sell/inventory/v1/bulk_update_price_quantity"),
            "calls",
            math.ceil(quantities / 25),
        ),
    ]


def run(args: argparse.Namespace) -> list[Figure]:
    scale = getattr(args, "scale", 1.0)
    return asyncio.run(_bench(orders=int(1000 * scale), quantities=int(100 * scale)))
