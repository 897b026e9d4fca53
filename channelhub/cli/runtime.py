"""What the job commands share: the hub's database, connectors and job bounds, and how a
run's counts are shown.

The connectors (httpx, the registry, the vault's cipher) are imported only when a command
builds them, so commands that only read the database never load them.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from channelhub.cli.home import open_engine, settings_for, vault_for
from channelhub.cli.output import cli_console
from channelhub.settings import Settings
from channelhub.store.db import make_session_factory
from channelhub.store.shared_buckets import shared_buckets_for

if TYPE_CHECKING:
    import httpx
    from sqlalchemy import Engine

    from channelhub.connectors.http.ratelimit import BucketBackend
    from channelhub.connectors.http.retry import RetryPolicy
    from channelhub.jobs.accounts.connectors import ConnectorFactoryFn
    from channelhub.jobs.engine.runner import JobOptions, JobResult, SessionFactory

console = cli_console()


def utc_now() -> datetime:
    return datetime.now(UTC)


def start_long_running(settings: Settings, *, quiet: tuple[str, ...]) -> None:
    """What a process that runs until SIGTERM (``run``, ``worker``) sets up once: logging
    at the configured level, ``quiet`` loggers at WARNING (httpx logs whole URLs, whose query
    strings may carry tokens: our client logs redacted lines instead), and the heap built so
    far frozen out of the garbage collector's walks (``gc.freeze``: the modules, schemas and
    settings live as long as the process; a full collection walked them all again each time
    the pipeline's chunks had created enough objects, about a tenth of its time)."""
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for name in quiet:
        logging.getLogger(name).setLevel(logging.WARNING)
    gc.collect()
    gc.freeze()


def job_options(settings: Settings) -> JobOptions:
    """The ``[jobs]`` settings as the runner's bounds."""
    from channelhub.jobs.engine.runner import JobOptions  # the runner loads every job
    from channelhub.jobs.engine.unit_wake import UnitWakeTiming
    from channelhub.jobs.stock.push import StockSyncTiming

    jobs = settings.jobs
    return JobOptions(
        max_pages=jobs.max_pages_per_run,
        lease_ttl=timedelta(seconds=jobs.lease_seconds),
        initial_lookback=timedelta(days=jobs.initial_lookback_days),
        home=settings.home,
        mass_drop_share=settings.stock.mass_drop_share,
        stock_timing=StockSyncTiming.of_seconds(
            debounce=settings.stock.debounce_seconds,
            max_wait=settings.stock.max_wait_seconds,
            sweep=settings.stock.sweep_seconds,
            watch=settings.stock.watch_seconds,
        ),
        unit_wake=UnitWakeTiming.of_seconds(window=jobs.wake_seconds, watch=jobs.watch_seconds),
        orders_every=timedelta(seconds=every) if (every := jobs.every.pull_orders) else None,
    )


def http_limits(settings: Settings) -> tuple[httpx.Timeout, RetryPolicy]:
    """The ``[http]`` settings as every connector's timeouts and retry policy."""
    import httpx

    from channelhub.connectors.http.retry import RetryPolicy

    http = settings.http
    timeout = httpx.Timeout(
        connect=http.connect_timeout_seconds,
        read=http.timeout_seconds,
        write=http.timeout_seconds,
        pool=http.connect_timeout_seconds,
    )
    retry = RetryPolicy(max_attempts=http.max_retries + 1, total_budget=http.budget_seconds)
    return timeout, retry


def connector_factory_for(
    settings: Settings, buckets: BucketBackend | None = None
) -> ConnectorFactoryFn:
    """Connectors for the hub's accounts, talking to each account's base URL; ``buckets``:
    the rate-limit budgets shared with the hub's other processes (None: their own)."""
    from channelhub.jobs.accounts.connectors import ConnectorFactory

    timeout, retry = http_limits(settings)
    return ConnectorFactory(vault_for(settings), timeout=timeout, retry=retry, buckets=buckets)


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    session_factory: SessionFactory
    connector_factory: ConnectorFactoryFn
    options: JobOptions


def buckets_for(engine: Engine, settings: Settings) -> BucketBackend:
    """Where this process's connectors keep their rate-limit buckets: shared with the other
    processes (procrastinate on PostgreSQL), else one per account and operation for this
    process, whichever job's connector asks."""
    from channelhub.connectors.http.ratelimit import ProcessBuckets

    return shared_buckets_for(engine, settings.engine.kind) or ProcessBuckets()


@contextmanager
def open_runtime(ctx: typer.Context) -> Iterator[Runtime]:
    """The migrated database and the connector factory of the chosen hub home. With
    procrastinate workers on PostgreSQL every process (workers, ``run``, a command run by
    hand) spends the accounts' rate limits from the same shared buckets; otherwise the jobs
    of this process share one bucket per account and operation (``ProcessBuckets``)."""
    settings = settings_for(ctx)
    with open_engine(settings) as engine:
        buckets = buckets_for(engine, settings)
        yield Runtime(
            settings=settings,
            session_factory=make_session_factory(engine),
            connector_factory=connector_factory_for(settings, buckets),
            options=job_options(settings),
        )


def summary_table(results: list[JobResult]) -> Table:
    """new / updated / unchanged / failed over the runs of one command."""
    table = Table(title=None, show_edge=False)
    for column in ("account", "job", "outcome", "pages", "new", "updated", "unchanged", "failed"):
        table.add_column(column, justify="right" if column not in ("account", "job") else "left")
    for result in results:
        counts = result.counts
        table.add_row(
            result.account,
            result.kind.value,
            result.outcome.value if result.outcome else "skipped",
            str(result.pages),
            str(counts.new),
            str(counts.updated),
            str(counts.unchanged),
            str(counts.failed),
        )
    return table
