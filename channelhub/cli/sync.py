"""``channelhub sync orders|listings ACCOUNT``: run one import now, with a progress bar.

The import is the scheduled job itself (same lease, cursor, per-page commit and dead
letters), run unit after unit until the channel has nothing more, so an interrupted
``sync`` resumes where it stopped and a ``sync`` beside ``channelhub run`` never doubles.
"""

from __future__ import annotations

import asyncio

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from channelhub.cli import app, err_console
from channelhub.cli.runtime import Runtime, console, open_runtime, summary_table, utc_now
from channelhub.jobs.kinds import JobKind
from channelhub.jobs.runner import JobResult, run_job
from channelhub.store.repos.jobs import RunCounts
from channelhub.store.tables.jobs import RunOutcome

sync_app = typer.Typer(help="Run one import now.", no_args_is_help=True)
app.add_typer(sync_app, name="sync")


async def import_all(
    runtime: Runtime, account: str, kind: JobKind, progress: Progress
) -> JobResult:
    """Run ``kind`` unit after unit until it is done; the totals of every unit."""
    task = progress.add_task(f"{kind.value} {account}", total=None)
    total, pages = RunCounts(), 0

    def on_page(counts: RunCounts) -> None:
        nonlocal total, pages
        total, pages = total + counts, pages + 1
        progress.update(
            task,
            advance=1,
            description=(
                f"{kind.value} {account}: {pages} pages, {total.new} new, {total.updated} "
                f"updated, {total.unchanged} unchanged, {total.failed} failed"
            ),
        )

    while True:
        result = await run_job(
            runtime.session_factory,
            account,
            kind,
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
        counts=total,
        pages=pages,
        error=result.error,
        run_id=result.run_id,
    )


def run_sync(ctx: typer.Context, account: str, kind: JobKind) -> None:
    with open_runtime(ctx) as runtime:
        columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=False) as progress:
            result = asyncio.run(import_all(runtime, account, kind, progress))
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
    """Import the account's new and changed orders now."""
    run_sync(ctx, account, JobKind.PULL_ORDERS)


@sync_app.command("listings")
def sync_listings(
    ctx: typer.Context, account: str = typer.Argument(..., help="account name")
) -> None:
    """Import the account's listings now."""
    run_sync(ctx, account, JobKind.PULL_LISTINGS)
