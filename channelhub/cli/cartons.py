"""``channelhub warehouses carton|cartons``: SKUs stocked in cartons at a warehouse.

``warehouses carton GC-DE MUG-RED --units 12 --ships cartons`` says GC-DE keeps MUG-RED in
cartons of 12 and ships only whole cartons (``--ships units``: it breaks them);
``--remove`` drops the rule. ``warehouses cartons`` lists them, ``--import FILE`` reads a CSV
(``warehouse,sku,units_per_carton,ships``). Allocation and ``stock explain`` apply them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from channelhub.cli.home import open_session, settings_for
from channelhub.cli.output import cli_console
from channelhub.cli.warehouses import warehouses_app
from channelhub.jobs.stock.cartons import carton_rule, drop_carton, import_cartons, set_carton
from channelhub.store.repos.cartons import carton_rules


@warehouses_app.command("carton")
def carton(
    ctx: typer.Context,
    warehouse: str = typer.Argument(..., help="The warehouse's code, e.g. GC-DE."),
    sku: str = typer.Argument(..., help="The SKU (product library code)."),
    units: int = typer.Option(0, "--units", help="Units in one carton."),
    ships: str = typer.Option(
        "units", "--ships", help="'cartons': only whole cartons leave; 'units': it breaks them."
    ),
    remove: bool = typer.Option(False, "--remove", help="Drop the rule of this pair."),
) -> None:
    """Say that WAREHOUSE stocks SKU in cartons of --units, shipping whole cartons or units."""
    with open_session(settings_for(ctx)) as session:
        if remove:
            drop_carton(session, warehouse, sku)
            typer.echo(f"{warehouse} {sku}: carton rule removed (ships units)")
            return
        rule = carton_rule(warehouse, sku, units, ships)
        set_carton(session, rule, now=datetime.now(UTC))
    typer.echo(rule.describe())


@warehouses_app.command("cartons")
def cartons(
    ctx: typer.Context,
    import_file: Path | None = typer.Option(
        None, "--import", help="CSV: warehouse,sku,units_per_carton,ships (all rows or none)."
    ),
) -> None:
    """List the carton rules, or import them from a CSV."""
    with open_session(settings_for(ctx)) as session:
        if import_file is not None:
            text = import_file.read_text(encoding="utf-8-sig")
            kept = import_cartons(session, text, now=datetime.now(UTC))
            typer.echo(f"imported {kept} carton rule(s) from {import_file.name}")
            return
        found = sorted(carton_rules(session).values(), key=lambda r: (r.warehouse, r.sku))
    if not found:
        typer.echo("no carton rules: every SKU ships in units (`channelhub warehouses carton`)")
        return
    table = Table("warehouse", "SKU", "units per carton", "ships")
    for rule in found:
        cells = (rule.warehouse, rule.sku, str(rule.units_per_carton), rule.ships.value)
        table.add_row(*(Text(c) for c in cells))
    cli_console(terminal_width=200).print(table)
