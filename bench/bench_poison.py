"""Poison: pull_orders of N eBay orders (simulator, SQLite) clean, then with a few poisoned.

Each record is mapped and stored on its own (a savepoint per order, :mod:`channelhub.jobs.
isolation`); this prints orders per second of a whole ``pull_orders`` run (pages, archive,
intake, pipeline) without poison and with ``POISONED`` orders set aside as dead letters, so
the cost of isolation and of filing dead letters shows beside the plain import. Default
N=2,000, multiplied by ``--scale``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from pathlib import Path

from bench.run import Figure
from channelhub.jobs import JobKind
from channelhub.jobs.engine.runner import JobOptions, run_job
from channelhub.store.crypto import Vault, generate_key
from channelhub.store.db import make_engine, make_session_factory, upgrade
from tests.jobs.channel_rigs import RIGS
from tests.jobs.test_poison_isolation import POISONS

ORDERS = 2_000
POISONED = 5
TRACE_MEMORY = False
ROUNDS = 3


def _one(orders: int, poisoned: int) -> tuple[float, int, int]:
    """Seconds of one import run, orders stored, records set aside."""
    with tempfile.TemporaryDirectory() as scratch:
        engine = make_engine(f"sqlite:///{Path(scratch) / 'hub.db'}")
        upgrade(engine)
        factory = make_session_factory(engine)
        rig = RIGS["ebay"](factory, Vault(generate_key()), orders)
        poisons = list(POISONS["ebay"].values())
        for n, order_id in enumerate(sorted(rig.orders)[:: max(1, orders // max(poisoned, 1))]):
            if n >= poisoned:
                break
            poisons[n % len(poisons)](rig.orders[order_id])
        started = time.perf_counter()
        result = asyncio.run(
            run_job(
                factory,
                rig.account,
                JobKind.PULL_ORDERS,
                connector_factory=rig.factory,
                now=rig.now,
                options=JobOptions(max_pages=10_000, initial_lookback=rig.lookback),
            )
        )
        elapsed = time.perf_counter() - started
        engine.dispose()
    return elapsed, result.counts.new, result.counts.failed


def run(args: argparse.Namespace) -> list[Figure]:
    logging.disable(logging.WARNING)
    orders = max(10, round(ORDERS * args.scale))
    clean_s = poison_s = float("inf")
    for _ in range(ROUNDS):  # interleaved, best of each: a shared machine is noisy
        seconds, clean_new, _ = _one(orders, 0)
        clean_s = min(clean_s, seconds)
        seconds, poison_new, set_aside = _one(orders, POISONED)
        poison_s = min(poison_s, seconds)
    return [
        Figure(f"orders/s, {orders} clean orders", clean_new / clean_s, "orders/s"),
        Figure(f"orders/s, {orders} orders with {POISONED} poisoned", poison_new / poison_s, "o/s"),
        Figure("orders set aside as dead letters", set_aside, "orders"),
        Figure("orders stored (poisoned run)", poison_new, "orders"),
    ]
