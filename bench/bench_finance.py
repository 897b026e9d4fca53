"""Finance: N money-ledger lines imported through record_money, then profit per order in SQL.

``python -m bench.run finance --size 1000000`` for the full run (default 100,000 lines).
The catalogue and the orders are bulk-loaded (they are not what is measured): 2,000 SKUs
(1,800 singles with a cost, 5 % in CNY; 100 combos and 100 kits without a cost of their own,
costed by their components), one account binding per listing, and one order per 6 ledger
lines, 1.2 lines on average, over 90 days, 10 % of them in EUR. The ledger is then imported
the way an importer writes it: pages of 1,000 provider records through
:func:`~channelhub.store.repos.money.record_money`, one commit per page (each order: a channel
record of principal, shipping, fee and tax, a warehouse record of fulfilment fee and label;
plus a storage and an advertising line a day, allocated by revenue). Profit is computed for
every order by :func:`~channelhub.store.repos.profit.profit_by_order` (one query, streamed)
and every row read. Beside it, the plain baseline: one ``GROUP BY order_ref`` over the ledger
(the least any per-order sum has to read). Runs on SQLite (a temporary file) and, when
CHANNELHUB_BENCH_POSTGRES_URL or CHANNELHUB_TEST_POSTGRES_URL names a server, on PostgreSQL
(a throwaway database). Peak Python memory is traced around the profit query only.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.orm import Session

from bench.databases import postgres_database
from bench.run import Figure
from channelhub.core.fx import FxRate
from channelhub.core.settlement import (
    MoneyLine,
    MoneySource,
    MoneyStatus,
    MoneyType,
    ProviderRecord,
)
from channelhub.store.db import make_engine, make_session_factory, upgrade
from channelhub.store.repos.fx import save_rates
from channelhub.store.repos.money import record_money
from channelhub.store.repos.profit import ProfitQuery, profit_by_order
from channelhub.store.tables.money import MoneyLineRow
from channelhub.store.tables.orderflow import PairingRow
from channelhub.store.tables.orders import OrderLineRow, OrderRow
from channelhub.store.tables.products import SkuComponentRow, SkuRow

TRACE_MEMORY = False  # tracemalloc would slow the import; the profit query is traced here
DEFAULT_LINES = 100_000
LINES_PER_ORDER = 6
SINGLES, COMBOS, KITS = 1_800, 100, 100
DAYS = 90
START = datetime(2026, 1, 1, tzinfo=UTC)
PAGE = 1_000  # provider records per import page (one commit each)


def _code(i: int) -> str:
    return f"K{i:05d}"


def _catalogue(session: Session, rng: random.Random) -> None:
    now = START
    skus = []
    for i in range(SINGLES + COMBOS + KITS):
        kind = "single" if i < SINGLES else "combo" if i < SINGLES + COMBOS else "kit"
        cny = kind == "single" and i % 20 == 0
        cost = rng.randint(500_000, 20_000_000) * (7 if cny else 1) if kind == "single" else None
        skus.append({"id": i + 1, "code": _code(i), "kind": kind, "units": [], "attributes": {},
                     "cost_micros": cost, "cost_currency": ("CNY" if cny else "USD") if cost
                     else None, "created_at": now, "updated_at": now})  # fmt: skip
    session.execute(insert(SkuRow), skus)
    parts = [
        {"sku_id": i + 1, "component_code": _code(j), "qty": rng.randint(1, 3)}
        for i in range(SINGLES, SINGLES + COMBOS + KITS)
        for j in sorted({rng.randrange(SINGLES) for _ in range(2)})
    ]
    session.execute(insert(SkuComponentRow), parts)
    session.execute(
        insert(PairingRow),
        [{"scope": "account", "channel": "shopify", "account": "shop", "kind": "listing",
          "value": f"L{i}", "variation_id": "", "sku": _code(i), "multiplier": 1, "version": 1,
          "source": "manual", "active": True, "actor": "bench", "created_at": now}
         for i in range(len(skus))],
    )  # fmt: skip
    days = [START.date() + timedelta(days=d) for d in range(-5, DAYS + 1)]
    rates = [FxRate(day=d, currency=c, quote="USD", rate=Decimal(r)) for d in days
             for c, r in (("EUR", "1.08"), ("CNY", "0.14"))]  # fmt: skip
    save_rates(session, rates, now=now)


def _orders(session: Session, n: int, rng: random.Random) -> list[tuple[str, str, datetime, int]]:
    """Bulk-load ``n`` orders; returns (external id, currency, placed, principal micros)."""
    orders, lines, out = [], [], []
    line_id = 0
    for o in range(n):
        placed = START + timedelta(seconds=rng.randrange(DAYS * 86_400))
        currency = "EUR" if o % 10 == 0 else "USD"
        principal = 0
        for n_line in range(1 if rng.random() < 0.8 else 2):
            i = int((SINGLES + COMBOS + KITS) * rng.random() ** 2)
            qty, price = rng.randint(1, 3), 5 + i % 40
            principal += qty * price * 1_000_000
            line_id += 1
            lines.append({"id": line_id, "order_id": o + 1, "line_id": str(n_line),
                          "listing_id": f"L{i}", "variation_id": "", "channel_sku": _code(i),
                          "quantity": qty, "cancelled_quantity": 0, "shipped_quantity": qty,
                          "unit_price": Decimal(price), "currency": currency})  # fmt: skip
        external = f"B{o:07d}"
        orders.append({"id": o + 1, "channel": "shopify", "account": "shop",
                       "external_id": external, "channel_status": "paid",
                       "channel_state": "shipped", "hub_status": "shipped",
                       "fulfilled_by": "merchant", "placed_at": placed,
                       "remote_updated_at": placed, "currency": currency,
                       "total_amount": Decimal(principal) / 1_000_000, "document": {},
                       "created_at": placed, "updated_at": placed})  # fmt: skip
        out.append((external, currency, placed, principal))
    for start in range(0, len(orders), 5_000):
        session.execute(insert(OrderRow), orders[start : start + 5_000])
    for start in range(0, len(lines), 5_000):
        session.execute(insert(OrderLineRow), lines[start : start + 5_000])
    session.commit()
    return out


def _records(orders: list[tuple[str, str, datetime, int]], rng: random.Random) -> Iterator[
    tuple[str, ProviderRecord]
]:  # fmt: skip
    """(account, record) for each order's channel and warehouse records, then the period costs."""

    def line(
        txn: str,
        part: str,
        kind: MoneyType,
        micros: int,
        currency: str,
        at: datetime,
        order: str | None,
        source: MoneySource = MoneySource.CHANNEL,
    ) -> MoneyLine:
        return MoneyLine(
            source=source, provider_txn_id=txn, component=part, type=kind,
            amount=Decimal(micros) / 1_000_000, currency=currency, posted_at=at,
            status=MoneyStatus.RELEASED, order_ref=order,
            order_channel="shopify" if source is not MoneySource.CHANNEL else None,
            payout_ref=f"PO-{at:%Y%m%d}" if source is MoneySource.CHANNEL else None,
        )  # fmt: skip

    for external, currency, placed, principal in orders:
        at = placed + timedelta(hours=rng.randint(1, 48))
        c = f"C-{external}"
        yield "shop", ProviderRecord(c, "transaction", {"id": c}, (
            line(c, "principal", MoneyType.PRINCIPAL, principal, currency, at, external),
            line(c, "shipping", MoneyType.SHIPPING_CHARGED, 4_990_000, currency, at, external),
            line(c, "fee", MoneyType.CHANNEL_FEE, -principal * 15 // 100, currency, at, external),
            line(c, "tax", MoneyType.TAX_COLLECTED, principal // 10, currency, at, external),
        ))  # fmt: skip
        w = f"W-{external}"
        wh = MoneySource.WAREHOUSE
        yield "wh", ProviderRecord(w, "invoice", {"id": w}, (
            line(w, "pick", MoneyType.FULFILMENT_FEE, -2_500_000, "USD", at, external, wh),
            line(w, "label", MoneyType.LABEL, -6_200_000, "USD", at, external, wh),
        ))  # fmt: skip
    for d in range(DAYS):
        at = START + timedelta(days=d, hours=23)
        s, a = f"S-{d}", f"A-{d}"
        yield "wh", ProviderRecord(s, "invoice", {"id": s}, (
            line(s, "storage", MoneyType.STORAGE, -150_000_000, "USD", at, None,
                 MoneySource.WAREHOUSE),
        ))  # fmt: skip
        yield "shop", ProviderRecord(a, "transaction", {"id": a}, (
            line(a, "ads", MoneyType.ADVERTISING, -80_000_000, "USD", at, None),
        ))  # fmt: skip


def _import(session: Session, records: Iterator[tuple[str, ProviderRecord]]) -> int:
    """Pages of PAGE records per account through record_money, one commit per page."""
    now, added = datetime.now(UTC), 0
    pages: dict[str, list[ProviderRecord]] = {"shop": [], "wh": []}
    for account, record in records:
        page = pages[account]
        page.append(record)
        if len(page) >= PAGE:
            added += record_money(session, account, page, now).lines
            session.commit()
            page.clear()
    for account, page in pages.items():
        if page:
            added += record_money(session, account, page, now).lines
    session.commit()
    return added


def _measure(url: str, size: int, label: str) -> list[Figure]:
    engine: Engine = make_engine(url)
    upgrade(engine)
    rng = random.Random(14)
    factory = make_session_factory(engine)
    n_orders = max(size // LINES_PER_ORDER, 1)
    with factory() as session:
        if engine.dialect.name == "sqlite":
            session.execute(text("PRAGMA synchronous=NORMAL"))
        _catalogue(session, rng)
        orders = _orders(session, n_orders, rng)
        started = time.perf_counter()
        added = _import(session, _records(orders, rng))
        imported = time.perf_counter() - started
        again = time.perf_counter()
        repeat = _import(session, _records(orders[: n_orders // 10], random.Random(14)))
        reimported = time.perf_counter() - again
    with engine.execution_options(isolation_level="AUTOCOMMIT").connect() as connection:
        connection.exec_driver_sql(
            "VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"
        )
    figures = [
        Figure(f"{label}: import {added:,} lines (record_money, pages of {PAGE})", imported, "s"),
        Figure(f"{label}: import rate", added / imported, "lines/s"),
        Figure(f"{label}: re-import of 10 % (lines added: {repeat})", reimported, "s"),
    ]
    with factory() as session:
        m = MoneyLineRow
        t0 = time.perf_counter()
        session.execute(select(m.order_ref, func.sum(m.amount_micros)).group_by(m.order_ref)).all()
        baseline = time.perf_counter() - t0
        figures.append(
            Figure(f"{label}: baseline GROUP BY order_ref over the ledger", baseline, "s")
        )
        q = ProfitQuery(currency="USD")
        t0, c0 = time.perf_counter(), time.process_time()
        rows, total, incomplete = _profit(session, q)
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        tracemalloc.start()
        _profit(session, q)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    figures += [
        Figure(f"{label}: profit per order, {rows:,} orders (every row read)", elapsed, "s"),
        Figure(f"{label}: profit per order, CPU of this process", cpu, "s"),
        Figure(f"{label}: profit per order, peak traced memory", peak / 1_048_576, "MiB"),
        Figure(f"{label}: orders with an incomplete profit (no cost/rate)", incomplete, "orders"),
        Figure(f"{label}: total profit (a checksum)", float(total), "USD"),
    ]
    engine.dispose()
    return figures


def _profit(session: Session, q: ProfitQuery) -> tuple[int, Decimal, int]:
    rows, total, incomplete = 0, Decimal(0), 0
    for row in profit_by_order(session, q):
        rows += 1
        total += row.figures["profit"]
        incomplete += not row.complete
    session.rollback()
    return rows, total, incomplete


def run(args: argparse.Namespace) -> list[Figure]:
    size = int(getattr(args, "size", None) or DEFAULT_LINES)
    figures: list[Figure] = []
    database = getattr(args, "database", None)
    if database in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            figures += _measure(f"sqlite:///{Path(tmp) / 'hub.db'}", size, "sqlite")
    server = os.environ.get("CHANNELHUB_BENCH_POSTGRES_URL") or os.environ.get(
        "CHANNELHUB_TEST_POSTGRES_URL"
    )
    if server and database in (None, "postgresql"):
        with postgres_database(server) as url:
            figures += _measure(url, size, "postgresql")
    return figures
