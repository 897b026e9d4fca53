"""Latency: an allocated order reaching its warehouse while ``channelhub run`` serves.

A hub home with the default settings (SQLite), the reference warehouse (the channelhub
outbound protocol's simulator) in process behind ``httpx.ASGITransport``, one warehouse
account serving one warehouse with stock; then ``serve_hub`` — what ``channelhub run`` runs:
the APScheduler jobs at their default intervals (``dispatch_outbox`` every 60 s), the HTTP
app and the wakers — in this process. N orders (default 20, ``--scale``) are allocated one
after the other, each in one transaction as the pipeline writes it (the order moved to
allocated, its stock reserved, its outbound order in the outbox); the time from that commit
until the simulator *holds* the outbound order (checked after every request it answers, so
no polling adds to it) is one sample. Then half as many committed by another process (a
``sync orders`` or ``pairing bind`` typed in a terminal; here a session factory of its own,
so no hook of the hub's sees the commit): the hub finds those by looking at the outbox every
``[jobs] watch_seconds`` (5 s).

Beside each figure: the contract minimum, one request (``POST /outbound-orders``, answered
at once: 0 s plus one round trip), and the hub's own floor, ``[jobs] wake_seconds`` (1 s),
the window it gathers a burst of commits in. Before the unit wake the order waited for the
next ``dispatch_outbox`` run: up to the interval (60 s), half of it on average.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from bench.run import Figure
from channelhub.cli.home import open_engine
from channelhub.cli.run import serve_hub
from channelhub.cli.runtime import http_limits, job_options
from channelhub.connectors.registry import ConnectorRegistry
from channelhub.core.models import (
    Address,
    HubStatus,
    Money,
    Order,
    OrderLine,
    OrderTotals,
    OutboundLine,
    OutboundOrder,
    StockMovement,
    Warehouse,
)
from channelhub.core.stock import MovementKind
from channelhub.jobs.accounts.connectors import ConnectorFactory
from channelhub.jobs.engine.scheduler import (
    JobService,
    intervals_from_seconds,
    plan_jobs,
    roles_from_registry,
)
from channelhub.jobs.fulfilment.outbound import warehouse_target
from channelhub.jobs.orders.pipeline import OUTBOUND_CREATE
from channelhub.settings import load_settings
from channelhub.simulators.clock import wall_clock
from channelhub.simulators.warehouse import DEFAULT_SECRET, create_app
from channelhub.store.crypto import Vault, generate_key
from channelhub.store.db import make_session_factory, upgrade
from channelhub.store.repos.accounts import add_account, list_accounts
from channelhub.store.repos.orders import get_order_row, transition_order, upsert_order
from channelhub.store.repos.outbox import enqueue
from channelhub.store.repos.stock import record_movement, upsert_warehouse

TRACE_MEMORY = False  # wall-clock latencies: tracemalloc would slow the hub measured
ORDERS = 20
WAREHOUSE = "WH-LAT"
ACCOUNT = "wh-lat"
SKU = "LAT-1"
ARRIVAL_TIMEOUT = 120.0  # seconds: an order not arrived by then fails the bench
SETTLE_SECONDS = 3.0  # let the scheduler's first runs (all jobs at start) pass
ADDRESS = Address(name="A. Buyer", line1="1 Main St", city="New York", country="US")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Watched:
    """The warehouse as the connector reaches it: after every answered request, stamps the
    outbound orders it now holds."""

    app: Any
    waiting: dict[str, asyncio.Future[float]] = field(default_factory=dict)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)
        if scope["type"] == "http" and self.waiting:
            now = time.perf_counter()
            held = self.app.state.warehouse.orders
            for key in [key for key in self.waiting if key in held]:
                arrived = self.waiting.pop(key)
                if not arrived.done():
                    arrived.set_result(now)

    def expect(self, key: str) -> asyncio.Future[float]:
        arrived: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting[key] = arrived
        return arrived


def _setup(factory: sessionmaker[Session], vault: Vault) -> None:
    now = utc_now()
    with factory.begin() as session:
        add_account(
            session, vault, platform="outbound_protocol", name=ACCOUNT, now=now,
            credentials={"secret": SecretStr(DEFAULT_SECRET)}, base_url="http://wh.sim",
        )  # fmt: skip
        upsert_warehouse(session, Warehouse(code=WAREHOUSE, country="US", account=ACCOUNT), now=now)
        record_movement(
            session,
            StockMovement(
                warehouse=WAREHOUSE, sku=SKU, kind=MovementKind.RECEIVE, quantity=10_000,
                reason="bench stock", at=now,
            ),
            now=now,
        )  # fmt: skip


def allocate(factory: sessionmaker[Session], number: int) -> str:
    """One order allocated in one transaction, as the pipeline writes it: stored, moved to
    allocated, its stock reserved and its outbound order queued. Returns the outbound key."""
    now = utc_now()
    order = Order(
        channel="shopify", account="shop", external_id=f"LAT-{number:05d}",
        channel_status="paid", placed_at=now, updated_at=now, ship_to=ADDRESS,
        totals=OrderTotals(total=Money.of("10.00", "USD")),
        lines=(OrderLine(line_id="1", listing_id="L1", quantity=1),),
    )  # fmt: skip
    out = OutboundOrder(
        idempotency_key=OutboundOrder.make_key(str(order.key), 1, 1), order_key=str(order.key),
        part=1,
        revision=1, warehouse=WAREHOUSE, ship_to=ADDRESS,
        lines=(OutboundLine(sku=SKU, quantity=1, order_line_id="1"),), reference=order.external_id,
    )  # fmt: skip
    with factory.begin() as session:
        upsert_order(session, order, now=now)
        order_id = get_order_row(session, order.key).id
        for step in (HubStatus.APPROVED, HubStatus.ALLOCATED):
            transition_order(session, order_id, step, reason="bench", at=now)
        record_movement(
            session,
            StockMovement(
                warehouse=WAREHOUSE, sku=SKU, kind=MovementKind.RESERVE, quantity=1,
                reason="reserve for line 1", reference=f"{order.key}#p1", at=now,
            ),
            now=now,
        )  # fmt: skip
        enqueue(
            session, idempotency_key=out.idempotency_key, target=warehouse_target(WAREHOUSE),
            kind=OUTBOUND_CREATE, payload=out.model_dump(mode="json"), now=now,
        )  # fmt: skip
    return out.idempotency_key


async def _orders(
    watched: Watched, factory: sessionmaker[Session], first: int, count: int, seed: int
) -> list[float]:
    """Allocate ``count`` orders one after the other; each one's seconds to the warehouse."""
    rng = random.Random(seed)
    samples = []
    for number in range(first, first + count):
        key = OutboundOrder.make_key(f"shopify:shop:LAT-{number:05d}", 1, 1)
        arrived = watched.expect(key)
        allocate(factory, number)
        committed = time.perf_counter()
        samples.append(await asyncio.wait_for(arrived, ARRIVAL_TIMEOUT) - committed)
        await asyncio.sleep(rng.uniform(0.2, 1.0))  # the next order comes a moment later
    return samples


async def dispatch_latency(count: int, seed: int = 23) -> tuple[list[float], list[float], Any]:
    """The samples of ``count`` orders allocated in the hub's process, then of ``count // 2``
    allocated by another process, and the ``[jobs]`` settings."""
    with tempfile.TemporaryDirectory(prefix="channelhub-dispatch-") as tmp:
        settings = load_settings(Path(tmp), env={})
        upgrade(settings.resolved_database_url)
        engine_cm = open_engine(settings)
        engine = engine_cm.__enter__()
        try:
            factory = make_session_factory(engine)
            vault = Vault(generate_key())
            watched = Watched(
                create_app(warehouse=WAREHOUSE, clock=wall_clock, stock={SKU: 10_000})
            )
            timeout, retry = http_limits(settings)
            connectors = ConnectorFactory(
                vault,
                transport=lambda _account: httpx.ASGITransport(app=watched),
                timeout=timeout,
                retry=retry,
            )
            _setup(factory, vault)
            with factory() as session:
                accounts = list_accounts(session)
            plan = plan_jobs(
                accounts,
                intervals_from_seconds(settings.jobs.every.model_dump()),
                roles_of=roles_from_registry(ConnectorRegistry()),
            )
            stop, ready = asyncio.Event(), asyncio.Event()

            def on_ready(_port: int, _service: JobService) -> None:
                ready.set()

            serving = asyncio.create_task(
                serve_hub(
                    session_factory=factory, connector_factory=connectors, plan=plan,
                    options=job_options(settings), port=0, on_ready=on_ready, stop=stop,
                )
            )  # fmt: skip
            await ready.wait()
            await asyncio.sleep(SETTLE_SECONDS)
            try:
                here = await _orders(watched, factory, 0, count, seed)
                other_process = make_session_factory(engine)
                elsewhere = await _orders(
                    watched, other_process, count, max(count // 2, 1), seed + 1
                )
            finally:
                stop.set()
                await serving
        finally:
            engine_cm.__exit__(None, None, None)
    return here, elsewhere, settings.jobs


def run(args: argparse.Namespace) -> list[Figure]:
    for noisy in ("httpx", "httpcore", "apscheduler", "channelhub"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    count = max(ORDERS, round(ORDERS * args.scale))
    here, elsewhere, jobs = asyncio.run(dispatch_latency(count))
    figures = []
    for label, seconds in (("allocated -> warehouse", here), ("  by another process", elsewhere)):
        figures += [
            Figure(f"{label}: median of {len(seconds)}", statistics.median(seconds), "s", 0.0),
            Figure(f"{label}: max", max(seconds), "s", 0.0),
        ]
    every = jobs.every.dispatch_outbox
    return [
        *figures,
        Figure("  hub floor: [jobs] wake_seconds", jobs.wake_seconds, "s"),
        Figure("  another process's order: + up to watch_seconds", jobs.watch_seconds, "s"),
        Figure("  before the wake: up to the dispatch_outbox interval", every, "s"),
    ]
