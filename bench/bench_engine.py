"""Engine throughput: the hub's whole flow for many sellers, embedded vs 1, 2 and 4 workers.

Each seller has a Shopify shop and a reference warehouse of its own (bench/engine_sims.py,
served by a separate process on loopback, every request delayed ``--latency``, default
0.1 s) and ``--orders`` open orders (default 6). The real job handlers do the work, in the
real processes (bench/engine_world.py): the shop's import and its order pipeline, the
dispatch to the warehouse, the warehouse's shipping callbacks (to ``channelhub run``), the
tracking push to the shop and the stock push of the shipped SKUs. Embedded: one
``channelhub run`` runs every job (dispatch and tracking on a 2 s timer, the stock push
woken by the ledger). Distributed: ``channelhub run`` serves HTTP only and N
``channelhub worker`` processes of ``CONCURRENCY`` jobs run what the commits defer.

Figures: orders/s end to end and flows/s (a seller's whole flow), beside the ideal (the
platform requests the run made, each ``latency`` long, spread over the jobs that may run at
once, or one seller's requests end to end if longer); then the time from a committed stock
change to the quantity held by the shop (4 workers idle, the default 2 s debounce
included). Each run is checked against the platforms' state before its figure is printed.
Default 20 sellers (about 8 minutes on this loaded machine); ``--scale 2.5`` is the issue's 50.
PostgreSQL only (CHANNELHUB_BENCH_POSTGRES_URL or CHANNELHUB_TEST_POSTGRES_URL).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.databases import postgres_database
from bench.engine_world import (
    Checked,
    Hub,
    change_stock,
    check,
    cpu_seconds,
    defer_imports,
    hub_home,
    prime,
    seen_at,
    start,
    stop,
    wait_done,
)
from bench.run import Figure
from channelhub.jobs.distributed.events import install_event_defers
from channelhub.jobs.stock.push import StockSyncTiming

TRACE_MEMORY = False
SELLERS = 20
ORDERS = 6
LATENCY = 0.1
CONCURRENCY = 4  # jobs at once per worker (the [engine] default)
WORKERS = (1, 2, 4)
DEBOUNCE = 2.0  # the [stock] default
SAMPLES = 10
WITHIN = 900.0  # a run not done by then is a hang


def flow_run(
    hub: Hub,
    kind: str,
    workers: int,
    logs: Path,
    *,
    debounce: float = DEBOUNCE,
    within: float = WITHIN,
) -> tuple[float, Checked, Cpu]:
    """Seconds for every seller's flow, what the run did (checked), the CPU it took."""
    processes = start(
        hub, kind, workers=workers, concurrency=CONCURRENCY, logs=logs, debounce=debounce
    )
    try:
        platforms = cpu_seconds(hub.served.process.pid)
        hub_cpu = sum(cpu_seconds(p.pid) for p in processes)  # their start-up, not counted
        began = time.time()  # embedded: its scheduler starts every job as it comes up
        if kind != "embedded":
            defer_imports(hub)
        ended = wait_done(hub, within=within, processes=processes)
        used = Cpu(
            hub=sum(cpu_seconds(p.pid) for p in processes) - hub_cpu,
            platforms=cpu_seconds(hub.served.process.pid) - platforms,
        )
        return ended - began, check(hub), used
    finally:
        stop(processes)


@dataclass(frozen=True)
class Cpu:
    """CPU seconds of a run: the hub's processes and the platforms' (start-ups left out)."""

    hub: float
    platforms: float


def stock_latency(hub: Hub, logs: Path, samples: int) -> list[float]:
    """Seconds from a committed receipt to the shop holding the new quantity, 4 workers idle."""
    processes = start(
        hub, "procrastinate", workers=4, concurrency=CONCURRENCY, logs=logs, debounce=DEBOUNCE
    )
    # the bench commits as the console would: the commit defers the stock wake
    timing = StockSyncTiming(debounce=timedelta(seconds=DEBOUNCE))
    uninstall = install_event_defers(hub.sessions, now=lambda: datetime.now(UTC), timing=timing)
    try:
        seen = []
        for n in range(samples):
            seller = hub.sellers[n % len(hub.sellers)]
            sku = seller.sku("MUG-RED")
            before = hub.served.get(f"/quantity/{seller.index}/{sku}")["quantity"]
            committed = change_stock(hub, seller, sku, 1, f"bench-restock-{n}")
            seen.append(seen_at(hub, seller, sku, before + 1, within=60) - committed)
        return seen
    finally:
        uninstall()
        stop(processes)


def _ideal(checked: Checked, latency: float, slots: int) -> float:
    return max(checked.requests * latency / slots, checked.busiest * latency)


def run(args: argparse.Namespace) -> list[Figure]:
    server = os.environ.get("CHANNELHUB_BENCH_POSTGRES_URL") or os.environ.get(
        "CHANNELHUB_TEST_POSTGRES_URL"
    )
    if not server:
        print("  skipped: set CHANNELHUB_BENCH_POSTGRES_URL (the engine runs on PostgreSQL)")
        return []
    sellers = max(2, round(SELLERS * args.scale))
    orders = args.orders or ORDERS
    latency = LATENCY if args.latency is None else args.latency
    print(f"  {sellers} sellers x {orders} orders, {latency:g} s a request, load {_load()}")
    figures: list[Figure] = []
    modes = [("embedded", 0), *(("procrastinate", n) for n in WORKERS)]
    with tempfile.TemporaryDirectory() as tmp:
        for kind, workers in modes:
            with (
                postgres_database(server) as url,
                hub_home(Path(tmp) / f"home-{workers}", url, sellers, orders, latency) as hub,
            ):
                asyncio.run(prime(hub))
                logs = Path(tmp) / f"logs-{kind}-{workers}"
                seconds, checked, cpu = flow_run(hub, kind, workers, logs)
                slots = sellers * 2 if kind == "embedded" else workers * CONCURRENCY
                label = (
                    "embedded (every job at once)"
                    if kind == "embedded"
                    else f"{workers} worker(s) x {CONCURRENCY} jobs"
                )
                print(f"  ({label}: {seconds:.1f} s, {checked}, {cpu}, load {_load()})", flush=True)
                figures += [
                    Figure(f"{label}: orders/s", checked.orders / seconds, "orders/s"),
                    Figure(
                        f"  flows/s ({seconds:.1f} s, load {_load()})", sellers / seconds, "flows/s"
                    ),
                    Figure(
                        f"  ideal ({checked.requests} requests over {slots} at once)",
                        checked.orders / _ideal(checked, latency, slots),
                        "orders/s",
                    ),
                    Figure("  requests the platforms throttled", checked.throttled, "requests"),
                    Figure("  CPU of the hub's processes per order", cpu.hub / checked.orders, "s"),
                    Figure("  CPU of the platforms per order", cpu.platforms / checked.orders, "s"),
                ]
                if kind == "procrastinate" and workers == WORKERS[-1]:
                    samples = max(3, round(SAMPLES * min(args.scale, 1)))
                    seen = stock_latency(hub, Path(tmp) / "logs-latency", samples)
                    figures += [
                        Figure(
                            f"stock change -> shop, median of {samples} (2 s debounce)",
                            statistics.median(seen),
                            "s",
                        ),
                        Figure(f"stock change -> shop, max of {samples}", max(seen), "s"),
                    ]
    return figures


def _load() -> str:
    return " ".join(f"{n:.1f}" for n in os.getloadavg())
