"""``channelhub sync orders|listings ACCOUNT``: run one import now, with a progress bar.

The import is the scheduled job itself (same lease, cursor, per-page commit and dead
letters), run unit after unit until the channel has nothing more, so an interrupted
``sync`` resumes where it stopped and a ``sync`` beside ``channelhub run`` never doubles.
It runs in this process whichever the engine (an operator watching an import wants its
progress here); with procrastinate workers it takes the same lease as theirs and spends the
account's shared rate limits, so it neither doubles a worker's run nor outpaces the budget
(to hand an import to the workers instead: ``channelhub jobs run pull_orders ACCOUNT --defer``).
Ctrl-C abandons the page in flight (never committed, nor its cursor), prints what was
committed and exits 130, without a traceback.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from channelhub.cli import app
from channelhub.cli.output import err_console
from channelhub.cli.runtime import Runtime, console, open_runtime, summary_table, utc_now
from channelhub.jobs.engine.kinds import JobKind
from channelhub.jobs.engine.runner import JobResult, run_job_when_free
from channelhub.store.repos.jobs import RunCounts
from channelhub.store.tables.jobs import RunOutcome

sync_app = typer.Typer(help="Run one import now.", no_args_is_help=True)
app.add_typer(sync_app, name="sync")


@dataclass
class Committed:
    """What the import has committed so far (pages and their counts): what an interrupted
    ``sync`` reports."""

    pages: int = 0
    counts: RunCounts = field(default_factory=RunCounts)

    def add(self, counts: RunCounts) -> None:
        self.pages += 1
        self.counts = self.counts + counts

    def __str__(self) -> str:
        c = self.counts
        return (
            f"{self.pages} pages, {c.new} new, {c.updated} updated, {c.unchanged} unchanged, "
            f"{c.failed} failed"
        )


async def import_all(
    runtime: Runtime,
    account: str,
    kind: JobKind,
    progress: Progress,
    committed: Committed | None = None,
    wait: timedelta = timedelta(0),
) -> JobResult:
    """Run ``kind`` unit after unit until it is done; the totals of every unit (also kept in
    ``committed`` page by page, for a caller that is interrupted). While ``channelhub run``
    holds the job, each unit waits up to ``wait`` for it (0: skipped at once)."""
    task = progress.add_task(f"{kind.value} {account}", total=None)
    tally = committed if committed is not None else Committed()

    def on_page(counts: RunCounts) -> None:
        tally.add(counts)
        progress.update(task, advance=1, description=f"{kind.value} {account}: {tally}")

    while True:
        result = await run_job_when_free(
            runtime.session_factory,
            account,
            kind,
            wait=wait,
            clock=utc_now,
            connector_factory=runtime.connector_factory,
            now=utc_now,
            options=runtime.options,
            on_page=on_page,
        )
        if result.skipped or result.outcome is not RunOutcome.OK or not result.more:
            break
    return JobResult(
        account=account,
        kind=kind,
        outcome=result.outcome,
        counts=tally.counts,
        pages=tally.pages,
        error=result.error,
        run_id=result.run_id,
    )


def run_sync(ctx: typer.Context, account: str, kind: JobKind) -> None:
    committed = Committed()
    try:
        with open_runtime(ctx) as runtime:
            columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
            with Progress(*columns, console=console, transient=False) as progress:
                result = asyncio.run(import_all(runtime, account, kind, progress, committed))
    except KeyboardInterrupt:
        # asyncio.run cancelled the import: the run is logged "interrupted", its lease
        # released, and the page in flight was never committed (nor its cursor).
        command = "orders" if kind is JobKind.PULL_ORDERS else "listings"
        err_console.print(
            f"interrupted: {kind.value} of {account} committed {committed}; the page in "
            f"flight was abandoned: `channelhub sync {command} {account}` resumes from there",
            markup=False,
        )
        raise typer.Exit(130) from None
    console.print(summary_table([result]))
    if result.skipped:
        err_console.print(
            f"error: {kind.value} of {account!r} is running elsewhere (lease held); try later",
            markup=False,
        )
        raise typer.Exit(1)
    if result.outcome is RunOutcome.FAILED:
        err_console.print(f"error: {result.error}", markup=False)
        raise typer.Exit(1)
    if result.counts.failed:
        console.print(
            f"{result.counts.failed} record(s) refused: see `channelhub jobs deadletters`",
            markup=False,
        )


@sync_app.command("orders")
def sync_orders(
    ctx: typer.Context, account: str = typer.Argument(..., help="account name")
) -> None:
    """Import the account's new and changed orders now, in this process (to queue it for
    the workers: `channelhub jobs run pull_orders ACCOUNT --defer`)."""
    run_sync(ctx, account, JobKind.PULL_ORDERS)


@sync_app.command("listings")
def sync_listings(
    ctx: typer.Context, account: str = typer.Argument(..., help="account name")
) -> None:
    """Import the account's listings now, in this process (to queue it for the workers:
    `channelhub jobs run pull_listings ACCOUNT --defer`)."""
    run_sync(ctx, account, JobKind.PULL_LISTINGS)
