"""Order pipeline: orders/s through upsert -> pair -> review -> allocate -> reserve -> outbox.

On SQLite (a temporary file) and, when CHANNELHUB_BENCH_POSTGRES_URL or
CHANNELHUB_TEST_POSTGRES_URL names a server, on PostgreSQL (a throwaway database created and
dropped here). For each, the same generated orders are first upserted alone (the raw insert
rate of the same rows, same run), then run through the pipeline in runs of 500 as the
scheduler calls ``run_pipeline`` (chunks of :data:`channelhub.jobs.orders.pipeline_batch.CHUNK`
orders per transaction); the pipeline rate counts both phases, and the SQL statements the
pipeline phase sends are counted per order. Peak memory is the process's peak resident set
(RSS) after each database's batch: 100,000 orders at ``--scale 1``, ``--scale 0.01`` for a
quick run. tracemalloc is paused while this benchmark runs (it slows Python about threefold
and would distort the rates), so the runner's own "peak traced memory" line does not cover
it: read the RSS lines.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session

from bench.databases import postgres_database
from bench.run import Figure
from channelhub.core.models import MovementKind, Order, Sku, StockMovement, Warehouse
from channelhub.core.review import ReviewRules
from channelhub.jobs.orders.pipeline import PipelineSettings
from channelhub.jobs.orders.pipeline_batch import run_pipeline
from channelhub.store.db import make_engine, make_session_factory, upgrade
from channelhub.store.repos.orders import upsert_order
from channelhub.store.repos.products import upsert_sku
from channelhub.store.repos.stock import record_movement, upsert_warehouse

FULL_SIZE = 100_000
BATCH = 500
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SETTINGS = PipelineSettings(
    review=ReviewRules.model_validate({"rules": [{"name": "cod", "kind": "cash_on_delivery"}]})
)
_SKUS = ("MUG", "SPOON", "SET", "LID")


def make_order(n: int) -> Order:
    """A realistic order: one or two lines, a combo every third, COD every twentieth."""
    lines = [{"line_id": "1", "channel_sku": _SKUS[n % 4], "quantity": 1 + n % 3}]
    if n % 2:
        lines.append({"line_id": "2", "channel_sku": "LID", "quantity": 1})
    payment = {"method": "cash_on_delivery", "paid": False} if n % 20 == 0 else {}
    return Order.model_validate(
        {
            "channel": "shopify",
            "account": f"shop{n % 3}",
            "external_id": f"B{n:07d}",
            "channel_status": "paid",
            "placed_at": NOW + timedelta(seconds=n),
            "updated_at": NOW + timedelta(seconds=n),
            "buyer": {"external_id": f"b{n}", "name": "Ann Lee"},
            "ship_to": {
                "name": "Ann Lee",
                "line1": f"{n} Main St",
                "city": "New York",
                "region": "NY",
                "postal_code": "10001",
                "country": "US",
            },
            "payment": payment,
            "totals": {"total": {"amount": "40.00", "currency": "USD"}},
            "lines": lines,
        },
        strict=False,
    )


def _seed(factory: Callable[[], Session], size: int) -> None:
    with factory() as s, s.begin():
        for code, country in (("US-EAST", "US"), ("US-WEST", "US")):
            upsert_warehouse(s, Warehouse(code=code, country=country), now=NOW)
        for code in ("MUG", "SPOON", "LID"):
            upsert_sku(s, Sku(code=code), now=NOW)
        upsert_sku(
            s,
            Sku.model_validate(
                {
                    "code": "SET",
                    "kind": "combo",
                    "components": [{"sku": "MUG", "qty": 1}, {"sku": "SPOON", "qty": 2}],
                },
                strict=False,
            ),
            now=NOW,
        )
        for warehouse in ("US-EAST", "US-WEST"):
            for sku in ("MUG", "SPOON", "LID"):
                record_movement(
                    s,
                    StockMovement(
                        warehouse=warehouse,
                        sku=sku,
                        kind=MovementKind.RECEIVE,
                        quantity=size * 4,
                        reason="bench stock",
                        at=NOW,
                    ),
                    now=NOW,
                )


def _measure(url: str, size: int, label: str) -> list[Figure]:
    engine = make_engine(url)
    try:
        upgrade(engine)
        factory = make_session_factory(engine)
        _seed(factory, size)
        started = time.perf_counter()
        for start in range(0, size, BATCH):
            with factory() as s, s.begin():
                for n in range(start, min(start + BATCH, size)):
                    upsert_order(s, make_order(n), now=NOW)
        inserted = time.perf_counter() - started
        statements = [0]

        def count(*_: object) -> None:
            statements[0] += 1

        event.listen(engine, "before_cursor_execute", count)
        started = time.perf_counter()
        by_status: Counter[str] = Counter()
        failed: list[tuple[str, str]] = []
        while sum(by_status.values()) < size:  # in runs of BATCH, as the scheduler does
            counts = run_pipeline(factory, settings=SETTINGS, now=NOW, limit=BATCH)
            if not counts.by_status:
                break
            by_status.update(counts.by_status)
            failed += counts.failed
        piped = time.perf_counter() - started
        event.remove(engine, "before_cursor_execute", count)
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
        if sum(by_status.values()) != size or failed:
            raise RuntimeError(f"{label}: pipeline did {dict(by_status)}, failed {failed}")
    finally:
        engine.dispose()
    return [
        Figure(f"{label}: raw insert of the same orders", size / inserted, "orders/s"),
        Figure(f"{label}: pipeline upsert..outbox", size / (inserted + piped), "orders/s"),
        Figure(f"{label}: pipeline stages alone", size / piped, "orders/s"),
        Figure(f"{label}: pipeline SQL statements per order", statements[0] / size, "statements"),
        Figure(f"{label}: allocated of {size}", by_status["allocated"], "orders"),
        Figure(f"{label}: process peak RSS after {size} orders", peak_kib / 1024, "MiB"),
    ]


def run(args: argparse.Namespace) -> list[Figure]:
    """Both databases (PostgreSQL when configured), ``100,000 x --scale`` orders each."""
    size = max(int(FULL_SIZE * getattr(args, "scale", 1.0)), 10)
    figures: list[Figure] = []
    tracing = tracemalloc.is_tracing()
    tracemalloc.stop()
    try:
        figures += _both(size)
    finally:
        if tracing:
            tracemalloc.start()
    return figures


def _both(size: int) -> list[Figure]:
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as folder:
        figures += _measure(f"sqlite:///{Path(folder) / 'bench.db'}", size, "sqlite")
    server = os.environ.get("CHANNELHUB_BENCH_POSTGRES_URL") or os.environ.get(
        "CHANNELHUB_TEST_POSTGRES_URL"
    )
    if server:
        with postgres_database(server) as url:
            figures += _measure(url, size, "postgresql")
    return figures
