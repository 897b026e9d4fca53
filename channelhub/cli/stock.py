"""``channelhub stock explain LISTING`` and ``channelhub stock push ACCOUNT [--full]``.

``explain`` prints every input of a listing's sellable quantity (ledger balances per
warehouse with their reservations, buffer, share, cap, minimum, the rule level that set each,
the bundle arithmetic), where every unit on hand went, and the last value pushed with the
channel's answer. ``push`` runs one stock push now and prints its summary.

Rules come from ``--rules FILE`` or ``<home>/rules.toml`` (the ``[stock]`` and
``[allocation]`` sections of the rulebook; see config/rules.example.toml); without either
the built-in defaults apply (no buffer, full share, every warehouse).
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table
from rich.text import Text

from channelhub.cli import app
from channelhub.cli.home import open_engine, settings_for
from channelhub.cli.output import cli_console
from channelhub.cli.runtime import connector_factory_for, job_options
from channelhub.core.errors import ConfigError, InvalidInput
from channelhub.store.db import make_session_factory
from channelhub.store.repos.accounts import AccountInfo, get_account

if TYPE_CHECKING:  # the stock computation and push: imported by the commands that use them,
    # not by the other `stock` commands (set, import, pull, transit) this group loads
    from channelhub.jobs.stock.desk import PushOutcome
    from channelhub.jobs.stock.push import PushPreview

stock_app = typer.Typer(help="Stock back-sync: explain and push sellable quantities.")
app.add_typer(stock_app, name="stock")
console = cli_console(soft_wrap=True)

RULES_OPTION = typer.Option(
    None, "--rules", help="Rulebook TOML (default: <home>/rules.toml when present)."
)


@stock_app.command("explain")
def explain(
    ctx: typer.Context,
    listing: str = typer.Argument(
        ...,
        # no square brackets: rich would read "[/variation]" as a closing markup tag
        help="channel:account:listing_id (or channel:account:listing_id/variation), "
        "or a channel SKU with --account.",
    ),
    account: str | None = typer.Option(None, "--account", help="Account of a channel SKU."),
    rules_path: Path | None = RULES_OPTION,
) -> None:
    """Every input of a listing's sellable quantity, where each unit went, and the result."""
    from channelhub.jobs.stock.desk import find_listings, listing_stock
    from channelhub.jobs.stock.push import load_rules

    settings = settings_for(ctx)
    rulebook = load_rules(rules_path, home=settings.home)
    with open_engine(settings) as engine, make_session_factory(engine)() as session:
        for found in find_listings(session, listing, account=account):
            shown = listing_stock(session, found, rulebook)
            if shown.explanation is None:
                raise InvalidInput.field("listing", str(found.key), shown.problem or "")
            console.print(shown.explanation.render(), markup=False)
            if shown.allowed_note:
                console.print(shown.allowed_note, markup=False)
            console.print("where every unit on hand went (base units):", markup=False)
            for unit_account in shown.units:
                console.print(unit_account.render(), markup=False)
            for line in [*shown.push_lines, *shown.status]:
                console.print(line, markup=False)


def stdin_is_interactive() -> bool:
    """Whether a person can answer a confirmation (tests stand in for one)."""
    return sys.stdin.isatty()


def _cell(value: object) -> Text:
    return Text("unknown" if value is None else str(value))


def print_preview(preview: PushPreview, *, sync_on: bool) -> None:
    """The preview table: listing, channel SKU, channel now, hub would push, why."""
    from channelhub.jobs.stock.push import NO_WAREHOUSE

    state = "on" if sync_on else "off"
    console.print(
        f"preview of a full stock push to {preview.channel}:{preview.account} "
        f"(stock sync is {state}; nothing has been sent)",
        markup=False,
    )
    table = Table(show_edge=False)
    for column in ("listing", "channel SKU", "channel now", "hub would push"):
        table.add_column(column, no_wrap=True)
    table.add_column("why", overflow="fold")
    for row in preview.rows:
        would = Text("not pushed") if row.would_push is None else _cell(row.would_push)
        table.add_row(
            _cell(row.listing), _cell(row.channel_sku), _cell(row.channel_now), would,
            Text(row.why),
        )  # fmt: skip
    if preview.rows:
        console.print(table)
    else:
        console.print("no paired listing: nothing to push (pair them with `channelhub pairing`)")
    notes = []
    if preview.unpaired:
        are = "listing is" if preview.unpaired == 1 else "listings are"
        notes.append(f"{preview.unpaired} {are} not paired: nothing is pushed to them")
    if preview.no_warehouse:
        notes.append(f"nothing is pushed: {NO_WAREHOUSE}")
    decision = preview.decision
    if decision is not None and decision.blocked:
        notes.append(
            f"the mass-drop guard would stop this push ({decision.reason()}): it goes ahead "
            "only confirmed"
        )
    if preview.block is not None:
        notes.append(
            f"a push was stopped at {preview.block.blocked_at:%Y-%m-%d %H:%M} UTC: "
            f"{preview.block.reason}"
        )
    for note in notes:
        console.print(note, markup=False)


@stock_app.command("push")
def push(
    ctx: typer.Context,
    account: str = typer.Argument(..., help="The channel account to push to."),
    full: bool = typer.Option(False, "--full", help="Recompute every listing (full sweep)."),
    preview_only: bool = typer.Option(
        False, "--preview", help="Show what a full push would send, and send nothing."
    ),
    confirm: bool = typer.Option(
        False,
        "--confirm",
        "--yes",
        "-y",
        help="Confirm without asking: turn stock sync on if it is off, and push even what "
        "the mass-drop guard stopped.",
    ),
    rules_path: Path | None = RULES_OPTION,
    wait: float = typer.Option(
        60, "--wait", min=0, help="seconds to wait while `channelhub run` pushes it (0: don't)"
    ),
) -> None:
    """Push the changed sellable quantities of ACCOUNT now, and print what happened.

    Stock sync off (a new account): shows a preview and asks before turning it on.

    A push that would cut many listings at once stops until --confirm.
    """
    from channelhub.jobs.stock.desk import push_now, push_preview
    from channelhub.jobs.stock.push import (
        StockPushStopped,
        StockSyncOff,
        load_rules,
        stock_sync_on,
        stopped_hint,
    )

    settings = settings_for(ctx)
    rulebook = load_rules(rules_path, home=settings.home)
    default_share = settings.stock.mass_drop_share
    with open_engine(settings) as engine:
        factory = make_session_factory(engine)
        with factory() as session:
            info = AccountInfo.of(get_account(session, account))
        from channelhub.connectors.registry import ConnectorRegistry  # push only: plugins
        from channelhub.connectors.roles import Role

        if Role.SALES_CHANNEL not in ConnectorRegistry().get(info.platform).roles:
            raise ConfigError(
                f"account {account!r} ({info.platform}) is not a sales channel: stock is pushed "
                "to sales channel accounts only"
            )
        sync_on = stock_sync_on(info.settings)
        if preview_only or not sync_on:
            with factory() as session:
                plan = push_preview(session, account, rulebook, default_share=default_share)
            print_preview(plan.preview, sync_on=sync_on)
            if preview_only:
                return
            if not confirm and not stdin_is_interactive():
                raise StockSyncOff(
                    f"stock sync is off for {account}: to turn it on and push the quantities "
                    f"above, run `channelhub stock push {account} --confirm`"
                )
            if not confirm:
                typer.confirm(
                    f"turn stock sync on for {account} and push these quantities?", abort=True
                )
            confirm = True  # the seller saw every quantity, cuts included, and said yes
        with factory() as session:
            connector = connector_factory_for(settings)(get_account(session, account))

        async def run() -> PushOutcome:
            try:
                return await push_now(
                    factory,
                    account,
                    connector,
                    rulebook,
                    now=datetime.now(UTC),
                    full=full,
                    confirm=confirm,
                    default_share=default_share,
                    lease_ttl=timedelta(seconds=settings.jobs.lease_seconds),
                    wait=timedelta(seconds=wait),
                    timing=job_options(settings).stock_timing,
                )
            finally:
                await connector.aclose()

        outcome = asyncio.run(run())
    if outcome.turned_on:
        console.print(
            f"stock sync is on for {account}: `channelhub run` pushes its quantities from now on",
            markup=False,
        )
    summary = outcome.summary
    console.print(summary.render(), markup=False)
    if summary.blocked is not None:
        raise StockPushStopped(f"{summary.blocked.reason()}: {stopped_hint(account)}")
    if summary.rejected or summary.error:
        raise typer.Exit(1)
