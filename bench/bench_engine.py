"""Engine throughput: accounts' whole flow on 1, 2 and 4 procrastinate workers vs embedded.

Default 20 accounts (about 100 s on this loaded 2-core machine); ``--scale 2.5`` is the
issue's 50 accounts (about 220 s here).

Each account runs import -> dispatch -> tracking push -> stock push (8 platform calls of
``LATENCY`` each, see bench/engine_flow.py); a distributed unit defers the next in its own
transaction. Figures: flows per second for the embedded engine (one process, every unit of a
stage at once, as the scheduler's ticks fire) and for N worker processes of ``CONCURRENCY``
jobs each, beside the latency-bound ideal (the calls alone, at that parallelism); and the time
from a committed deferral to the unit starting on a worker (the stock change's path to the
channel, before its debounce and the push itself). PostgreSQL only
(CHANNELHUB_BENCH_POSTGRES_URL or CHANNELHUB_TEST_POSTGRES_URL); skipped without one.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from bench.databases import postgres_database
from bench.engine_flow import FLOW, TABLE, handlers, options
from bench.run import Figure
from channelhub.jobs.distributed.defer import defer_unit
from channelhub.jobs.engine.kinds import JobKind
from channelhub.jobs.engine.runner import run_job
from channelhub.store.db import make_engine, make_session_factory, upgrade
from channelhub.store.tables.accounts import Account

TRACE_MEMORY = False
ACCOUNTS = 20
LATENCY = 0.05  # seconds per platform call
CONCURRENCY = 4  # jobs at once per worker
SAMPLES = 10  # committed deferrals timed to their worker
CALLS = sum(calls for calls, _ in FLOW.values())
ROOT = Path(__file__).resolve().parents[1]


def _workers(url: str, n: int) -> list[subprocess.Popen[str]]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "bench.engine_flow", url, str(CONCURRENCY), str(LATENCY)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for _ in range(n)
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return procs


def _reset(url: str, accounts: int) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql(TABLE)
        for table in ("bench_flow", "job_runs", "job_leases", "procrastinate_jobs", "accounts"):
            connection.exec_driver_sql(f"DELETE FROM {table}")
    now = datetime.now(UTC)
    with make_session_factory(engine).begin() as session:
        for n in range(accounts):
            session.add(
                Account(
                    platform="shopify",
                    name=f"seller-{n:03}",
                    settings={},
                    credentials=b"",
                    created_at=now,
                    updated_at=now,
                )
            )
    engine.dispose()


def _count(url: str, sql: str) -> int:
    engine = make_engine(url)
    with engine.connect() as connection:
        value = int(connection.scalar(text(sql)) or 0)
    engine.dispose()
    return value


def distributed(url: str, workers: int, accounts: int) -> float:
    """Seconds for every account's flow on ``workers`` processes."""
    _reset(url, accounts)
    procs = _workers(url, workers)
    try:
        sessions = make_session_factory(make_engine(url))
        started = time.perf_counter()
        with sessions.begin() as session:
            for n in range(accounts):
                defer_unit(session, f"seller-{n:03}", JobKind.PULL_ORDERS)
        done = f"SELECT count(*) FROM bench_flow WHERE kind = '{JobKind.PUSH_STOCK.value}'"
        while _count(url, done) < accounts:
            time.sleep(0.05)
        return time.perf_counter() - started
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=60)


async def _embedded(url: str, accounts: int) -> float:
    sessions = make_session_factory(make_engine(url))
    flow = handlers(LATENCY, chain=False)
    started = time.perf_counter()
    for kind in FLOW:  # every account's unit of a stage at once, as the scheduler's tick
        await asyncio.gather(
            *(
                run_job(
                    sessions,
                    f"seller-{n:03}",
                    kind,
                    connector_factory=lambda row: None,
                    now=lambda: datetime.now(UTC),
                    options=options(),
                    handlers=flow,
                )
                for n in range(accounts)
            )
        )
    return time.perf_counter() - started


def deferral_latency(url: str, samples: int) -> list[float]:
    """Seconds from a committed deferral to its unit starting, one worker idle."""
    _reset(url, 1)
    procs = _workers(url, 1)
    try:
        sessions = make_session_factory(make_engine(url))
        seen = []
        for n in range(samples):
            committed = datetime.now(UTC)
            with sessions.begin() as session:
                defer_unit(session, "seller-000", JobKind.PUSH_STOCK)
            while _count(url, "SELECT count(*) FROM bench_flow") <= n:
                time.sleep(0.005)
            engine = make_engine(url)
            with engine.connect() as connection:
                at = connection.scalar(text("SELECT max(at) FROM bench_flow"))
            engine.dispose()
            # the handler stamps after its one call: take the call's latency off
            seen.append((at - committed).total_seconds() - LATENCY)
        return seen
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=60)


def run(args: argparse.Namespace) -> list[Figure]:
    server = os.environ.get("CHANNELHUB_BENCH_POSTGRES_URL") or os.environ.get(
        "CHANNELHUB_TEST_POSTGRES_URL"
    )
    if not server:
        print("  skipped: set CHANNELHUB_BENCH_POSTGRES_URL (the engine runs on PostgreSQL)")
        return []
    accounts = max(4, round(ACCOUNTS * args.scale))
    figures = []
    with postgres_database(server) as url:
        upgrade(url)
        _reset(url, accounts)
        seconds = asyncio.run(_embedded(url, accounts))
        ideal = CALLS * LATENCY  # every account at once: the calls of one flow
        figures.append(
            Figure(
                f"embedded, {accounts} accounts: flows/s",
                accounts / seconds,
                "flows/s",
                minimum=None,
                goal=None,
            )
        )
        figures.append(
            Figure(f"  latency-bound ideal (all at once, {ideal:g} s)", accounts / ideal, "flows/s")
        )
        for workers in (1, 2, 4):
            seconds = distributed(url, workers, accounts)
            ideal = CALLS * LATENCY * accounts / (workers * CONCURRENCY)
            figures.append(
                Figure(
                    f"{workers} worker(s) x {CONCURRENCY} jobs: flows/s",
                    accounts / seconds,
                    "flows/s",
                )
            )
            figures.append(
                Figure(
                    f"  latency-bound ideal at {workers * CONCURRENCY} at once",
                    accounts / ideal,
                    "flows/s",
                )
            )
        latency = deferral_latency(url, SAMPLES)
        figures.append(
            Figure(
                f"commit -> unit started on a worker: median of {SAMPLES}",
                statistics.median(latency),
                "s",
                minimum=0.0,
            )
        )
        figures.append(
            Figure(f"commit -> unit started on a worker: max of {SAMPLES}", max(latency), "s")
        )
    return figures
