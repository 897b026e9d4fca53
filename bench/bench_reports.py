"""Reports: each of trends / stock / replenish over N orders and 10,000 SKUs, goal < 5 s each.

``python -m bench.run reports --orders 1000000`` for the full run (default 100,000 orders).
The data are generated here and bulk-inserted (``executemany`` on SQLite, ``COPY`` on
PostgreSQL), not through the pipeline: 10,000 SKUs (500 of them combos of two singles),
3 accounts each listing every SKU (30,000 account bindings, plus 10,000 global SKU-level ones
that lose to them), orders over 400 days with a rising trend and 1.2 lines on average, the
ledger's reserve + consume for each line shipped from the warehouse of its country, and a
receipt per (warehouse, SKU) every 60 days. The load bypasses the hub's writes, so the
reports' daily rollups are then rebuilt from scratch (``channelhub report rebuild``, timed:
what migration 0017 costs an existing hub once). Runs on SQLite (a temporary file) and, when
CHANNELHUB_BENCH_POSTGRES_URL or CHANNELHUB_TEST_POSTGRES_URL names a server, on PostgreSQL
(a throwaway database). Each report is timed once untraced, then run again under
tracemalloc for its peak Python memory. The CPU time of this process is printed beside the
wall time: on SQLite it is the query's own cost, which a loaded machine does not inflate.

Loading 1,000,000 orders takes minutes: ``--data DIR`` keeps the loaded databases (a SQLite
file ``DIR/reports-N.db`` and a PostgreSQL database ``chbench_reports_N`` on the server) and
the next run with the same ``--data`` and ``--orders`` reuses them (migrated to head first).
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bench.databases import kept_postgres_database, postgres_database
from bench.run import Figure
from channelhub.core.replenishment import ReplenishmentConfig, RouteLeadTimes
from channelhub.core.trends import Bucket, Period
from channelhub.jobs.analytics.reports import (
    rebuild,
    replenish_report,
    stock_lines,
    stock_report,
    trends,
    trends_view,
)
from channelhub.store.db import make_engine, make_session_factory, upgrade

TRACE_MEMORY = False  # the runner's tracemalloc would slow the generation; reports trace here
DEFAULT_ORDERS = 100_000
SKUS = 10_000
COMBOS = 500
AS_OF = datetime(2026, 12, 1, tzinfo=UTC)
DAYS = 400
GOAL_SECONDS = 5.0
ACCOUNTS = [("shopify", "shop-us", "US"), ("amazon", "amz-de", "DE"), ("ebay", "ebay-uk", "GB")]
WAREHOUSES = {"US": "US-EAST", "DE": "DE-CENTRAL", "GB": "UK-LON"}
CONFIG = ReplenishmentConfig(
    routes={
        "CN->US": RouteLeadTimes.model_validate({"sea": 35, "air": 8}),
        "CN->DE": RouteLeadTimes.model_validate({"sea": 42, "air": 9}),
    },
    cartons={f"S{i:05d}": 12 for i in range(0, SKUS, 7)},
)


def _sku(i: int) -> str:
    return f"S{i:05d}"


def _ts(when: datetime, pg: bool) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S+00" if pg else "%Y-%m-%d %H:%M:%S.%f")


def _generate(n_orders: int, pg: bool) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, in column order of :data:`COLUMNS`."""
    rng = random.Random(15)
    created = _ts(AS_OF - timedelta(days=DAYS + 100), pg)
    skus = [(i + 1, _sku(i), "combo" if i >= SKUS - COMBOS else "single", "[]", "{}",
             created, created) for i in range(SKUS)]  # fmt: skip
    components = []
    for i in range(SKUS - COMBOS, SKUS):
        for j in (rng.randrange(SKUS - COMBOS), rng.randrange(SKUS - COMBOS)):
            components.append((i + 1, _sku(j), rng.randint(1, 3)))
    components = list({(a, b): (a, b, c) for a, b, c in components}.values())
    pairings = []
    for channel, account, _ in ACCOUNTS:
        for i in range(SKUS):
            pairings.append(("account", channel, account, "listing", f"L{i}", "", _sku(i), 1, 1))
    for i in range(SKUS):
        pairings.append(("global", "", "", "sku", _sku(i), "", _sku((i + 1) % SKUS), 1, 1))
    pairings = [(n + 1, *p, "manual", True, "bench", created) for n, p in enumerate(pairings)]
    warehouses = [(n + 1, code, country, created, created)
                  for n, (country, code) in enumerate(WAREHOUSES.items())]  # fmt: skip
    orders, lines, moves = [], [], []
    line_id = move_id = 0
    start = AS_OF - timedelta(days=DAYS)
    for o in range(n_orders):
        # a rising trend: later days are likelier (density grows linearly over the 400 days)
        offset = DAYS * (rng.random() ** 0.7)
        placed = start + timedelta(days=offset)
        channel, account, country = ACCOUNTS[o % 3]
        when = _ts(placed, pg)
        n_lines = 1 if rng.random() < 0.8 else 2
        total = 0
        for n in range(n_lines):
            i = int(SKUS * rng.random() ** 2)
            qty = rng.randint(1, 3)
            price = 5 + i % 40
            total += price * qty
            line_id += 1
            lines.append((line_id, o + 1, str(n), f"L{i}", "", _sku(i), qty, 0, 0, f"{price}.00",
                          "USD"))  # fmt: skip
            if i < SKUS - COMBOS and placed < AS_OF - timedelta(days=1):
                wh = WAREHOUSES[country]
                for kind in ("reserve", "consume"):
                    move_id += 1
                    moves.append((move_id, wh, _sku(i), kind, qty, "bench", f"o{o}", when,
                                  when))  # fmt: skip
        orders.append((o + 1, channel, account, f"o{o}", "paid", "open", "shipped", "merchant",
                       when, when, "USD", f"{total}.00", country, "{}", when, when))  # fmt: skip
    for wh in WAREHOUSES.values():
        for i in range(SKUS - COMBOS):
            for cycle in range(0, DAYS, 60):
                move_id += 1
                at = _ts(start + timedelta(days=cycle, hours=rng.randint(0, 23)), pg)
                qty = 10 + int(400 * (1 - i / SKUS) ** 3)
                moves.append((move_id, wh, _sku(i), "receive", qty, "bench", None, at, at))
    return {
        "skus": skus, "sku_components": [(n + 1, *c) for n, c in enumerate(components)],
        "pairings": pairings, "warehouses": warehouses, "orders": orders,
        "order_lines": lines, "stock_movements": moves,
    }  # fmt: skip


COLUMNS = {
    "skus": "id, code, kind, units, attributes, created_at, updated_at",
    "sku_components": "id, sku_id, component_code, qty",
    "pairings": "id, scope, channel, account, kind, value, variation_id, sku, multiplier, "
    "version, source, active, actor, created_at",
    "warehouses": "id, code, country, created_at, updated_at",
    "orders": "id, channel, account, external_id, channel_status, channel_state, hub_status, "
    "fulfilled_by, placed_at, remote_updated_at, currency, total_amount, ship_to_country, "
    "document, created_at, updated_at",
    "order_lines": "id, order_id, line_id, listing_id, variation_id, channel_sku, quantity, "
    "cancelled_quantity, shipped_quantity, unit_price, currency",
    "stock_movements": "id, warehouse, sku, kind, quantity, reason, reference, at, recorded_at",
}


def _load(engine: Engine, data: dict[str, list[tuple[Any, ...]]]) -> None:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "sqlite":  # a bulk load: durability is not what is measured
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-400000")
        for table, rows in data.items():
            columns = COLUMNS[table]
            if engine.dialect.name == "postgresql":
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" for _ in columns.split(","))
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
        raw.commit()
    finally:
        raw.close()
    _vacuum(engine)


def _vacuum(engine: Engine) -> None:
    """Statistics and the visibility map, as autovacuum keeps them on a live hub: without the
    latter PostgreSQL's index-only scan of the receipts fetched every heap row, and the
    planner sorted 200,000 receipt days instead (1.0 s against 0.3 s for that step)."""
    with engine.execution_options(isolation_level="AUTOCOMMIT").connect() as connection:
        connection.exec_driver_sql(
            "VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"
        )


def _reports(session: Session) -> dict[str, Callable[[], object]]:
    period = Period(AS_OF - timedelta(days=28), AS_OF)

    def trend(by: str) -> Callable[[], object]:
        return lambda: trends(session, by=by, bucket=Bucket.WEEK, period=period)

    return {
        "trends by channel": trend("channel"),
        "trends by account": trend("account"),
        "trends by sku (pairings, combos)": trend("sku"),
        "trends by warehouse": trend("warehouse"),
        # the console's Trends page: the same plus the previous period and last year per bucket
        "trends page by channel (chart lines)": lambda: trends_view(
            session, by="channel", bucket=Bucket.WEEK, period=period
        ),
        "trends by country": trend("country"),
        "stock health": lambda: stock_report(stock_lines(session, as_of=AS_OF, config=CONFIG)),
        "replenish + transfers": lambda: replenish_report(
            stock_lines(session, as_of=AS_OF, config=CONFIG), CONFIG
        ),
    }


def _is_loaded(engine: Engine) -> bool:
    """Whether a kept database already holds the bench's data (its rollups rebuilt)."""
    with engine.connect() as connection:
        try:
            return bool(connection.exec_driver_sql("SELECT count(*) FROM sales_daily").scalar())
        except Exception:  # noqa: BLE001 - a fresh database has no tables yet
            return False


def _measure(url: str, n_orders: int, label: str, *, reuse: bool = False) -> list[Figure]:
    engine = make_engine(url)
    loaded_before = reuse and _is_loaded(engine)
    upgrade(engine)
    if loaded_before:
        return _time_reports(engine, label)
    pg = engine.dialect.name == "postgresql"
    started = time.perf_counter()
    data = _generate(n_orders, pg)
    generated = time.perf_counter() - started
    _load(engine, data)
    loaded = time.perf_counter() - started - generated
    counts = {k: len(v) for k, v in data.items()}
    del data
    started = time.perf_counter()
    with make_session_factory(engine)() as session:  # the load bypassed the hub's hooks
        rollups = rebuild(session)
        session.commit()
    rebuilt = time.perf_counter() - started
    _vacuum(engine)  # the rebuilt rollups' visibility map, as autovacuum keeps it
    figures = [
        Figure(f"{label}: generate {n_orders:,} orders", generated, "s"),
        Figure(f"{label}: bulk load ({counts['order_lines']:,} lines, "
               f"{counts['stock_movements']:,} movements)", loaded, "s"),
        Figure(f"{label}: report rebuild ({rollups['sales_daily']:,} sales days, "
               f"{rollups['stock_daily']:,} stock days)", rebuilt, "s"),
    ]  # fmt: skip
    return figures + _time_reports(engine, label)


def _time_reports(engine: Engine, label: str) -> list[Figure]:
    figures: list[Figure] = []
    try:
        with make_session_factory(engine)() as session:
            for name, report in _reports(session).items():
                t0, c0 = time.perf_counter(), time.process_time()
                report()
                elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
                tracemalloc.start()
                report()
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                figures.append(Figure(f"{label}: {name}", elapsed, "s", goal=GOAL_SECONDS))
                figures.append(Figure(f"{label}: {name} CPU of this process", cpu, "s"))
                figures.append(Figure(f"{label}: {name} peak memory", peak / 1_048_576, "MiB"))
                session.rollback()
    finally:
        engine.dispose()
    return figures


def run(args: argparse.Namespace) -> list[Figure]:
    """SQLite, then PostgreSQL when configured; ``--orders`` orders (default 100,000)."""
    n_orders = getattr(args, "orders", None) or int(DEFAULT_ORDERS * getattr(args, "scale", 1))
    figures: list[Figure] = []
    only = getattr(args, "database", None)
    keep = getattr(args, "data", None)
    if only in (None, "sqlite"):
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            url = f"sqlite:///{Path(keep) / f'reports-{n_orders}.db'}"
            figures += _measure(url, n_orders, "sqlite", reuse=True)
        else:
            with tempfile.TemporaryDirectory() as folder:
                figures += _measure(f"sqlite:///{Path(folder) / 'bench.db'}", n_orders, "sqlite")
    server = os.environ.get("CHANNELHUB_BENCH_POSTGRES_URL") or os.environ.get(
        "CHANNELHUB_TEST_POSTGRES_URL"
    )
    if server and only in (None, "postgresql"):
        if keep:
            url = kept_postgres_database(server, f"chbench_reports_{n_orders}")
            figures += _measure(url, n_orders, "postgresql", reuse=True)
        else:
            with postgres_database(server) as url:
                figures += _measure(url, n_orders, "postgresql")
    return figures
