"""``channelhub fx import RATES.csv`` and ``fx list``: exchange rates to the reporting currency.

The file is ``date,currency,rate`` (1 currency = rate of ``[finance] currency``); it is
checked whole first, one line per bad row, and nothing is imported while any row is bad.
Re-importing a day's rate replaces it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer

from channelhub.cli import app
from channelhub.cli.files import read_text_file
from channelhub.cli.home import open_session, settings_for
from channelhub.core.errors import ChannelhubError
from channelhub.mappings.fx_csv import parse_rates_csv
from channelhub.store.repos.fx import list_rates, save_rates

fx_app = typer.Typer(help="Exchange rates to the reporting currency.", no_args_is_help=True)
app.add_typer(fx_app, name="fx")


@fx_app.command("import")
def import_rates(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="CSV with date,currency,rate"),
) -> None:
    """Import daily rates (1 CURRENCY = RATE reporting currency) from a CSV file."""
    settings = settings_for(ctx)
    quote = settings.finance.currency
    parsed = parse_rates_csv(read_text_file(file), quote=quote)
    for error in parsed.errors:
        typer.echo(f"{file}: {error}", err=True)
    if parsed.errors:
        raise ChannelhubError(f"{file}: {len(parsed.errors)} bad row(s), nothing imported")
    with open_session(settings) as session:
        count = save_rates(session, parsed.rates, now=datetime.now(UTC))
    currencies = sorted({r.currency for r in parsed.rates})
    typer.echo(f"imported {count} rate(s) to {quote} from {file} ({', '.join(currencies)})")


@fx_app.command("list")
def list_command(
    ctx: typer.Context,
    currency: str | None = typer.Option(None, "--currency", help="one currency only"),
) -> None:
    """The stored rates to the reporting currency, as CSV (the columns import reads)."""
    settings = settings_for(ctx)
    with open_session(settings) as session:
        rates = list_rates(session, quote=settings.finance.currency, currency=currency)
    typer.echo("date,currency,rate")
    for rate in rates:
        typer.echo(f"{rate.day.isoformat()},{rate.currency},{rate.rate.normalize()}")
