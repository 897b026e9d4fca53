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
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from sqlalchemy import select
from sqlalchemy.orm import Session

from channelhub.cli import app
from channelhub.cli.home import open_engine, settings_for, vault_for
from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.registry import ConnectorRegistry
from channelhub.core.errors import InvalidInput, NotFound
from channelhub.core.listing import Listing, ListingKey
from channelhub.core.stock_account import account_for_units
from channelhub.jobs.stock_sync import explain_listing, load_rules, push_stock
from channelhub.settings import Settings
from channelhub.store.db import make_session_factory
from channelhub.store.repos.accounts import get_account
from channelhub.store.repos.listings import get_listing, to_listing
from channelhub.store.repos.stock_sync import PushRecord, push_history
from channelhub.store.tables.listings import ListingRow
from channelhub.store.tables.stock_sync import PushState

stock_app = typer.Typer(help="Stock back-sync: explain and push sellable quantities.")
app.add_typer(stock_app, name="stock")
console = Console(highlight=False, soft_wrap=True)

RULES_OPTION = typer.Option(
    None, "--rules", help="Rulebook TOML (default: <home>/rules.toml when present)."
)


def find_listings(session: Session, text: str, *, account: str | None) -> list[Listing]:
    """``channel:account:listing_id[/variation]``, or a channel SKU of ``account``."""
    if account is not None:
        platform = get_account(session, account).platform
        rows = session.scalars(
            select(ListingRow)
            .where(
                ListingRow.channel == platform,
                ListingRow.account == account,
                ListingRow.channel_sku == text,
            )
            .order_by(ListingRow.listing_id, ListingRow.variation_id)
        ).all()
        if not rows:
            raise NotFound(f"no listing of {platform}:{account} has the channel SKU {text!r}")
        return [to_listing(row) for row in rows]
    parts = text.split(":", 2)
    if len(parts) != 3 or not all(parts):
        raise InvalidInput.field(
            "LISTING", text, "is neither channel:account:listing_id[/variation] nor, with "
            "--account, a channel SKU",
        )  # fmt: skip
    channel, name, rest = parts
    # ids may hold "/" themselves: try the whole text as the listing id, then each split
    splits = [(rest, None)] + [
        (rest[:i], rest[i + 1 :]) for i, c in enumerate(rest) if c == "/" and 0 < i < len(rest) - 1
    ]
    for listing_id, variation in splits:
        key = ListingKey(
            channel=channel, account=name, listing_id=listing_id, variation_id=variation
        )
        try:
            return [get_listing(session, key)]
        except NotFound:
            continue
    raise NotFound(f"listing {text} is not in the hub")


def describe_push(history: Sequence[PushRecord]) -> list[str]:
    """The last push and the last value the channel confirmed."""
    if not history:
        return ["last push: never pushed"]
    last = history[0]
    when = last.pushed_at.isoformat()
    match last.state:
        case PushState.CONFIRMED:
            lines = [f"last push: {last.quantity} at {when}, confirmed by the channel"]
        case PushState.REJECTED:
            again = "retried next run" if last.retryable else "not retried until it changes"
            lines = [f"last push: {last.quantity} at {when}, REJECTED: {last.reason} ({again})"]
        case _:
            lines = [f"last push: {last.quantity} at {when}, pending (no answer yet)"]
    if last.state is not PushState.CONFIRMED:
        confirmed = next((p for p in history if p.state is PushState.CONFIRMED), None)
        lines.append(
            f"channel last confirmed: {confirmed.quantity} at {confirmed.pushed_at.isoformat()}"
            if confirmed
            else "channel last confirmed: nothing yet"
        )
    return lines


@stock_app.command("explain")
def explain(
    ctx: typer.Context,
    listing: str = typer.Argument(
        ..., help="channel:account:listing_id[/variation], or a channel SKU with --account."
    ),
    account: str | None = typer.Option(None, "--account", help="Account of a channel SKU."),
    rules_path: Path | None = RULES_OPTION,
) -> None:
    """Every input of a listing's sellable quantity, where each unit went, and the result."""
    settings = settings_for(ctx)
    rulebook = load_rules(rules_path, home=settings.home)
    with open_engine(settings) as engine, make_session_factory(engine)() as session:
        for found in find_listings(session, listing, account=account):
            allowed = rulebook.allocation.allowed_for(found.channel, found.account)
            explanation = explain_listing(
                session, found, rules=rulebook.stock, allowed_warehouses=allowed
            )
            console.print(explanation.render(), markup=False)
            if explanation.rule.warehouses is None and allowed is not None:
                console.print(
                    f"warehouses allowed by [allocation.allowed] for "
                    f"{found.channel}:{found.account}: {', '.join(allowed)}",
                    markup=False,
                )
            console.print("where every unit on hand went (base units):", markup=False)
            for unit_account in account_for_units(explanation):
                console.print(unit_account.render(), markup=False)
            for line in describe_push(push_history(session, found.key)):
                console.print(line, markup=False)


def connector_for(settings: Settings, session: Session, name: str) -> Any:
    """The account's connector from its stored row (base URL, credentials, settings)."""
    row = get_account(session, name)
    context = ConnectorContext(
        platform=row.platform,
        account=row.name,
        base_url=row.base_url,
        credentials=vault_for(settings).decrypt(row.credentials),
        settings=dict(row.settings or {}),
    )
    return ConnectorRegistry().create(context)


@stock_app.command("push")
def push(
    ctx: typer.Context,
    account: str = typer.Argument(..., help="The channel account to push to."),
    full: bool = typer.Option(False, "--full", help="Recompute every listing (full sweep)."),
    rules_path: Path | None = RULES_OPTION,
) -> None:
    """Push the changed sellable quantities of ACCOUNT now, and print what happened."""
    settings = settings_for(ctx)
    rulebook = load_rules(rules_path, home=settings.home)
    with open_engine(settings) as engine:
        factory = make_session_factory(engine)
        with factory() as session:
            connector = connector_for(settings, session, account)
        allowed = rulebook.allocation.allowed_for(connector.platform, account)

        async def run() -> Any:
            try:
                return await push_stock(
                    factory,
                    account=account,
                    connector=connector,
                    rules=rulebook.stock,
                    now=datetime.now(UTC),
                    full_sweep=full,
                    allowed_warehouses=allowed,
                )
            finally:
                await connector.aclose()

        summary = asyncio.run(run())
    console.print(summary.render(), markup=False)
    if summary.rejected or summary.error:
        raise typer.Exit(1)
