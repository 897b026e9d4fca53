"""``channelhub report trends|stock|replenish``: thin over :mod:`channelhub.jobs.analytics.reports`.

Each command parses its options, opens a session, calls the service and prints its tables
(rich) or, with ``--csv``, the main table as CSV on stdout. No arithmetic lives here.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.table import Table

from channelhub.cli import app
from channelhub.cli.home import open_engine, settings_for
from channelhub.cli.output import cli_console
from channelhub.cli.rules import RULES_OPTION, load_rules
from channelhub.core.replenishment import ReplenishmentConfig
from channelhub.core.trends import Bucket, Period
from channelhub.jobs.analytics.reports import (
    Report,
    StockLine,
    choice,
    rebuild,
    replenish_report,
    report_period,
    stock_report,
    to_csv,
    trends,
    window_lines,
)
from channelhub.store.db import make_session_factory
from channelhub.store.repos.analytics import DIMENSIONS

report_app = typer.Typer(help="Sales trends, stock health and replenishment suggestions.")
app.add_typer(report_app, name="report")
console = cli_console(soft_wrap=True)

BY_HELP = f"group by: {', '.join(DIMENSIONS)}"
SINCE = typer.Option(None, "--since", help="first day (ISO date, UTC); default: a window back")
UNTIL = typer.Option(None, "--until", help="day after the last (ISO date); default: today")
CSV = typer.Option(False, "--csv", help="print the main table as CSV on stdout")


def _period(since: str | None, until: str | None, default_days: int) -> Period:
    return report_period(since, until, default_days=default_days, today=datetime.now(UTC).date())


def _print(report: Report) -> None:
    console.print(report.title, markup=False)
    table = Table(show_edge=False)
    for column in report.columns:
        table.add_column(column, no_wrap=True)
    for row in report.rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    if report.rows:
        console.print(table)
    else:
        console.print("  (nothing in this period)", markup=False)
    for note in report.notes:
        console.print(note, markup=False)


@report_app.command("trends")
def trends_command(
    ctx: typer.Context,
    by: str = typer.Option("channel", "--by", help=BY_HELP),
    bucket: str = typer.Option("week", "--bucket", help="day, week or month"),
    since: str | None = SINCE,
    until: str | None = UNTIL,
    csv: bool = CSV,
    summary: bool = typer.Option(False, "--summary", help="with --csv: the summary table"),
) -> None:
    """Units, orders and revenue per bucket, against the previous period and last year."""
    by = choice(by, DIMENSIONS, "--by")
    width = Bucket(choice(bucket, tuple(b.value for b in Bucket), "--bucket"))
    period = _period(since, until, 28)
    settings = settings_for(ctx)
    with open_engine(settings) as engine, make_session_factory(engine)() as session:
        series, totals = trends(session, by=by, bucket=width, period=period)
    if csv:
        sys.stdout.write(to_csv(totals if summary else series))
        return
    _print(series)
    _print(totals)


def _lines(
    ctx: typer.Context, rules: Path | None, since: str | None, until: str | None, sku: str | None
) -> tuple[ReplenishmentConfig, list[StockLine]]:
    settings = settings_for(ctx)
    config = load_rules(settings, rules).replenishment
    period = _period(since, until, config.window_days)
    with open_engine(settings) as engine, make_session_factory(engine)() as session:
        return window_lines(session, config, period, sku=sku)


@report_app.command("stock")
def stock_command(
    ctx: typer.Context,
    by: str = typer.Option("sku", "--by", help="sort by: sku or warehouse"),
    sku: str | None = typer.Option(None, "--sku", help="one SKU only"),
    since: str | None = SINCE,
    until: str | None = UNTIL,
    csv: bool = CSV,
    rules: Path | None = RULES_OPTION,
) -> None:
    """On hand, in flight, velocity, cover, turnover, age, stock-outs and lost sales."""
    by = choice(by, ("sku", "warehouse"), "--by")
    _, lines = _lines(ctx, rules, since, until, sku)
    report = stock_report(lines, by=by)
    if csv:
        sys.stdout.write(to_csv(report))
        return
    _print(report)
    if sku is not None:
        for line in lines:
            console.print("\n".join(line.health.lines), markup=False)


@report_app.command("replenish")
def replenish_command(
    ctx: typer.Context,
    by: str = typer.Option("sku", "--by", help="sort by: sku or warehouse"),
    sku: str | None = typer.Option(None, "--sku", help="one SKU only"),
    since: str | None = SINCE,
    until: str | None = UNTIL,
    csv: bool = CSV,
    transfers: bool = typer.Option(False, "--transfers", help="with --csv: the transfers"),
    explain: bool = typer.Option(False, "--explain", help="every number, line by line"),
    rules: Path | None = RULES_OPTION,
) -> None:
    """What to order for each warehouse (whole cartons) and what to move between them."""
    by = choice(by, ("sku", "warehouse"), "--by")
    config, lines = _lines(ctx, rules, since, until, sku)
    orders, moves = replenish_report(lines, config, by=by, explain=explain or sku is not None)
    if csv:
        sys.stdout.write(to_csv(moves if transfers else orders))
        return
    _print(orders)
    _print(moves)


@report_app.command("rebuild")
def rebuild_command(ctx: typer.Context) -> None:
    """Recompute the reports' daily sums from the orders and the stock ledger.

    The hub keeps them in step as it writes; run this after loading orders or movements
    into the database some other way (a bulk import, a restore)."""
    settings = settings_for(ctx)
    with open_engine(settings) as engine, make_session_factory(engine)() as session:
        counts = rebuild(session)
        session.commit()
    console.print(", ".join(f"{table}: {rows:,} rows" for table, rows in counts.items()))
