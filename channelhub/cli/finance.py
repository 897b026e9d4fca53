"""``channelhub finance orders|payouts|profit``: settlement, thin over jobs/settlement.

``orders`` and ``payouts`` run the two settlement reconciliations (stored as runs, like
``channelhub reconcile``) and print what they found; ``profit`` prints profit per order, SKU,
channel or month in the reporting currency (``[finance] currency``). ``--csv`` prints the
main table as CSV on stdout. No arithmetic lives here.

The ledger's importers add ``finance pull`` to the same group: ``cli/finance_pull.py`` registers on
:data:`finance_app` (``@finance_app.command("pull")``) and is listed in ``cli/commands.py``.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import typer
from rich.table import Table

from channelhub.cli import app
from channelhub.cli.home import open_engine, settings_for
from channelhub.cli.output import cli_console
from channelhub.jobs.analytics.reports import Report, report_period, to_csv
from channelhub.jobs.reconciliation.run import ReconcileReport
from channelhub.jobs.settlement.profit import ProfitOptions, profit_report
from channelhub.jobs.settlement.reconcile import reconcile_order_money, reconcile_payouts
from channelhub.jobs.settlement.views import discrepancy_report, payouts_report
from channelhub.store.db import make_session_factory
from channelhub.store.repos.profit import BY

finance_app = typer.Typer(
    help="Settlement: profit per order, and the ledger against orders and payouts.",
    no_args_is_help=True,
)
app.add_typer(finance_app, name="finance")
console = cli_console(soft_wrap=True)

SINCE = typer.Option(None, "--since", help="orders placed from this day (ISO date, UTC)")
UNTIL = typer.Option(None, "--until", help="to the day before this one (ISO date)")
CSV = typer.Option(False, "--csv", help="print the main table as CSV on stdout")
ACCOUNT = typer.Option(None, "--account", help="one account only")

# `finance pull` (the importers) is in channelhub/cli/finance_pull.py, on finance_app


def print_report(report: Report) -> None:
    """A titled table and its notes, as every finance command prints them."""
    console.print(report.title, markup=False)
    table = Table(show_edge=False)
    for column in report.columns:
        table.add_column(column, no_wrap=True)
    for row in report.rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    if report.rows:
        console.print(table)
    else:
        console.print("  (nothing)", markup=False)
    for note in report.notes:
        console.print(note, markup=False)


def _window(since: str | None, until: str | None) -> tuple[datetime | None, datetime | None]:
    if since is None and until is None:
        return None, None
    period = report_period(since, until, default_days=30, today=datetime.now(UTC).date())
    return period.since, period.until


def _run_line(report: ReconcileReport) -> str:
    total = sum(report.counts.get("discrepancies", {}).values())
    return f"run {report.run_id} ({report.scope}): {total} discrepancies"


@finance_app.command("orders")
def orders_command(
    ctx: typer.Context,
    since: str | None = SINCE,
    until: str | None = UNTIL,
    account: str | None = ACCOUNT,
    csv: bool = CSV,
) -> None:
    """Each order's money against the ledger: revenue, shipping, fees above the schedule
    ([finance.fees.<channel>]), refunds without a return, missing warehouse fees."""
    settings = settings_for(ctx)
    first, last = _window(since, until)
    with open_engine(settings) as engine:
        report = reconcile_order_money(
            make_session_factory(engine), settings.finance, now=datetime.now(UTC),
            since=first, until=last, account=account,
        )  # fmt: skip
    table = discrepancy_report(
        report.discrepancies, title=f"Orders against the money ledger (run {report.run_id})"
    )
    if csv:
        sys.stdout.write(to_csv(table))
        return
    console.print(_run_line(report), markup=False)
    print_report(table)
    if not settings.finance.fees:
        console.print(
            "note: fees were not checked: no [finance.fees.<channel>] in config.toml",
            markup=False,
        )


@finance_app.command("payouts")
def payouts_command(
    ctx: typer.Context,
    account: str | None = ACCOUNT,
    csv: bool = CSV,
) -> None:
    """Every payout against the released lines it pays out; the lines of one that does not
    sum, and lines naming a payout the ledger lacks, are listed."""
    settings = settings_for(ctx)
    with open_engine(settings) as engine:
        report, payouts = reconcile_payouts(
            make_session_factory(engine), now=datetime.now(UTC), account=account
        )
    table = payouts_report(payouts)
    if csv:
        sys.stdout.write(to_csv(table))
        return
    console.print(_run_line(report), markup=False)
    print_report(table)
    print_report(
        discrepancy_report(
            report.discrepancies, title=f"Payout discrepancies (run {report.run_id})"
        )
    )


@finance_app.command("profit")
def profit_command(
    ctx: typer.Context,
    by: str = typer.Option("order", "--by", help=f"one of {', '.join(BY)}"),
    since: str | None = SINCE,
    until: str | None = UNTIL,
    channel: str | None = typer.Option(None, "--channel", help="one channel only"),
    limit: int = typer.Option(200, "--limit", min=1, help="orders shown in the table"),
    csv: bool = CSV,
) -> None:
    """Profit per order (or --by sku|channel|month) in the reporting currency: revenue less
    fees, fulfilment, labels and product cost, then the allocated period costs."""
    settings = settings_for(ctx)
    first, last = _window(since, until)
    options = ProfitOptions(
        by=by, since=first, until=last, channel=channel, limit=None if csv else limit
    )
    with open_engine(settings) as engine, make_session_factory(engine)() as session:
        report = profit_report(session, settings.finance, options)
    if csv:
        sys.stdout.write(to_csv(report))
        for note in report.notes:
            typer.echo(note, err=True)
        return
    print_report(report)
