"""Stock change -> channel against a realistic library: the waker and a push of changes.

A seller with :data:`LIBRARY` SKUs (one in twenty a combo of two singles), each listed and
bound (account scope) on :data:`ACCOUNTS` Shopify accounts. One single, inside a combo, gets a
stock movement; then the figures are the CPU time of what the event-driven push reads for it:

- ``wake``: :func:`~channelhub.jobs.stock.wake.accounts_listing`, which accounts sell it;
- ``changes push``: one account's planning transaction (``_plan``, rolled back after);
- ``full sweep``: the same, swept (the interval safety net, which reads every listing).

Neither should depend on the size of the library, only on what the changed SKU touches.
``--scale`` multiplies the library; PostgreSQL runs too when configured.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session, sessionmaker

from bench.databases import postgres_database
from bench.run import Figure
from channelhub.core.models import MovementKind, StockMovement, Warehouse
from channelhub.core.sellable import StockRules
from channelhub.jobs.stock.push import PushSafety, PushSummary, StockSyncTiming, _plan
from channelhub.jobs.stock.reach import positioned_count
from channelhub.jobs.stock.wake import accounts_listing
from channelhub.store.bulk import insert_rows
from channelhub.store.db import make_engine, make_session_factory, upgrade
from channelhub.store.repos.stock import record_movement, upsert_warehouse
from channelhub.store.repos.stock_sync import record_sweep, stock_known_at
from channelhub.store.tables.listings import ListingRow
from channelhub.store.tables.orderflow import PairingRow
from channelhub.store.tables.products import SkuComponentRow, SkuRow
from channelhub.store.tables.stock import WarehouseRow

TRACE_MEMORY = False  # timings matter here
LIBRARY = 10_000
ACCOUNTS = 3
COMBO_EVERY = 20  # one SKU in twenty is a combo of the two singles before it
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CHANGED = "S-00001"  # a single inside the combo S-00019 (see _library)
REPEAT = 3


def _code(n: int) -> str:
    return f"S-{n:05d}"


def seed_library(session: Session, size: int, accounts: int) -> None:
    """``size`` SKUs, listed and bound on each of ``accounts`` Shopify accounts, written
    plainly (as an import leaves them); one warehouse whose stock is known."""
    stamps = {"created_at": NOW, "updated_at": NOW}
    combos = {n for n in range(size) if n % COMBO_EVERY == COMBO_EVERY - 1}
    skus = [
        {"code": _code(n), "kind": "combo" if n in combos else "single"}
        | {"units": [], "attributes": {}}
        | stamps
        for n in range(size)
    ]
    insert_rows(session, cast(Table, SkuRow.__table__), skus)
    ids = {code: id_ for code, id_ in session.execute(select(SkuRow.code, SkuRow.id))}
    parts = [
        {"sku_id": ids[_code(n)], "component_code": _code(n - k), "qty": k}
        for n in sorted(combos)
        for k in (1, 2)
    ]
    parts.append({"sku_id": ids[_code(19)], "component_code": CHANGED, "qty": 1})
    insert_rows(session, cast(Table, SkuComponentRow.__table__), parts)
    bindings = [
        {"scope": "account", "channel": "shopify", "account": f"shop{a}", "kind": "sku"}
        | {"value": f"CH-{_code(n)}", "variation_id": "", "sku": _code(n), "multiplier": 1}
        | {"version": 1, "source": "manual", "active": True, "actor": "bench"}
        | {"created_at": NOW}
        for n in range(size)
        for a in range(accounts)
    ]
    insert_rows(session, cast(Table, PairingRow.__table__), bindings)
    listings = [
        {"channel": "shopify", "account": f"shop{a}", "listing_id": f"L{n:05d}"}
        | {"variation_id": "", "channel_sku": f"CH-{_code(n)}", "title": None, "price": None}
        | {"currency": None, "quantity": None, "status": "active", "marketplace": None}
        | {"identifiers": {}, "inventory_ref": None, "remote_updated_at": None}
        | stamps
        for n in range(size)
        for a in range(accounts)
    ]
    insert_rows(session, cast(Table, ListingRow.__table__), listings)
    upsert_warehouse(session, Warehouse(code="WH", country="US"), now=NOW)
    session.execute(update(WarehouseRow).values(stock_known_at=NOW))
    for a in range(accounts):
        record_sweep(session, channel="shopify", account=f"shop{a}", now=NOW)


def change_stock(session: Session, sku: str = CHANGED) -> None:
    """A receipt of ``sku``: the ledger marks it dirty for every registered account."""
    movement = StockMovement(
        warehouse="WH", sku=sku, kind=MovementKind.RECEIVE, quantity=7, reason="bench", at=NOW
    )
    record_movement(session, movement, now=NOW)


def plan_changes(session: Session, account: str, *, full_sweep: bool) -> int:
    """One account's planning transaction of a push (the caller rolls it back): how many
    listings it would push."""
    summary = PushSummary(channel="shopify", account=account, full_sweep=full_sweep)
    planned = _plan(
        session,
        channel="shopify",
        account=account,
        rules=StockRules(),
        now=NOW + timedelta(minutes=1),
        full_sweep=full_sweep,
        timing=StockSyncTiming(),
        allowed_warehouses=None,
        safety=PushSafety(),
        summary=summary,
    )
    return len(planned)


def positioned(session: Session) -> int:
    """The mass-drop guard's denominator for shop0, as a push of changes counts it when it
    would cut a listing."""
    return positioned_count(
        session,
        channel="shopify",
        account="shop0",
        rules=StockRules(),
        allowed_warehouses=None,
        known_at=stock_known_at(session),
    )


def _timed(
    factory: sessionmaker[Session], body: Callable[[Session], object]
) -> tuple[float, float, Any]:
    """The least CPU and wall seconds of :data:`REPEAT` runs of ``body`` (each rolled back;
    wall time includes the database server's work)."""
    cpu, wall, result = float("inf"), float("inf"), None
    for _ in range(REPEAT):
        with factory() as session:
            started, clock = time.process_time(), time.perf_counter()
            result = body(session)
            cpu = min(cpu, time.process_time() - started)
            wall = min(wall, time.perf_counter() - clock)
            session.rollback()
    return cpu, wall, result


def _measure(
    urls: Callable[[], AbstractContextManager[str]], size: int, label: str
) -> list[Figure]:
    with urls() as url:
        engine = make_engine(url)
        try:
            upgrade(engine)
            factory = make_session_factory(engine)
            with factory() as session, session.begin():
                seed_library(session, size, ACCOUNTS)
                change_stock(session)
            accounts = {f"shop{a}": "shopify" for a in range(ACCOUNTS)}
            wake = _timed(factory, lambda s: accounts_listing(s, {CHANGED}, accounts))
            push = _timed(factory, lambda s: plan_changes(s, "shop0", full_sweep=False))
            count = _timed(factory, positioned)
            sweep = _timed(factory, lambda s: plan_changes(s, "shop0", full_sweep=True))
        finally:
            engine.dispose()
    at = f"{label} @{size} SKUs x {ACCOUNTS} accounts"
    return [
        Figure(f"{at}: wake (accounts listing the SKU), CPU", 1000 * wake[0], "ms"),
        Figure(f"{at}: wake, wall", 1000 * wake[1], "ms"),
        Figure(f"{at}: wake, accounts woken", len(wake[2]), "accounts"),
        Figure(f"{at}: changes push planning, CPU", 1000 * push[0], "ms"),
        Figure(f"{at}: changes push planning, wall", 1000 * push[1], "ms"),
        Figure(f"{at}: changes push, listings it would push", push[2], "listings"),
        Figure(f"{at}: mass-drop guard's count (when a push cuts), CPU", 1000 * count[0], "ms"),
        Figure(f"{at}: mass-drop guard's count, wall", 1000 * count[1], "ms"),
        Figure(f"{at}: mass-drop guard's count, listings positioned", count[2], "listings"),
        Figure(f"{at}: full sweep planning, CPU", 1000 * sweep[0], "ms"),
        Figure(f"{at}: full sweep planning, wall", 1000 * sweep[1], "ms"),
    ]


def run(args: argparse.Namespace) -> list[Figure]:
    """SQLite, and PostgreSQL when configured, at ``LIBRARY x --scale`` SKUs."""
    size = max(int(LIBRARY * getattr(args, "scale", 1.0)), COMBO_EVERY)
    figures = _measure(_sqlite, size, "sqlite")
    server = os.environ.get("CHANNELHUB_BENCH_POSTGRES_URL") or os.environ.get(
        "CHANNELHUB_TEST_POSTGRES_URL"
    )
    if server and getattr(args, "database", None) != "sqlite":
        figures += _measure(partial(postgres_database, server), size, "postgresql")
    return figures


@contextmanager
def _sqlite() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / 'bench.db'}"
