"""``channelhub stock set|import|pull``: telling the hub what each warehouse holds.

Each one writes ADJUST movements of the difference to the ledger (with its reason: "set by
hand" or ``--reason``, "imported from FILE (row N)", "pulled from ACCOUNT") and marks the
warehouse's stock as known, which the stock push waits for.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import typer

from channelhub.cli.files import read_text_file
from channelhub.cli.home import open_engine, open_session, settings_for
from channelhub.cli.runtime import connector_factory_for
from channelhub.cli.stock import stock_app
from channelhub.core.errors import ChannelhubError, ConfigError
from channelhub.core.types import MAX_UNITS
from channelhub.store.db import make_session_factory
from channelhub.store.repos.accounts import AccountInfo, get_account


@stock_app.command("set")
def set_(
    ctx: typer.Context,
    warehouse: str = typer.Argument(..., help="The warehouse's code."),
    sku: str = typer.Argument(..., help="The SKU (from the product library)."),
    quantity: int = typer.Argument(..., min=0, max=MAX_UNITS, help="Units on hand now."),
    reason: str | None = typer.Option(None, "--reason", help="Why (kept in the ledger)."),
) -> None:
    """Set WAREHOUSE's on-hand count of SKU to QUANTITY (an adjustment of the difference)."""
    from channelhub.jobs.stock.warehouses import set_stock  # the ledger: not for `transit`

    with open_session(settings_for(ctx)) as session:
        difference = set_stock(
            session, warehouse, sku, quantity, reason=reason, now=datetime.now(UTC)
        )
    if difference:
        typer.echo(f"{warehouse} {sku}: on hand {quantity} (adjusted {difference:+d})")
    else:
        typer.echo(f"{warehouse} {sku}: on hand {quantity} (already so, nothing recorded)")


@stock_app.command("import")
def import_(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="CSV with the columns warehouse,sku,on_hand."),
) -> None:
    """Set on-hand counts from a CSV; any bad row imports nothing (each is listed)."""
    from channelhub.jobs.stock.desk import StockImportRejected, import_stock_csv

    text = read_text_file(file)
    with open_session(settings_for(ctx)) as session:
        try:
            summary = import_stock_csv(session, text, source=file.name, now=datetime.now(UTC))
        except StockImportRejected as rejected:
            for error in rejected.errors:
                typer.echo(f"{file}: {error}", err=True)
            raise ChannelhubError(
                f"{file}: {len(rejected.errors)} bad row(s), nothing imported"
            ) from None
    typer.echo(
        f"imported {summary.rows} count(s) from {file} into {', '.join(summary.warehouses)}: "
        f"{summary.changed} adjusted ({summary.units:+d} units), "
        f"{summary.rows - summary.changed} already right"
        if summary.rows
        else f"{file} holds no counts: nothing imported"
    )


@stock_app.command("pull")
def pull(
    ctx: typer.Context,
    account: str = typer.Argument(..., help="The WMS account to read stock levels from."),
) -> None:
    """Read every stock level from a WMS and set its warehouses' counts to them."""
    # the connectors and the pull: only `stock pull` loads them, not `stock explain`/`set`
    from channelhub.connectors.registry import ConnectorRegistry
    from channelhub.connectors.roles import Warehouse
    from channelhub.jobs.engine.plan import roles_from_registry
    from channelhub.jobs.stock.pull import PullSummary, pull_stock
    from channelhub.jobs.stock.warehouses import require_wms_account

    settings = settings_for(ctx)
    with open_engine(settings) as engine:
        factory = make_session_factory(engine)
        with factory() as session:
            require_wms_account(session, account, roles_of=roles_from_registry(ConnectorRegistry()))
            row = get_account(session, account)
            info = AccountInfo.of(row)
            connector = connector_factory_for(settings)(row)

        async def run() -> PullSummary:
            try:
                if not isinstance(connector, Warehouse):
                    raise ConfigError(f"account {account!r} ({info.platform}) is not a warehouse")
                return await pull_stock(
                    factory,
                    connector,
                    account=account,
                    now=datetime.now(UTC),
                    settings=info.settings,
                )
            finally:
                await connector.aclose()

        summary = asyncio.run(run())
    typer.echo(summary.render())
