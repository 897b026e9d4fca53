"""Latency: a stock change reaching Shopify, Amazon and eBay, and an order reaching the hub.

**Stock change -> channel** (wall clock, default config): a hub home with the default
settings, the Shopify, Amazon and eBay simulators in process (``httpx.ASGITransport``, their
own rate limits on), each account's listings imported and three of each bound to three SKUs,
stock sync on; then ``serve_hub`` — what ``channelhub run`` runs: the APScheduler jobs at
their default intervals, the HTTP app and the stock waker — in this process. N changes
(default 20, ``--scale``) are committed one after the other, each a ``set_on_hand`` of one SKU
to a new count, as a warehouse callback or ``channelhub stock set`` records it; the time from
its commit until the simulator *holds* the new quantity (checked after every request the
simulator answers, so no polling adds to it) is one sample per channel. Then half as many
changes committed by another process (a ``channelhub stock set`` typed in a terminal; here a
session factory of its own, so no hook of the hub's sees the commit): the hub finds those by
looking at the dirty marks every ``[stock] watch_seconds`` (5 s), so up to that look adds to
the debounce.

The contract minimum beside each figure is what the channel itself imposes on one change, read
from the simulator's contract, not from the hub: one request (Shopify ``inventorySetQuantities``,
Amazon ``patchListingsItem`` below the connector's feed threshold, eBay
``bulkUpdatePriceQuantity``), applied when answered — no processing delay — and inside each
operation's burst (Amazon 5/s burst 5, eBay 5/s burst 10, Shopify 10 of a 2000-point bucket),
so no rate-limit wait: 0 s plus one round trip. (A push of more than 20 Amazon SKUs goes as a
feed, which the simulator processes on its ``feed_polls_to_done``-th status poll.) The hub's
own floor is ``[stock] debounce_seconds`` (default 2 s), the quiet time it waits to coalesce
a burst.

**Order placed -> in the hub** (simulated time, default config): polling as it is today, the
``pull_orders`` interval (``[jobs.every]``, 300 s) against each contract's earliest moment an
order can be read by polling. ``ORDER_PATHS`` lists the paths measured; webhook and SQS paths
add a row there.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import logging
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bench.channels import FakeTime
from bench.run import Figure
from channelhub.cli.home import open_engine
from channelhub.cli.run import serve_hub
from channelhub.cli.runtime import http_limits, job_options
from channelhub.connectors.registry import ConnectorRegistry
from channelhub.core.bindings import ListingRef, Scope
from channelhub.core.listing import Listing
from channelhub.core.products import Sku
from channelhub.core.stock import Warehouse
from channelhub.jobs.accounts.connectors import ConnectorFactory
from channelhub.jobs.engine.kinds import JobKind
from channelhub.jobs.engine.runner import run_job
from channelhub.jobs.engine.scheduler import (
    JobService,
    intervals_from_seconds,
    plan_jobs,
    roles_from_registry,
)
from channelhub.jobs.orders.pairing_queue import binding_for
from channelhub.settings import load_settings
from channelhub.store.crypto import Vault, generate_key
from channelhub.store.db import make_session_factory, upgrade
from channelhub.store.repos.accounts import add_account, list_accounts
from channelhub.store.repos.listings import list_listings
from channelhub.store.repos.pairings import save_binding
from channelhub.store.repos.products import upsert_sku
from channelhub.store.repos.stock import mark_stock_known, set_on_hand, upsert_warehouse
from channelhub.store.tables.orders import OrderRow

TRACE_MEMORY = False  # wall-clock latencies: tracemalloc would slow the hub measured
CHANGES = 20
SKUS = ("LAT-1", "LAT-2", "LAT-3")
WAREHOUSE = "WH-LAT"
START_COUNT = 1_000  # above every seeded level: the first push cuts nothing (mass-drop guard)
ARRIVAL_TIMEOUT = 120.0  # seconds: a change not arrived by then fails the bench
SETTLE_SECONDS = 3.0  # let the scheduler's first runs (all jobs at start) pass

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


# --- the channels: simulator, account and how to read the quantity it holds -------------------


@dataclass
class Channel:
    platform: str
    account: str
    sim: Any
    base_url: str
    credentials: dict[str, str]
    settings: dict[str, Any]
    held: Callable[[Any, Listing], int | None]  # the quantity the simulator holds
    #: place a new order in the simulator at ``now``; returns the id the hub stores it under
    place: Callable[[Any, datetime, int], str]
    stocked: Callable[[Any, Listing], bool] = lambda _sim, _listing: True


Now = Callable[[], datetime]
Clock = Callable[[], float]


def _copy_of(orders: dict[str, dict[str, Any]], index: int) -> dict[str, Any]:
    """A seeded order to copy as a new one (the same lines and buyer, a new id and time)."""
    seeded = sorted(orders)
    return copy.deepcopy(orders[seeded[index % len(seeded)]])


def _placer(
    orders_of: Callable[[Any], dict[str, dict[str, Any]]],
    id_format: str,
    time_keys: tuple[str, ...],
    stamp: Callable[[datetime], str],
) -> Callable[[Any, datetime, int], str]:
    """Places a copy of a seeded order keyed by ``orderId`` (Amazon, eBay) at ``at``."""

    def place(sim: Any, at: datetime, index: int) -> str:
        orders = orders_of(sim)
        order = _copy_of(orders, index)
        order["orderId"] = id_format.format(index)
        order.update(dict.fromkeys(time_keys, stamp(at)))
        orders[order["orderId"]] = order
        return str(order["orderId"])

    return place


def _amazon(now: Now | None = None, clock: Clock | None = None) -> Channel:
    from channelhub.simulators.amazon import MARKETPLACES, create_app
    from channelhub.simulators.amazon.app import DEFAULT_CREDENTIALS
    from channelhub.simulators.amazon.catalog import iso

    place = _placer(
        lambda sim: sim.state.orders, "999-{:07d}-0000000", ("createdTime", "lastUpdatedTime"), iso
    )

    def held(sim: Any, listing: Listing) -> int | None:
        item = sim.state.listings.get(listing.channel_sku or listing.listing_id)
        return None if item is None else int(item["fulfillmentAvailability"][0]["quantity"])

    return Channel(
        platform="amazon",
        account="lat-amazon",
        sim=create_app(seed=3, order_count=5, listing_count=6, now=now),
        base_url="http://sp.sim",
        credentials=dict(DEFAULT_CREDENTIALS),
        settings={
            "seller_id": "A1SIMSELLER",
            "marketplace_ids": [m.marketplace_id for m in MARKETPLACES],
            "lwa_url": "http://sp.sim/auth/o2/token",
        },
        held=held,
        place=place,
    )


def _shopify(now: Now | None = None, clock: Clock | None = None) -> Channel:
    from channelhub.simulators.shopify import create_app
    from channelhub.simulators.shopify.seed import iso

    sim = create_app(
        seed=5,
        orders=5,
        products=6,
        now=now or utc_now,
        clock=clock or time.monotonic,
    )
    location = sim.shop.data.locations[0]["id"].rsplit("/", 1)[-1]

    def level(sim: Any, listing: Listing) -> int | None:
        for (item, where), quantity in sim.shop.data.levels.items():
            if (
                where.rsplit("/", 1)[-1] == location
                and item.rsplit("/", 1)[-1] == str(listing.inventory_ref).rsplit("/", 1)[-1]
            ):
                return int(quantity)
        return None

    def place(sim: Any, at: datetime, index: int) -> str:
        data = sim.shop.data
        order = _copy_of(data.orders, index)
        legacy = str(data.new_id())
        order["id"], order["legacyResourceId"] = f"gid://shopify/Order/{legacy}", legacy
        order["name"] = f"#L{index}"
        order["createdAt"] = order["processedAt"] = order["updatedAt"] = iso(at)
        data.orders[legacy] = order
        return legacy

    return Channel(
        platform="shopify",
        account="lat-shopify",
        sim=sim,
        base_url="https://channelhub-sim.myshopify.com",
        credentials={"access_token": "shpat_simulator", "api_secret": "shpss_webhook_secret"},
        settings={"api_version": "2025-01", "location_id": location},
        held=level,
        place=place,
        stocked=lambda sim, listing: level(sim, listing) is not None,
    )


def _ebay(now: Now | None = None, clock: Clock | None = None) -> Channel:
    from channelhub.simulators.ebay import (
        DEFAULT_CLIENT_ID,
        DEFAULT_CLIENT_SECRET,
        DEFAULT_REFRESH_TOKEN,
        create_simulator,
    )
    from channelhub.simulators.ebay.data import ebay_time

    place = _placer(
        lambda sim: sim.shop.orders,
        "99-{:05d}-00000",
        ("creationDate", "lastModifiedDate"),
        ebay_time,
    )

    def held(sim: Any, listing: Listing) -> int | None:
        item = sim.shop.items.get(listing.channel_sku or listing.inventory_ref)
        if item is None:
            return None
        return int(item["availability"]["shipToLocationAvailability"]["quantity"])

    return Channel(
        platform="ebay",
        account="lat-ebay",
        sim=create_simulator(
            seed=7, order_count=5, now=now or utc_now, clock=clock or time.monotonic
        ),
        base_url="http://ebay.sim",
        credentials={
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": DEFAULT_CLIENT_SECRET,
            "refresh_token": DEFAULT_REFRESH_TOKEN,
            "verification_token": "verify-me-0123456789-abcdefghij-klmnop",
        },
        settings={"notification_endpoint": "https://hub.example.com/webhooks/ebay/lat-ebay"},
        held=held,
        place=place,
    )


@dataclass
class Expectation:
    listing: Listing
    quantity: int
    arrived: asyncio.Future[float]


@dataclass
class Watched:
    """The simulator as the connector reaches it: after every answered request, stamps the
    expectations it now satisfies (the quantity arrived)."""

    channel: Channel
    waiting: list[Expectation] = field(default_factory=list)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.channel.sim(scope, receive, send)
        if scope["type"] == "http" and self.waiting:
            now = time.perf_counter()
            for expectation in list(self.waiting):
                if self.channel.held(self.channel.sim, expectation.listing) == expectation.quantity:
                    self.waiting.remove(expectation)
                    if not expectation.arrived.done():
                        expectation.arrived.set_result(now)

    def expect(self, listing: Listing, quantity: int) -> asyncio.Future[float]:
        arrived: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting.append(Expectation(listing, quantity, arrived))
        return arrived


# --- the hub ----------------------------------------------------------------------------------


@dataclass
class Rig:
    factory: sessionmaker[Session]
    connectors: ConnectorFactory
    watched: dict[str, Watched]
    bound: dict[str, dict[str, Listing]]  # platform -> SKU -> the listing bound to it


def _setup_accounts(factory: sessionmaker[Session], vault: Vault, channels: list[Channel]) -> None:
    now = utc_now()
    with factory.begin() as session:
        for channel in channels:
            add_account(
                session,
                vault,
                platform=channel.platform,
                name=channel.account,
                credentials={k: SecretStr(v) for k, v in channel.credentials.items()},
                now=now,
                base_url=channel.base_url,
                settings={**channel.settings, "jobs": {"push_stock": True}},
            )
        for sku in SKUS:
            upsert_sku(session, Sku(code=sku), now=now)
        upsert_warehouse(session, Warehouse(code=WAREHOUSE, country="US"), now=now)
        for sku in SKUS:
            set_on_hand(session, WAREHOUSE, sku, START_COUNT, reason="bench", now=now)
        mark_stock_known(session, WAREHOUSE, now)


def _bind(factory: sessionmaker[Session], channel: Channel) -> dict[str, Listing]:
    """Bind the first stocked listings of the account to the SKUs, one each."""
    with factory() as session:
        listings = list_listings(session, channel=channel.platform, account=channel.account)
    chosen = [item for item in listings if channel.stocked(channel.sim, item)][: len(SKUS)]
    if len(chosen) < len(SKUS):
        raise RuntimeError(f"{channel.platform}: only {len(chosen)} stocked listings imported")
    with factory.begin() as session:
        for sku, listing in zip(SKUS, chosen, strict=True):
            ref = ListingRef.of_listing(listing).model_copy(update={"channel_sku": None})
            binding = binding_for(ref, sku, multiplier=1, scope=Scope.ACCOUNT)
            save_binding(session, binding, now=utc_now(), actor="bench")
    return dict(zip(SKUS, chosen, strict=True))


async def _prepare(home: Path, channels: list[Channel]) -> tuple[Rig, Any]:
    settings = load_settings(home, env={})
    upgrade(settings.resolved_database_url)
    engine_cm = open_engine(settings)
    engine = engine_cm.__enter__()
    factory = make_session_factory(engine)
    vault = Vault(generate_key())
    watched = {c.platform: Watched(c) for c in channels}
    timeout, retry = http_limits(settings)
    connectors = ConnectorFactory(
        vault,
        transport=lambda account: httpx.ASGITransport(app=watched[account.platform]),
        timeout=timeout,
        retry=retry,
    )
    _setup_accounts(factory, vault, channels)
    options = job_options(settings)
    bound = {}
    for channel in channels:
        for kind in (JobKind.PULL_LISTINGS, JobKind.PUSH_STOCK):
            if kind is JobKind.PUSH_STOCK:
                bound[channel.platform] = _bind(factory, channel)
            result = await run_job(
                factory,
                channel.account,
                kind,
                connector_factory=connectors,
                now=utc_now,
                options=options,
            )
            if result.outcome != "ok":
                raise RuntimeError(f"{channel.platform} {kind.value}: {result.error}")
    for platform, listings in bound.items():  # the first push set every bound listing
        for listing in listings.values():
            held = watched[platform].channel.held(watched[platform].channel.sim, listing)
            if held != START_COUNT:
                raise RuntimeError(f"{platform} {listing.key} holds {held}, not {START_COUNT}")
    return Rig(factory, connectors, watched, bound), (engine_cm, settings)


async def _changes(
    rig: Rig, count: int, seed: int, factory: sessionmaker[Session] | None = None
) -> dict[str, list[float]]:
    """Commit ``count`` stock changes and time each one's arrival on every channel; through
    ``factory`` when given (another process's sessions: no hook of the hub's sees them)."""
    factory = factory or rig.factory
    rng = random.Random(seed)
    samples: dict[str, list[float]] = {platform: [] for platform in rig.watched}
    counts = dict.fromkeys(SKUS, START_COUNT)
    for index in range(count):
        sku = SKUS[index % len(SKUS)]
        counts[sku] += 1 + rng.randrange(5)
        arrivals = {
            platform: rig.watched[platform].expect(listings[sku], counts[sku])
            for platform, listings in rig.bound.items()
        }
        with factory.begin() as session:
            set_on_hand(session, WAREHOUSE, sku, counts[sku], reason="bench change", now=utc_now())
        committed = time.perf_counter()
        done = await asyncio.wait_for(asyncio.gather(*arrivals.values()), ARRIVAL_TIMEOUT)
        for platform, arrived in zip(arrivals, done, strict=True):
            samples[platform].append(arrived - committed)
        await asyncio.sleep(rng.uniform(0.2, 1.0))  # the next change comes a moment later
    return samples


async def stock_latency(
    count: int, seed: int = 17
) -> tuple[dict[str, list[float]], dict[str, list[float]], Any]:
    """The samples of ``count`` changes committed in the hub's process, then of ``count // 2``
    committed by another process (a ``channelhub stock set`` in a terminal: a session
    factory of its own, so only the waker's look at the dirty marks finds them), and the
    ``[stock]`` settings."""
    channels = [_shopify(), _amazon(), _ebay()]
    with tempfile.TemporaryDirectory(prefix="channelhub-latency-") as tmp:
        rig, (engine_cm, settings) = await _prepare(Path(tmp), channels)
        try:
            with rig.factory() as session:
                accounts = list_accounts(session)
            plan = plan_jobs(
                accounts,
                intervals_from_seconds(settings.jobs.every.model_dump()),
                roles_of=roles_from_registry(ConnectorRegistry()),
            )
            stop = asyncio.Event()
            ready = asyncio.Event()

            def on_ready(_port: int, _service: JobService) -> None:
                ready.set()

            serving = asyncio.create_task(
                serve_hub(
                    session_factory=rig.factory,
                    connector_factory=rig.connectors,
                    plan=plan,
                    options=job_options(settings),
                    port=0,
                    on_ready=on_ready,
                    stop=stop,
                )
            )
            await ready.wait()
            await asyncio.sleep(SETTLE_SECONDS)
            try:
                samples = await _changes(rig, count, seed)
                other_process = make_session_factory(rig.factory.kw["bind"])
                elsewhere = await _changes(rig, max(count // 2, 1), seed + 1, other_process)
            finally:
                stop.set()
                await serving
        finally:
            engine_cm.__exit__(None, None, None)
    return samples, elsewhere, settings.stock


# --- order placed -> in the hub: polling --------------------------------------------------------


@dataclass(frozen=True)
class OrderPath:
    """One way an order reaches the hub, and the contract's floor for it: an order is first
    visible ``contract_lag`` s after it is placed, and the contract's rate limit allows one
    read every ``contract_interval`` s at the most (sustained)."""

    platform: str
    name: str
    contract_interval: float
    contract_lag: float


#: The paths measured. Polling floors from the contracts: Amazon ``searchOrders`` 0.0056/s
#: (one call in 180 s sustained, burst 20) and its window ending 2 minutes before now; Shopify
#: an ``orders`` page of 983 requested points at the simulator's 100 points/s restore; eBay
#: ``getOrders`` 20/s. The webhook and SQS paths (issue 17, ``notify``) add their rows here,
#: with their own measurement beside :func:`polled_order_latency`.
ORDER_PATHS = [
    OrderPath("amazon", "polling", 180.0, 120.0),
    OrderPath("shopify", "polling", 983 / 100, 0.0),
    OrderPath("ebay", "polling", 1 / 20, 0.0),
]
BUILDERS: dict[str, Callable[[Now | None, Clock | None], Channel]] = {
    "amazon": _amazon,
    "shopify": _shopify,
    "ebay": _ebay,
}


def _hub_has(factory: sessionmaker[Session], account: str, ids: list[str]) -> set[str]:
    with factory() as session:
        rows = session.scalars(
            select(OrderRow.external_id).where(
                OrderRow.account == account, OrderRow.external_id.in_(ids)
            )
        )
        return set(rows)


async def polled_order_latency(platform: str, count: int, seed: int) -> list[float]:
    """Seconds from an order placed in the simulator until it is in the hub, for ``count``
    orders placed at random moments, with ``pull_orders`` run at its default interval — on a
    fake clock shared by the simulator, the connector (rate-limit waits) and the job."""
    fake = FakeTime(utc_now())
    channel = BUILDERS[platform](fake.utc, fake.monotonic)
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="channelhub-order-latency-") as tmp:
        settings = load_settings(Path(tmp), env={})
        upgrade(settings.resolved_database_url)
        with open_engine(settings) as engine:
            factory = make_session_factory(engine)
            vault = Vault(generate_key())
            _setup_accounts(factory, vault, [channel])
            connectors = ConnectorFactory(
                vault,
                transport=httpx.ASGITransport(app=channel.sim),
                now=fake.utc,
                sleep=fake.sleep,
                clock=fake.monotonic,
            )
            options = replace(job_options(settings), heartbeat=timedelta(0))
            every = float(settings.jobs.every.pull_orders)

            async def poll() -> None:
                result = await run_job(
                    factory,
                    channel.account,
                    JobKind.PULL_ORDERS,
                    connector_factory=connectors,
                    now=fake.utc,
                    options=options,
                )
                if result.outcome != "ok":
                    raise RuntimeError(f"{platform} pull_orders: {result.error}")

            await poll()  # the first import: the seeded orders
            origin = fake.utc()
            span = count * every / 2
            placements = sorted(rng.uniform(1, span) for _ in range(count))
            placed: dict[str, datetime] = {}
            landed: dict[str, datetime] = {}
            next_poll = every
            while len(landed) < count:
                at = placements[len(placed)] if len(placed) < count else None
                if at is not None and at < next_poll:
                    fake.now = max(fake.now, origin + timedelta(seconds=at))
                    placed[channel.place(channel.sim, fake.utc(), len(placed))] = fake.utc()
                    continue
                fake.now = max(fake.now, origin + timedelta(seconds=next_poll))
                await poll()
                waiting = [key for key in placed if key not in landed]
                for key in _hub_has(factory, channel.account, waiting):
                    landed[key] = fake.utc()
                next_poll += every
                if next_poll > span + 20 * every:
                    raise RuntimeError(f"{platform}: {count - len(landed)} orders never arrived")
    return [(landed[key] - placed[key]).total_seconds() for key in placed]


def contract_floor(path: OrderPath, latencies: int, seed: int) -> tuple[float, float]:
    """The contract's median and max for orders placed at random moments, read by a poller
    at the contract's fastest sustained rate (each waits its lag, then for the next read)."""
    rng = random.Random(seed)
    waits = [path.contract_lag + rng.uniform(0, path.contract_interval) for _ in range(latencies)]
    return statistics.median(waits), path.contract_lag + path.contract_interval


# --- figures -----------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> list[Figure]:
    for noisy in ("httpx", "httpcore", "apscheduler", "channelhub"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    count = max(CHANGES, round(CHANGES * args.scale))
    samples, elsewhere, stock = asyncio.run(stock_latency(count))
    figures = []
    for label, measured in (("stock", samples), ("stock set in another process", elsewhere)):
        for platform, seconds in measured.items():
            figures += [
                Figure(
                    f"{label} -> {platform}: median of {len(seconds)} changes",
                    statistics.median(seconds),
                    "s",
                    minimum=0.0,
                    goal=10.0,
                ),
                Figure(f"{label} -> {platform}: max", max(seconds), "s", minimum=0.0, goal=30.0),
            ]
    figures.append(Figure("  hub floor: [stock] debounce_seconds", stock.debounce_seconds, "s"))
    figures.append(
        Figure("  another process's change: + up to watch_seconds", stock.watch_seconds, "s")
    )
    for number, path in enumerate(ORDER_PATHS):
        seconds = asyncio.run(polled_order_latency(path.platform, count, seed=31 + number))
        median_floor, max_floor = contract_floor(path, 10_000, seed=number)
        name = f"order -> hub, {path.platform} {path.name}"
        figures += [
            Figure(
                f"{name}: median of {len(seconds)}", statistics.median(seconds), "s", median_floor
            ),
            Figure(f"{name}: max", max(seconds), "s", max_floor),
        ]
    return figures
