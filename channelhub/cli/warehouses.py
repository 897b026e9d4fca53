"""``channelhub warehouses add|list|remove``: the places that hold the seller's stock.

Allocation ships only from registered warehouses, and the stock push serves listings only from
warehouses whose stock the hub knows (``channelhub stock set|import|pull``).
"""

from __future__ import annotations

from datetime import UTC, datetime

import typer
from rich.table import Table
from rich.text import Text

from channelhub.cli import app
from channelhub.cli.home import open_session, settings_for
from channelhub.cli.output import cli_console
from channelhub.connectors.registry import ConnectorRegistry
from channelhub.jobs.engine.plan import roles_from_registry
from channelhub.jobs.stock.warehouses import register_warehouse, warehouse_from_input
from channelhub.store.repos.warehouses import list_warehouses, remove_warehouse

warehouses_app = typer.Typer(
    help="The seller's warehouses: add, list, remove.", no_args_is_help=True
)
app.add_typer(warehouses_app, name="warehouses")


@warehouses_app.command("add")
def add(
    ctx: typer.Context,
    code: str = typer.Argument(..., help="The hub's code for it, e.g. US-EAST."),
    country: str = typer.Option(..., "--country", help="ISO 3166 country code, e.g. US."),
    region: str | None = typer.Option(None, "--region", help="State / province, e.g. NJ."),
    name: str | None = typer.Option(None, "--name", help="A name to show."),
    account: str | None = typer.Option(
        None, "--account", help="The WMS account that serves it (a warehouse platform)."
    ),
    external_id: str | None = typer.Option(
        None, "--external-id", help="The WMS's own id for it (when the WMS serves several)."
    ),
) -> None:
    """Register a warehouse; its stock is unknown until `channelhub stock set|import|pull`."""
    warehouse = warehouse_from_input(code, country, region, name, account, external_id)
    roles_of = roles_from_registry(ConnectorRegistry())
    with open_session(settings_for(ctx)) as session:
        register_warehouse(session, warehouse, now=datetime.now(UTC), roles_of=roles_of)
    where = "/".join(p for p in (warehouse.country, warehouse.region) if p)
    served = f", served by {account}" if account else ""
    typer.echo(
        f"added warehouse {code} ({where}{served}); its stock is unknown until you run "
        "`channelhub stock set`, `stock import` or `stock pull`"
    )


@warehouses_app.command("list")
def list_(ctx: typer.Context) -> None:
    """Every warehouse with its SKUs, units on hand and since when its stock is known."""
    with open_session(settings_for(ctx)) as session:
        found = list_warehouses(session)
    if not found:
        typer.echo("no warehouses yet: add one with `channelhub warehouses add CODE --country CC`")
        return
    table = Table("code", "country", "region", "account", "SKUs", "on hand", "stock")
    for w in found:
        cells = (
            w.code + (f" ({w.name})" if w.name else ""),
            w.country,
            w.region or "-",
            (w.account or "-") + (f" (WMS id {w.external_id})" if w.external_id else ""),
            str(w.skus),
            str(w.on_hand),
            f"known since {w.stock_known_at:%Y-%m-%d %H:%M} UTC"
            if w.stock_known_at
            else "stock unknown",
        )
        table.add_row(*(Text(cell) for cell in cells))  # seller text is never markup
    cli_console(terminal_width=200).print(table)


@warehouses_app.command("remove")
def remove(
    ctx: typer.Context, code: str = typer.Argument(..., help="The warehouse's code.")
) -> None:
    """Remove a warehouse nothing refers to (no stock movements, no open outbound orders)."""
    with open_session(settings_for(ctx)) as session:
        remove_warehouse(session, code)
    typer.echo(f"removed warehouse {code}")
