"""Order pipeline: orders/s from canonical orders to the outbox, against the true minimum.

The pipeline (timed), as an import takes its pages: the generated :class:`Order` objects
(built before timing: the connector's mapping is not the pipeline) arrive in pages of
:data:`~channelhub.jobs.orders.pipeline_batch.CHUNK` new orders, each taken in by
:meth:`~channelhub.jobs.orders.page_planning.PagePlanning.take_in` in one transaction as
``store_order_page`` does: pair -> expand -> review -> allocate -> reserve from the orders in
memory, then the orders stored with the status planned and their decisions, transitions,
ledger, outbox and rollups written. ``run_pipeline`` then runs, in runs of 500 as the
scheduler calls it, for whatever the pages left (nothing, with these orders). Beside it, the
**two-phase** path: the same orders taken in unplanned
(:func:`~channelhub.jobs.orders.intake.intake_orders`), then planned by ``run_pipeline`` in
its own transactions, as orders arriving by webhook or replay are, and as an import's page
holding an update is (its after-page hook). Both run under a redactor holding an account's
credentials, as every job run does (the runner's): each value written is scanned for the
secrets (:mod:`channelhub.store.redaction`). The seeded library is analyzed on PostgreSQL
(as autovacuum does within a minute of loading it) before timing.

The baseline, "the plain bulk insert of the same rows": every row the pipeline left in the
database that was not there before (orders, lines, decisions, transitions, ledger, outbox,
rollups, dirty marks: read back after the run, as tuples, before timing) inserted into a
database in the same seeded state with ``executemany`` (SQLite) or ``COPY`` (PostgreSQL), one
transaction per chunk of the same size (:mod:`bench.pipeline_rows`). The ratio pipeline /
baseline is the issue's goal (>= 50 %); the ratio against the bulk insert of the order and
line rows alone is printed beside it.

The second floor, the domain's own work: the same orders planned in memory by the same core
functions, no database (:mod:`bench.pipeline_planning`). Planning plus the plain insert is the
least any sequential pipeline can take, so ``plain / (plain + planning)`` is the best ratio
any storage code could reach, and ``(planning + plain) / pipeline`` says how near the
pipeline is to that floor. On SQLite the pipeline's time is split into what it spends inside
the database driver (statements and commits: :mod:`bench.database_clock`) and outside it,
with the ratio it would reach if the database cost nothing (the plain insert over the time
outside): the bound the Python work alone puts on the ratio.

On SQLite (a temporary file) and, when CHANNELHUB_BENCH_POSTGRES_URL or
CHANNELHUB_TEST_POSTGRES_URL names a server, on PostgreSQL (throwaway databases), at 1,000,
10,000 and 100,000 orders times ``--scale``: the cost per order should be the same at each.
The orders are generated chunk by chunk as the intake takes them (untimed), as a connector's
pages arrive: the process never holds them all, so a million-order run measures the pipeline,
not the machine's memory. The imports are frozen out of the garbage collector's walks
(``gc.freeze``) before timing, as ``channelhub run`` and ``channelhub worker`` freeze their
startup heap, and so are the bench's own snapshots of the seeded rows (and, before planning
alone is timed, of the rows the run wrote): the collector walks only what the run makes.
Both paths run once untimed on a few hundred orders first (:data:`WARM_UP`): the process's
one-time costs are not charged to the first size. SQL statements are counted over the whole
pipeline. Memory is the process's resident set
after the pipeline, before the baseline reads the rows back (tracemalloc is paused here: it slows
Python about threefold and would distort the rates).
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import cast

from sqlalchemy import Table, event, func, select, text
from sqlalchemy.orm import Session

from bench.database_clock import DatabaseClock
from bench.databases import postgres_database
from bench.pipeline_overlap import Overlap, overlap_seconds
from bench.pipeline_planning import Balances, planning_seconds, seeded_balances
from bench.pipeline_rows import Written, bulk_insert, hub_tables, snapshot, written
from bench.run import Figure
from channelhub.core.models import MovementKind, Order, Sku, StockMovement, Warehouse
from channelhub.core.redaction import child_redactor, redacting
from channelhub.core.review import ReviewRules
from channelhub.jobs.orders.intake import intake_orders
from channelhub.jobs.orders.page_planning import PagePlanning
from channelhub.jobs.orders.pipeline import PipelineSettings
from channelhub.jobs.orders.pipeline_batch import CHUNK, run_pipeline
from channelhub.jobs.orders.planner import Planner
from channelhub.store.bulk import insert_rows
from channelhub.store.db import make_engine, make_session_factory, upgrade
from channelhub.store.repos.products import upsert_sku
from channelhub.store.repos.stock import record_movement, upsert_warehouse
from channelhub.store.tables.orderflow import PairingRow
from channelhub.store.tables.orders import OrderRow
from channelhub.store.tables.products import SkuRow

#: Orders per run at ``--scale 1``: the cost per order must be the same at each.
SIZES = (1_000, 10_000, 100_000)
#: SKUs in the seller's library besides the four the orders sell, each bound on every account.
LIBRARY = 10_000
BATCH = 500
#: The orders+lines-only baseline's tables (the comparison the README used to make).
HEAD_TABLES = {"orders", "order_lines"}
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SETTINGS = PipelineSettings(
    review=ReviewRules.model_validate({"rules": [{"name": "cod", "kind": "cash_on_delivery"}]})
)
#: A channel account's credentials, as a job run's redactor learns them (made up).
RUN_SECRETS = ("shpka_3f9d2c7e81b04a56", "shpss_b27e4f0c9a1d8e63", "shpat_5c8a0e7d2f194b36e0a4")
_SKUS = ("MUG", "SPOON", "SET", "LID")
_STOCKED = ("MUG", "SPOON", "LID")  # SET is a combo of MUG and SPOON


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


def order_chunks(size: int) -> Iterator[list[Order]]:
    """The ``size`` generated orders, :data:`CHUNK` at a time (the same orders every call)."""
    for start in range(0, size, CHUNK):
        yield [make_order(n) for n in range(start, min(size, start + CHUNK))]


def _library(session: Session) -> None:
    """The rest of a seller's library: :data:`LIBRARY` SKUs, each bound on every account
    (written plainly, as an import would leave them). The orders never name them: the
    pipeline's cost per order must not depend on how many there are."""
    codes = [f"OTHER-{n:05d}" for n in range(LIBRARY)]
    skus = [
        {"code": code, "kind": "single", "units": [], "attributes": {}}
        | {"created_at": NOW, "updated_at": NOW}
        for code in codes
    ]
    insert_rows(session, cast(Table, SkuRow.__table__), skus)
    bindings = [
        {"scope": "account", "channel": "shopify", "account": f"shop{n}", "kind": "sku"}
        | {"value": f"CH-{code}", "variation_id": "", "sku": code, "multiplier": 1}
        | {"version": 1, "source": "manual", "active": True, "actor": "bench"}
        | {"created_at": NOW}
        for code in codes
        for n in range(3)
    ]
    insert_rows(session, cast(Table, PairingRow.__table__), bindings)


def _seed(factory: Callable[[], Session], size: int) -> None:
    """The seller's library, warehouses and opening stock; on PostgreSQL then analyzed, as
    autovacuum does within its one-minute nap after such an import: the bench times a
    seller's orders against a settled library, not in the minute after loading 30,000
    bindings (then the planner, believing ``pairings`` nearly empty, reads the whole active
    index for every chunk's book: ~6 ms a chunk)."""
    _seed_rows(factory, size)
    with factory() as s, s.begin():
        if s.get_bind().dialect.name == "postgresql":
            s.execute(text("ANALYZE"))  # runs in a transaction (unlike VACUUM)


def _seed_rows(factory: Callable[[], Session], size: int) -> None:
    with factory() as s, s.begin():
        _library(s)
        for code, country in (("US-EAST", "US"), ("US-WEST", "US")):
            upsert_warehouse(s, Warehouse(code=code, country=country), now=NOW)
        for code in _STOCKED:
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
            for sku in _STOCKED:
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


@dataclass
class _Run:
    """One size on one database: the pipeline's times, what it wrote, its statements."""

    size: int
    intake: float
    stages: float
    statements: int
    allocated: int
    planning: float  # the same orders planned in memory (bench.pipeline_planning)
    database: float  # of intake and stages, inside the driver (bench.database_clock)
    rss_mib: float
    tables: list[Table]
    wrote: Written
    #: fresh planners of the run's book and library, one for each way of
    #: :func:`~bench.pipeline_overlap.overlap_seconds`
    planners: list[Planner]
    balances: Balances  # the seeded stock, before the run


def _pipeline(url: str, size: int, label: str, *, paged: bool = True) -> _Run:
    """Time the pipeline from ``size`` canonical orders: set-based intake in chunks of
    ``CHUNK`` (one transaction each; generating a chunk is not timed), each chunk's new orders
    planned in its transaction as an import's page does (``paged``; else none), then
    ``run_pipeline`` in runs of ``BATCH`` for what is left."""
    engine = make_engine(url)
    try:
        upgrade(engine)
        factory = make_session_factory(engine)
        _seed(factory, size)
        tables = hub_tables(engine)
        before = snapshot(engine, tables)
        balances = seeded_balances(factory, _STOCKED)
        _freeze()  # the seed and its snapshot are the bench's, not the run's
        statements = [0]

        def count(*_: object) -> None:
            statements[0] += 1

        event.listen(engine, "before_cursor_execute", count)
        # as a job run is (channelhub/jobs/engine/runner.py): every value written is scanned
        # for its account's secrets (channelhub.store.redaction)
        with redacting(child_redactor("shop0", RUN_SECRETS)), DatabaseClock(engine, factory) as db:
            intake, stages, by_status, failed = _timed(factory, size, paged=paged)
        event.remove(engine, "before_cursor_execute", count)
        rss_mib = _rss_mib()  # before the snapshot below (which holds every row it wrote)
        if sum(by_status.values()) != size or failed:
            raise RuntimeError(f"{label}: pipeline did {dict(by_status)}, failed {failed}")
        wrote = written(before, snapshot(engine, tables))
        _freeze()  # what the run wrote, read back for the baseline: not planning's heap
        planning = planning_seconds(
            factory, order_chunks(size), balances, settings=SETTINGS, now=NOW
        )
        with factory() as session:
            planners = [Planner.load(session, SETTINGS) for _ in range(2)]
    finally:
        engine.dispose()
    allocated = by_status["allocated"]
    return _Run(
        size,
        intake,
        stages,
        statements[0],
        allocated,
        planning,
        db.seconds,
        rss_mib,
        tables,
        wrote,
        planners,
        balances,
    )


def _timed(
    factory: Callable[[], Session], size: int, *, paged: bool
) -> tuple[float, float, Counter[str], list[tuple[str, str]]]:
    """Seconds of intake (chunk by chunk, generating a chunk untimed; ``paged``: each chunk's
    new orders planned in its transaction, as an import's page) and of the stages (in runs
    of :data:`BATCH`, as the scheduler calls them: what the pages left, or, not ``paged``,
    every order), the statuses the orders reached, the failures."""
    intake = 0.0
    planning = PagePlanning(SETTINGS) if paged else None
    for chunk in order_chunks(size):
        started = time.perf_counter()
        with factory() as s, s.begin():  # as store_order_page: planned, else as any page
            taken = (
                None
                if planning is None
                else planning.take_in(s, chunk, [None] * len(chunk), now=NOW)
            )
            if taken is None:
                intake_orders(s, chunk, now=NOW)
        intake += time.perf_counter() - started
    started = time.perf_counter()
    failed: list[tuple[str, str]] = []
    seen = 0
    while seen < size:
        counts = run_pipeline(factory, settings=SETTINGS, now=NOW, limit=BATCH)
        if not counts.by_status:
            break
        seen += sum(counts.by_status.values())
        failed += counts.failed
    stages = time.perf_counter() - started
    with factory() as s:  # untimed: where every order ended
        rows = s.execute(select(OrderRow.hub_status, func.count()).group_by(OrderRow.hub_status))
        by_status = Counter({status: int(n) for status, n in rows})
    return intake, stages, by_status, failed


def _freeze() -> None:
    """Move everything alive now out of the collector's walks (``_measure`` unfreezes): a
    full collection during the timed part would otherwise walk the bench's own snapshots
    (the seeded rows, and every row the run wrote) along with what the run makes."""
    gc.collect()
    gc.freeze()


def _rss_mib() -> float:
    """The process's resident set now (its peak, ``ru_maxrss``, would carry over from an
    earlier, larger size or from the baseline's snapshots)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux: the peak


def _baseline(url: str, run: _Run) -> float:
    """Seconds to bulk-insert the rows ``run`` wrote, into the same seeded state."""
    engine = make_engine(url)
    try:
        upgrade(engine)
        _seed(make_session_factory(engine), run.size)
        chunks = max(1, -(-run.size // CHUNK))
        return bulk_insert(engine, hub_tables(engine), run.wrote, chunks)
    finally:
        engine.dispose()


def _overlap(url: str, run: _Run) -> Overlap:
    """Planning and the plain insert of each chunk one after the other, and overlapped (a
    writer thread inserting a chunk while the next is planned): the most a writer thread
    could gain (:mod:`bench.pipeline_overlap`)."""
    engine = make_engine(url)
    try:
        upgrade(engine)
        _seed(make_session_factory(engine), run.size)
        return overlap_seconds(
            engine,
            hub_tables(engine),
            run.wrote,
            partial(order_chunks, run.size),
            run.planners.pop,
            run.balances,
            now=NOW,
        )
    finally:
        engine.dispose()


def _two_phase(url: str, size: int, label: str) -> float:
    """Seconds of the same orders taken in without planning, then planned by
    ``run_pipeline`` in its own transactions (webhooks' and replays' orders, a page left to
    the after-page hook), under the same redactor, from the same seeded state."""
    engine = make_engine(url)
    try:
        upgrade(engine)
        factory = make_session_factory(engine)
        _seed(factory, size)
        _freeze()
        with redacting(child_redactor("shop0", RUN_SECRETS)):
            intake, stages, by_status, failed = _timed(factory, size, paged=False)
        if sum(by_status.values()) != size or failed:
            raise RuntimeError(f"{label}: two-phase did {dict(by_status)}, failed {failed}")
        return intake + stages
    finally:
        engine.dispose()


Databases = Callable[[], AbstractContextManager[str]]


def _measure(urls: Databases, size: int, label: str) -> list[Figure]:
    _freeze()  # the imports, as ``channelhub run`` freezes its startup heap
    try:
        with urls() as url:
            run = _pipeline(url, size, label)
        gc.unfreeze()
        _freeze()
        with urls() as url:
            two_phase = _two_phase(url, size, label)
    finally:
        gc.unfreeze()
    with urls() as url:
        everything = _baseline(url, run)
    with urls() as url:
        heads = _baseline(url, replace(run, wrote=run.wrote.only(HEAD_TABLES)))
    with urls() as url:
        overlap = _overlap(url, run)
    piped = run.intake + run.stages
    rate, plain, plain_heads = size / piped, size / everything, size / heads
    floor = everything + run.planning  # plan, then store plainly: the least any code can do
    best = everything / floor
    at = f"{label} @{size}"
    return [
        Figure(f"{at}: pipeline intake..outbox (import pages)", rate, "orders/s"),
        Figure(f"{at}:   pages taken in and planned", size / run.intake, "orders/s"),
        Figure(f"{at}:   scheduled pipeline after them", 1e6 * run.stages / size, "us/order"),
        Figure(f"{at}: plain bulk insert of the same rows", plain, "orders/s"),
        Figure(f"{at}:   rows written per order", run.wrote.count() / size, "rows"),
        Figure(f"{at}: ratio pipeline / same rows", 100 * rate / plain, "%"),
        Figure(f"{at}: two-phase (intake, then the pipeline)", size / two_phase, "orders/s"),
        Figure(f"{at}:   its ratio to the same rows", 100 * size / two_phase / plain, "%"),
        Figure(f"{at}: planning alone, in memory (no database)", size / run.planning, "orders/s"),
        Figure(f"{at}: best ratio possible, plain / (plain + planning)", 100 * best, "%"),
        Figure(f"{at}: pipeline / (planning + plain insert)", 100 * floor / piped, "%"),
        Figure(
            f"{at}: planning, then plain insert, chunk by chunk",
            size / overlap.sequential,
            "orders/s",
        ),
        Figure(
            f"{at}:   the same with a writer thread (insert beside the next planning)",
            size / overlap.overlapped,
            "orders/s",
        ),
        Figure(
            f"{at}:   the thread's gain", 100 * (overlap.sequential / overlap.overlapped - 1), "%"
        ),
        Figure(f"{at}: plain bulk insert, orders+lines only", plain_heads, "orders/s"),
        Figure(f"{at}: ratio pipeline / orders+lines", 100 * rate / plain_heads, "%"),
        Figure(f"{at}: cost per order", 1e6 * piped / size, "us"),
        *(_outside(run, piped, everything, at) if label == "sqlite" else []),
        Figure(f"{at}: SQL statements per order", run.statements / size, "statements"),
        Figure(f"{at}: allocated", run.allocated, "orders"),
        Figure(f"{at}: process RSS after the pipeline", run.rss_mib, "MiB"),
    ]


def _outside(run: _Run, piped: float, plain_seconds: float, at: str) -> list[Figure]:
    """The pipeline's time inside the database driver and outside it, and the ratio it would
    reach if the database cost nothing (the plain insert's time over the time outside):
    SQLite only, where every statement and commit goes through SQLAlchemy's events
    (:mod:`bench.database_clock`)."""
    inside, outside = run.database, piped - run.database
    return [
        Figure(f"{at}:   inside the database driver", 1e6 * inside / run.size, "us/order"),
        Figure(f"{at}:   outside it (Python)", 1e6 * outside / run.size, "us/order"),
        Figure(f"{at}: ratio if the database cost nothing", 100 * plain_seconds / outside, "%"),
    ]


#: Orders each path takes once, untimed, before the first size is measured.
WARM_UP = 300


def _warm_up() -> None:
    """Both paths once on a throwaway SQLite database, untimed: the process's one-time costs
    (statements compiled and cached, validators built on first use, modules imported on first
    call) are paid here, not by whichever path the first size happens to time first."""
    with _sqlite() as url:
        _two_phase(url, WARM_UP, "warm-up")
    with _sqlite() as url:
        engine = make_engine(url)
        try:
            upgrade(engine)
            factory = make_session_factory(engine)
            _seed(factory, WARM_UP)
            _timed(factory, WARM_UP, paged=True)
        finally:
            engine.dispose()


def run(args: argparse.Namespace) -> list[Figure]:
    """Both databases (PostgreSQL when configured), at ``SIZES x --scale`` orders each."""
    scale = getattr(args, "scale", 1.0)
    sizes = sorted({max(int(n * scale), 10) for n in SIZES})
    figures: list[Figure] = []
    tracing = tracemalloc.is_tracing()
    tracemalloc.stop()
    try:
        _warm_up()
        for size in sizes:
            figures += _measure(_sqlite, size, "sqlite")
        server = os.environ.get("CHANNELHUB_BENCH_POSTGRES_URL") or os.environ.get(
            "CHANNELHUB_TEST_POSTGRES_URL"
        )
        if server:
            for size in sizes:
                figures += _measure(partial(postgres_database, server), size, "postgresql")
    finally:
        if tracing:
            tracemalloc.start()
    return figures


@contextmanager
def _sqlite() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / 'bench.db'}"
