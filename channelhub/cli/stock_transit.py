"""``channelhub stock transit add|list|receive``: goods on their way to a warehouse (a
purchase or a transfer), which replenishment counts as *in flight*
(``channelhub report stock|replenish``).

Receiving only closes the shipment: the units enter the warehouse's count the way all stock
does (the WMS pull, ``stock set`` or ``stock import``), so they are never counted twice.
"""

from __future__ import annotations

from datetime import UTC, datetime

import typer
from rich.table import Table

from channelhub.cli.home import open_session, settings_for
from channelhub.cli.output import cli_console
from channelhub.cli.stock import stock_app
from channelhub.core.errors import InvalidInput
from channelhub.core.types import MAX_UNITS
from channelhub.store.repos.in_transit import list_in_transit, mark_received, record_in_transit

transit_app = typer.Typer(help="Goods on their way to a warehouse (in flight for replenishment).")
stock_app.add_typer(transit_app, name="transit")


def _utc(value: datetime | None, name: str) -> datetime | None:
    """A date or time as typed (naive: UTC)."""
    if value is None:
        return None
    if value.year < 1990 or value.year > 2200:
        raise InvalidInput.field(name, value.isoformat(), "is not a plausible date")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@transit_app.command("add")
def add(
    ctx: typer.Context,
    reference: str = typer.Argument(..., help="Your shipment or PO number (unique)."),
    warehouse: str = typer.Argument(..., help="The warehouse it goes to."),
    sku: str = typer.Argument(..., help="The SKU (from the product library)."),
    quantity: int = typer.Argument(..., min=1, max=MAX_UNITS, help="Units on their way."),
    shipped: datetime | None = typer.Option(None, "--shipped", help="When sent (default now)."),
    expected: datetime | None = typer.Option(None, "--expected", help="When it should arrive."),
    mode: str | None = typer.Option(None, "--mode", help="sea, air, rail, truck, ..."),
) -> None:
    """Record QUANTITY units of SKU on their way to WAREHOUSE (the same REFERENCE twice adds
    nothing)."""
    now = datetime.now(UTC)
    with open_session(settings_for(ctx)) as session:
        added = record_in_transit(
            session,
            reference=reference,
            warehouse=warehouse,
            sku=sku,
            quantity=quantity,
            shipped_at=_utc(shipped, "--shipped") or now,
            expected_at=_utc(expected, "--expected"),
            mode=mode,
        )
    if added:
        typer.echo(f"{reference}: {quantity} x {sku} on their way to {warehouse}")
    else:
        typer.echo(f"{reference} is already recorded: nothing added")


@transit_app.command("list")
def list_(
    ctx: typer.Context,
    all_: bool = typer.Option(False, "--all", help="Received shipments too."),
) -> None:
    """The shipments on their way (what replenishment counts as in flight)."""
    with open_session(settings_for(ctx)) as session:
        rows = list_in_transit(session, include_received=all_)
        table = Table("reference", "warehouse", "sku", "units", "mode", "shipped", "expected",
                      "received")  # fmt: skip
        for row in rows:
            table.add_row(
                row.reference, row.warehouse, row.sku, str(row.quantity), row.mode or "-",
                f"{row.shipped_at:%Y-%m-%d}",
                f"{row.expected_at:%Y-%m-%d}" if row.expected_at else "-",
                f"{row.received_at:%Y-%m-%d}" if row.received_at else "-",
            )  # fmt: skip
    if not rows:
        typer.echo("nothing on its way" if not all_ else "no shipments recorded")
        return
    cli_console().print(table)


@transit_app.command("receive")
def receive(
    ctx: typer.Context,
    reference: str = typer.Argument(..., help="The shipment or PO number."),
) -> None:
    """Close a shipment that arrived (its units count once the warehouse's stock says so)."""
    with open_session(settings_for(ctx)) as session:
        closed = mark_received(session, reference, at=datetime.now(UTC))
    if not closed:
        raise InvalidInput.field("reference", reference, "is not a shipment on its way")
    typer.echo(f"{reference}: received (no longer in flight)")
