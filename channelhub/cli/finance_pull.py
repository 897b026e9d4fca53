"""``channelhub finance pull [ACCOUNT] [--since DATE]``: import the providers' money now (a command
of the ``finance`` group of :mod:`channelhub.cli.finance`).

The import is the scheduled ``pull_finance`` job itself (same lease, cursor, rate limits,
per-page commit and dead letters), run until the provider has nothing more, so running it
twice adds nothing and an interrupted pull resumes where it stopped. Without ACCOUNT every
account whose platform has a finance import is pulled. ``--since`` restarts the window there
(re-reading is harmless: the ledger keeps each provider line once).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from channelhub.cli.finance import finance_app
from channelhub.cli.output import err_console
from channelhub.cli.runtime import console, open_runtime, summary_table, utc_now
from channelhub.cli.sync import import_all
from channelhub.connectors.registry import ConnectorRegistry
from channelhub.jobs.accounts.setup import since_date
from channelhub.jobs.engine.kinds import JobKind
from channelhub.jobs.engine.runner import JobResult
from channelhub.jobs.settlement.accounts import finance_accounts, finance_platforms
from channelhub.store.repos.cursors import reset_cursor
from channelhub.store.tables.jobs import RunOutcome


@finance_app.command("pull")
def pull(
    ctx: typer.Context,
    account: str | None = typer.Argument(None, help="account name (default: every account)"),
    since: datetime | None = typer.Option(
        None,
        "--since",
        formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z"],
        metavar="DATE",
        help="read money posted since this date (UTC) instead of from the stored cursor",
    ),
    wait: float = typer.Option(
        60, "--wait", min=0, help="seconds to wait while `channelhub run` pulls the same account"
    ),
) -> None:
    """Import fees, refunds, reserves and payouts into the money ledger."""
    when = since_date(since, now=utc_now())
    results: list[JobResult] = []
    with open_runtime(ctx) as runtime:
        with runtime.session_factory() as session:
            registry = ConnectorRegistry()
            names = finance_accounts(session, registry, account)
            if when is not None:
                for name in names:
                    reset_cursor(
                        session, name, JobKind.PULL_FINANCE.value, now=utc_now(), since=when
                    )
                session.commit()
        if not names:
            platforms = ", ".join(finance_platforms(registry))
            console.print(f"no account with a finance import ({platforms})", markup=False)
            return
        columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=True) as progress:
            for name in names:
                results.append(
                    asyncio.run(
                        import_all(
                            runtime,
                            name,
                            JobKind.PULL_FINANCE,
                            progress,
                            wait=timedelta(seconds=wait),
                        )
                    )
                )
    console.print(summary_table(results))
    failed = [r for r in results if r.skipped or r.outcome is RunOutcome.FAILED]
    for result in failed:
        reason = (
            f"still running elsewhere after {wait:g} s (channelhub run); try later"
            if result.skipped
            else result.error
        )
        err_console.print(f"error: pull_finance of {result.account!r}: {reason}", markup=False)
    refused = sum(r.counts.failed for r in results)
    if refused:
        console.print(
            f"{refused} record(s) set aside: see `channelhub jobs deadletters`", markup=False
        )
    if failed:
        raise typer.Exit(1)
