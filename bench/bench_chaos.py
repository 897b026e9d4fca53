"""Chaos: kill -9 of import, dispatch, tracking push and stock push at seeded points, then
resume, against the simulators; exactly once checked on their state (SQLite, and PostgreSQL
when CHANNELHUB_BENCH_POSTGRES_URL or CHANNELHUB_TEST_POSTGRES_URL names a server).

The CI run (``tests/chaos``) kills one account per stage once at 2 + 9 orders per channel;
this one kills every account of every stage ``KILLS`` times at ``ORDERS x --scale`` + 9
orders per channel. Nothing is asserted: a lost or doubled effect is printed as a finding.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import tracemalloc
from collections import Counter
from pathlib import Path

from bench.chaos_world import Report, Sizes, chaos_world, run_chaos
from bench.databases import postgres_database
from bench.run import Figure

#: The workers' own timings matter (they are other processes anyway).
TRACE_MEMORY = False
ORDERS = 20
KILLS = 3


def _one(database_url: str, label: str, sizes: Sizes) -> list[Figure]:
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        report = Report()
        finding = "none"
        with chaos_world(Path(folder) / "home", database_url, sizes) as chaos:
            try:
                report = asyncio.run(run_chaos(chaos))
            except AssertionError as error:  # the finding, printed in full
                report, finding = chaos.report, str(error)[:2000]
        elapsed = time.perf_counter() - started
    print(f"  {label}: lost or doubled: {finding}")
    stages = Counter(kill.stage for kill in report.kills)
    print(f"  {label}: kills by stage: {dict(stages)}")
    print(f"  {label}: killed at: " + "; ".join(sorted({k.request for k in report.kills})))
    figures = [
        Figure(f"{label}: worker processes", report.workers, "processes"),
        Figure(f"{label}: SIGKILLed mid-flight", len(report.kills), "kills"),
        Figure(f"{label}: finished before their kill point", report.missed, "workers"),
    ]
    figures += [Figure(f"{label}: {name}", n, "exactly once") for name, n in report.counts.items()]
    figures += [Figure(f"{label}: {name}", n, "requests") for name, n in report.repeats.items()]
    figures.append(Figure(f"{label}: whole run", elapsed, "s"))
    return figures


def run(args: argparse.Namespace) -> list[Figure]:
    orders = max(int(ORDERS * getattr(args, "scale", 1.0)), 2)
    sizes = Sizes(orders=orders, kills=KILLS, every_account=True, seed=11)
    tracing = tracemalloc.is_tracing()
    tracemalloc.stop()
    figures: list[Figure] = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            figures += _one(f"sqlite:///{Path(folder) / 'chaos.db'}", "sqlite", sizes)
        server = os.environ.get("CHANNELHUB_BENCH_POSTGRES_URL") or os.environ.get(
            "CHANNELHUB_TEST_POSTGRES_URL"
        )
        if server:
            with postgres_database(server) as url:
                figures += _one(url, "postgresql", sizes)
    finally:
        if tracing:
            tracemalloc.start()
    return figures
