"""Order placed → in the hub: Amazon via SQS (ORDER_CHANGE), Shopify via webhook; median and max.

The real path of `channelhub run` (``serve_hub`` with no scheduled jobs: the webhook route, its
intake worker and the SQS consumers), on a migrated SQLite hub, over loopback:

- **Amazon**: moto's SQS server on a free port; the Amazon simulator (in process) subscribed by
  ``accounts subscribe`` (destination + ORDER_CHANGE); a placed order's notification goes to the
  queue; the hub's consumer long-polls it, reads the order back (getOrder) and stores it.
- **Shopify**: the simulator subscribed by ``accounts subscribe --hub-url`` POSTs a signed
  ``orders/create`` to the hub's port; the route stores it and the intake worker takes it in.
  Then a burst of 200 orders placed at once (the intake worker defers to a burst of
  deliveries: this shows the latest one's wait).

``8 x --scale`` orders per platform, placed one after another at random moments (0-1 s apart,
so they land anywhere in a long poll); the time is from the placing call until the order's row
can be read. Beside each figure, the contract's minimum: pushed notifications need no wait
(0 s) and, for Amazon, one getOrder per order (the notification has no money or address);
polling alone cannot beat 120 s on Amazon (searchOrders' window must end 2 minutes before now).
Goals: Amazon ≤ 30 s, Shopify ≤ 5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import socket
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import httpx
from moto.server import ThreadedMotoServer
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bench.run import Figure
from channelhub.cli.run import serve_hub
from channelhub.jobs.accounts.connectors import ConnectorFactory
from channelhub.jobs.accounts.subscriptions import subscribe_orders
from channelhub.jobs.engine.runner import JobOptions
from channelhub.jobs.engine.scheduler import JobService
from channelhub.simulators.amazon import MARKETPLACES
from channelhub.simulators.amazon import create_app as create_amazon
from channelhub.simulators.amazon.app import DEFAULT_CREDENTIALS
from channelhub.simulators.shopify import create_app as create_shop
from channelhub.simulators.shopify.subscriptions import OrderWebhooks
from channelhub.simulators.shopify.webhooks import WebhookSender
from channelhub.store.crypto import Vault, generate_key
from channelhub.store.db import make_engine, make_session_factory, upgrade
from channelhub.store.repos.accounts import add_account
from channelhub.store.tables.accounts import Account
from channelhub.store.tables.orders import OrderRow

TRACE_MEMORY = False  # latencies matter
ORDERS = 8
BURST = 200  # Shopify orders placed at once: the webhook intake defers to a burst
SENDERS = 16  # concurrent deliveries of the burst
REGION = "us-east-1"
SECRET = "shpss_bench_secret"
AMAZON, SHOP = "bench-amazon", "bench-shop"
#: contract minimums: a pushed notification waits for nothing; Amazon's polling window
AMAZON_POLL_MINIMUM = 120.0  # searchOrders: LastUpdatedBefore >= 2 minutes before now
STORED_TIMEOUT = 120.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _accounts(factory: sessionmaker[Session], vault: Vault, queue_url: str, sqs: str) -> None:
    amazon_settings: dict[str, Any] = {
        "seller_id": "A1SIMSELLER",
        "marketplace_ids": [m.marketplace_id for m in MARKETPLACES],
        "lwa_url": "http://sp.sim/auth/o2/token",
        "sqs_queue_url": queue_url,
        "sqs_region": REGION,
        "sqs_endpoint_url": sqs,
    }
    with factory.begin() as session:
        add_account(
            session,
            vault,
            platform="amazon",
            name=AMAZON,
            credentials={
                **{k: SecretStr(v) for k, v in DEFAULT_CREDENTIALS.items()},
                "aws_access_key_id": SecretStr("bench"),
                "aws_secret_access_key": SecretStr("bench"),
            },
            now=datetime.now(UTC),
            base_url="http://sp.sim",
            settings=amazon_settings,
        )
        add_account(
            session,
            vault,
            platform="shopify",
            name=SHOP,
            credentials={
                "access_token": SecretStr("shpat_simulator"),
                "api_secret": SecretStr(SECRET),
            },
            now=datetime.now(UTC),
            base_url="https://channelhub-sim.myshopify.com",
            settings={"api_version": "2025-01"},
        )


async def _until_stored(factory: sessionmaker[Session], account: str, external_id: str) -> None:
    query = select(OrderRow.id).where(
        OrderRow.account == account, OrderRow.external_id == external_id
    )
    deadline = time.perf_counter() + STORED_TIMEOUT
    while time.perf_counter() < deadline:
        with factory() as session:
            if session.scalar(query) is not None:
                return
        await asyncio.sleep(0.01)  # the bench watches; the hub itself never sleeps to wait
    raise TimeoutError(f"{account} order {external_id} not in the hub after {STORED_TIMEOUT} s")


async def _measure(
    factory: sessionmaker[Session],
    account: str,
    place: Callable[[], Awaitable[str]],
    count: int,
    rng: random.Random,
) -> list[float]:
    latencies: list[float] = []
    for _ in range(count):
        await asyncio.sleep(rng.uniform(0, 1))  # a random moment of the long poll
        started = time.perf_counter()
        placed = await place()
        await _until_stored(factory, account, placed)
        latencies.append(time.perf_counter() - started)
    return latencies


async def _burst(
    factory: sessionmaker[Session], webhooks: OrderWebhooks, url: str, count: int
) -> list[float]:
    """``count`` orders placed at once (a flash sale), their signed ``orders/create``
    delivered as Shopify does, concurrently (``SENDERS`` at a time, rendered beforehand: the
    simulator must not be what is measured); each one's time from its POST to the hub,
    watched by one query per tick for all of them."""
    orders = [await webhooks.place_order(send=False) for _ in range(count)]
    sender = WebhookSender(webhooks.data, webhooks.secret, rng=random.Random(5))
    deliveries = {order: sender.delivery("orders/create", order) for order in orders}
    begun: dict[str, float] = {}
    gate = asyncio.Semaphore(SENDERS)

    async def deliver(client: httpx.AsyncClient, order: str) -> None:
        delivery = deliveries[order]
        async with gate:
            begun[order] = time.perf_counter()
            answer = await client.post(url, content=delivery.body, headers=delivery.headers)
            answer.raise_for_status()

    async def watch() -> list[float]:
        latencies: list[float] = []
        deadline = time.perf_counter() + STORED_TIMEOUT
        while len(latencies) < count and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
            waiting = [order for order in begun if order in deliveries]
            with factory() as session:
                found = set(
                    session.scalars(
                        select(OrderRow.external_id).where(
                            OrderRow.account == SHOP, OrderRow.external_id.in_(waiting)
                        )
                    )
                )
            now = time.perf_counter()
            latencies += [now - begun[order] for order in found]
            for order in found:
                del deliveries[order]
        if len(latencies) < count:
            raise TimeoutError(f"burst orders not in the hub after {STORED_TIMEOUT} s")
        return latencies

    async with httpx.AsyncClient(timeout=30) as client:
        watcher = asyncio.create_task(watch())
        await asyncio.gather(*(deliver(client, order) for order in orders))
        return await watcher


async def _run(count: int, scratch: Path) -> dict[str, Any]:
    sqs_port = _free_port()
    # werkzeug logs every request moto serves at INFO, which the hub's logging shows: the
    # figures drowned in "POST / HTTP/1.1" lines
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=sqs_port, verbose=False)
    moto.start()
    sqs = f"http://127.0.0.1:{sqs_port}"
    try:
        client = boto3.client(
            "sqs",
            region_name=REGION,
            endpoint_url=sqs,
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        )
        queue_url = client.create_queue(QueueName=f"orders-{uuid.uuid4().hex[:8]}")["QueueUrl"]
        url = f"sqlite:///{scratch / 'hub.db'}"
        upgrade(url)
        factory = make_session_factory(make_engine(url))
        vault = Vault(generate_key())
        _accounts(factory, vault, queue_url, sqs)
        amazon = create_amazon(order_count=5, sqs_endpoint_url=sqs)
        shop = create_shop(seed=3, orders=5, webhook_secret=SECRET)
        sims = {"amazon": httpx.ASGITransport(app=amazon), "shopify": httpx.ASGITransport(app=shop)}

        def transport(account: Account) -> httpx.AsyncBaseTransport:
            return sims[account.platform]

        connectors = ConnectorFactory(vault, transport=transport)
        ready: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        stop = asyncio.Event()

        def on_ready(port: int, _service: JobService) -> None:
            ready.set_result(port)

        # subscribe before the consumer starts: it reads the queue the destination names
        await subscribe_orders(factory, AMAZON, connector_factory=connectors)
        hub = asyncio.create_task(
            serve_hub(
                session_factory=factory,
                connector_factory=connectors,
                plan=[],
                options=JobOptions(initial_lookback=timedelta(days=1)),
                host="127.0.0.1",
                port=0,
                on_ready=on_ready,
                stop=stop,
            )
        )
        port = await asyncio.wait_for(ready, 30)
        await subscribe_orders(
            factory, SHOP, connector_factory=connectors, hub_url=f"http://127.0.0.1:{port}"
        )
        rng = random.Random(17)
        state = amazon.state  # type: ignore[attr-defined]

        async def place_amazon() -> str:
            return str(state.place_order())

        amazon_latency = await _measure(factory, AMAZON, place_amazon, count, rng)
        get_orders = sum(
            1
            for e in amazon.journal.entries
            if e.method == "GET" and e.path.startswith("/orders/2026-01-01/orders/")
        )
        shop_latency = await _measure(
            factory,
            SHOP,
            shop.shop.webhooks.place_order,
            count,
            rng,  # type: ignore[attr-defined]
        )
        webhooks = shop.shop.webhooks  # type: ignore[attr-defined]
        burst = await _burst(factory, webhooks, f"http://127.0.0.1:{port}/webhooks/{SHOP}", BURST)
        stop.set()
        await hub
        return {
            "amazon": amazon_latency,
            "shopify": shop_latency,
            "get_orders": get_orders,
            "burst": burst,
        }
    finally:
        moto.stop()


def run(args: argparse.Namespace) -> list[Figure]:
    count = max(int(ORDERS * getattr(args, "scale", 1.0)), 2)
    with tempfile.TemporaryDirectory(prefix="channelhub-latency-") as scratch:
        found = asyncio.run(_run(count, Path(scratch)))
    amazon, shopify, burst = found["amazon"], found["shopify"], found["burst"]
    return [
        Figure(f"Amazon order placed → in the hub via SQS: median ({count})",
               statistics.median(amazon), "s", 0.0, 30.0),
        Figure("Amazon order placed → in the hub via SQS: max", max(amazon), "s", 0.0, 30.0),
        Figure("Amazon getOrder calls per order (via SQS)", found["get_orders"] / count,
               "calls", 1.0),
        Figure("Amazon order by polling alone: contract minimum", AMAZON_POLL_MINIMUM, "s"),
        Figure(f"Shopify order via webhook → in the hub: median ({count})",
               statistics.median(shopify), "s", 0.0, 5.0),
        Figure("Shopify order via webhook → in the hub: max", max(shopify), "s", 0.0, 5.0),
        Figure(f"Shopify burst of {BURST} order webhooks: median", statistics.median(burst),
               "s", 0.0, 5.0),
        Figure(f"Shopify burst of {BURST} order webhooks: max", max(burst), "s", 0.0, 5.0),
    ]  # fmt: skip
