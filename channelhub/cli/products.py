"""``channelhub products import|export FILE.csv``: the product library in and out of a CSV.

Import checks the whole file first and prints one line per bad row (row, column, value, why);
a file with errors imports nothing unless ``--skip-bad-rows``. The good rows are written in
one transaction, components before the SKUs built from them, so a failure writes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer
from sqlalchemy import select

from channelhub.cli import app
from channelhub.cli.files import read_text_file
from channelhub.cli.home import open_session, settings_for
from channelhub.core.errors import ChannelhubError
from channelhub.core.products import Sku
from channelhub.mappings.products_csv import (
    check_references,
    dependency_order,
    format_products_csv,
    parse_products_csv,
)
from channelhub.store.repos.catalog import load_catalog, load_catalog_around
from channelhub.store.repos.products import upsert_sku
from channelhub.store.tables.products import SkuRow

products_app = typer.Typer(help="The product library (SKUs, combos, kits).", no_args_is_help=True)
app.add_typer(products_app, name="products")


@products_app.command("import")
def import_products(
    ctx: typer.Context,
    file: Path = typer.Argument(
        ..., help="CSV with code,kind,title,barcode,components,units,spu,attributes,cost,..."
    ),
    skip_bad_rows: bool = typer.Option(
        False, "--skip-bad-rows", help="import the good rows even when some rows are bad"
    ),
) -> None:
    """Create or replace SKUs from a CSV file (see config/products.example.csv)."""
    parsed = parse_products_csv(read_text_file(file))
    settings = settings_for(ctx)
    now = datetime.now(UTC)
    with open_session(settings) as session:
        errors = list(parsed.errors)
        if not any(e.row == 0 for e in errors):
            stored = load_catalog_around(session, [r.sku for r in parsed.rows])
            errors += check_references(parsed.rows, stored)
        for error in sorted(errors, key=lambda e: e.row):
            typer.echo(f"{file}: {error}", err=True)
        if errors and (not skip_bad_rows or any(e.row == 0 for e in errors)):
            raise ChannelhubError(
                f"{file}: {len(errors)} bad row(s), nothing imported "
                "(fix them, or pass --skip-bad-rows to import the rest)"
            )
        bad = {e.row for e in errors}
        good = [r.sku for r in parsed.rows if r.row not in bad]
        if bad:
            good = _without_broken_recipes(good, {r.sku.code for r in parsed.rows if r.row in bad})
        for sku in dependency_order(good):
            upsert_sku(session, sku, now=now)
    skipped = len(parsed.rows) + len(parsed.errors) - len(good)
    typer.echo(
        f"imported {len(good)} SKU(s) from {file}" + (f", skipped {skipped}" if skipped else "")
    )


def _without_broken_recipes(skus: list[Sku], bad_codes: set[str]) -> list[Sku]:
    """Drop SKUs whose recipe uses a skipped row (transitively): never a half-defined combo."""
    kept = list(skus)
    while True:
        dropped = {s.code for s in kept if any(c.sku in bad_codes for c in s.components)}
        if not dropped:
            return kept
        bad_codes |= dropped
        kept = [s for s in kept if s.code not in dropped]


@products_app.command("export")
def export_products(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="CSV to write ('-' for standard output)"),
) -> None:
    """Write the product library as CSV (the same columns import reads)."""
    with open_session(settings_for(ctx)) as session:
        catalog = load_catalog(session)
        codes = list(session.scalars(select(SkuRow.code).order_by(SkuRow.id)))
    text = format_products_csv(catalog.get(code) for code in codes)
    if str(file) == "-":
        typer.echo(text, nl=False)
        return
    file.write_text(text, encoding="utf-8")
    typer.echo(f"exported {len(codes)} SKU(s) to {file}")
