"""Rate-limit buckets shared across processes (PostgreSQL) against each process's own.

What a platform call pays to take its tokens: an in-process bucket (a few µs) against the
shared row (one statement, one round trip), beside the true minimum of a round trip on the
same pool (``SELECT 1``). Then what sharing buys: two "processes" (threads, each with its own
engine and event loop) spending one account's budget (50 tokens/s, burst 5) for 2 s, with
shared buckets and with their own, against what the plan allows. ``python -m bench.run
shared_buckets`` (needs CHANNELHUB_BENCH_POSTGRES_URL or CHANNELHUB_TEST_POSTGRES_URL).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine, text

from bench.databases import postgres_database
from bench.run import Figure
from channelhub.connectors.http.ratelimit import BucketBackend, RateLimit, RateLimiterRegistry
from channelhub.store.db import make_engine, upgrade
from channelhub.store.shared_buckets import SharedBuckets

TRACE_MEMORY = False
CALLS = 3_000
UNLIMITED = RateLimit(rate=1e9, burst=1e9)
PLAN = RateLimit(rate=50.0, burst=5.0)
SPEND_SECONDS = 2.0


def _calls_per_second(backend: BucketBackend | None, calls: int, account: str = "a") -> float:
    registry = RateLimiterRegistry({"op": UNLIMITED}, backend=backend)

    async def spend() -> float:
        started = time.perf_counter()
        for _ in range(calls):
            await registry.acquire(account, "op")
        return time.perf_counter() - started

    return calls / asyncio.run(spend())


def _round_trips_per_second(engine: Engine, calls: int) -> float:
    autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
    statement = text("SELECT 1")
    started = time.perf_counter()
    for _ in range(calls):
        with autocommit.connect() as connection:
            connection.execute(statement).first()
    return calls / (time.perf_counter() - started)


def _threads(count: int, body: Callable[[int], None]) -> float:
    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def _concurrent(url: str, spenders: int, calls: int, same_account: bool) -> float:
    """Calls/s of ``spenders`` threads, each its own engine, on one account or one each."""
    engines = [make_engine(url) for _ in range(spenders)]
    try:

        def body(i: int) -> None:
            account = "one-account" if same_account else f"acct-{i}"
            _calls_per_second(SharedBuckets(engines[i]), calls, account)

        return spenders * calls / _threads(spenders, body)
    finally:
        for engine in engines:
            engine.dispose()


def _spent_in(url: str | None, seconds: float) -> int:
    """Calls two spenders make in ``seconds`` on one account's plan (shared when ``url``)."""
    engines = [make_engine(url) for _ in range(2)] if url else []
    made = [0, 0]

    def body(i: int) -> None:
        backend = SharedBuckets(engines[i]) if engines else None
        registry = RateLimiterRegistry({"op": PLAN}, backend=backend)

        async def spend() -> None:
            deadline = time.monotonic() + seconds
            while True:
                await registry.acquire("shop-1", "op")
                if time.monotonic() > deadline:
                    return
                made[i] += 1

        asyncio.run(spend())

    try:
        _threads(2, body)
    finally:
        for engine in engines:
            engine.dispose()
    return sum(made)


def run(args: argparse.Namespace) -> list[Figure]:
    server = os.environ.get("CHANNELHUB_BENCH_POSTGRES_URL") or os.environ.get(
        "CHANNELHUB_TEST_POSTGRES_URL"
    )
    if not server:
        print("  skipped: set CHANNELHUB_BENCH_POSTGRES_URL (shared buckets need PostgreSQL)")
        return []
    calls = max(200, round(CALLS * args.scale))
    with postgres_database(server) as url:
        upgrade(url)
        engine = make_engine(url)
        try:
            _calls_per_second(SharedBuckets(engine), 200)  # warm the pool and the plan cache
            own = _calls_per_second(None, calls * 10)
            shared = _calls_per_second(SharedBuckets(engine), calls)
            trips = _round_trips_per_second(engine, calls)
        finally:
            engine.dispose()
        one_account = _concurrent(url, 4, calls // 2, same_account=True)
        four_accounts = _concurrent(url, 4, calls // 2, same_account=False)
        shared_spent = _spent_in(url, SPEND_SECONDS)
        own_spent = _spent_in(None, SPEND_SECONDS)
    allowed = PLAN.burst + PLAN.rate * SPEND_SECONDS
    return [
        Figure("in-process bucket: calls/s (one process)", own, "calls/s"),
        Figure("shared bucket: calls/s (one process)", shared, "calls/s"),
        Figure("  true minimum: SELECT 1 round trips/s, same pool", trips, "round trips/s"),
        Figure("  shared bucket: cost per platform call", 1e6 / shared, "µs"),
        Figure("shared bucket, 4 threads on one account: calls/s", one_account, "calls/s"),
        Figure("shared bucket, 4 threads on 4 accounts: calls/s", four_accounts, "calls/s"),
        Figure(f"2 spenders, {PLAN.rate:g}/s burst {PLAN.burst:g}: plan allows", allowed, "calls"),
        Figure("  made with shared buckets", shared_spent, "calls"),
        Figure("  made with a bucket each (before)", own_spent, "calls"),
    ]
