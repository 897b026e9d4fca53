"""``channelhub pairing list|suggest|bind|unbind``: which local SKU each listing ships.

LISTING is ``CHANNEL:ACCOUNT:CHANNEL_SKU`` or, for a channel without a SKU level,
``CHANNEL:ACCOUNT:listing=LISTING_ID[/VARIATION_ID]``. The work is done by
:mod:`channelhub.jobs.orders.pairing_queue` (the console's Pairing queue calls it too). Binding
re-plans at once the open orders on that listing (waiting for pairing or stock, or allocated
but not dispatched: their reservation is released and their warehouse order replaced by a
new revision).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer

from channelhub.cli import app
from channelhub.cli.home import open_session, settings_for
from channelhub.cli.rules import RULES_OPTION, load_rules, pipeline_settings
from channelhub.core.bindings import Scope
from channelhub.core.pairing import Candidate, suggest
from channelhub.core.sku_index import SkuIndex
from channelhub.jobs.orders.pairing_queue import (
    bind_listing,
    parse_listing,
    unbind_listing,
    unpaired_listings,
    with_candidates,
    with_identifiers,
)
from channelhub.store.repos.catalog import load_sku_marks
from channelhub.store.repos.pairings import list_bindings, load_book

pairing_app = typer.Typer(help="Pairing: channel listings -> local SKUs.", no_args_is_help=True)
app.add_typer(pairing_app, name="pairing")

ACTOR_OPTION = typer.Option("cli", "--actor", help="who binds (kept with the binding)")


def _candidates(cands: tuple[Candidate, ...], limit: int = 3) -> str:
    if not cands:
        return "no candidates"
    return "; ".join(
        f"{c.multiplier} x {c.sku} (score {c.score}: {c.evidence})" for c in cands[:limit]
    )


@pairing_app.command("list")
def list_pairings(ctx: typer.Context, rules: Path | None = RULES_OPTION) -> None:
    """Every binding in force, then the unpaired queue with candidates."""
    settings = settings_for(ctx)
    config = load_rules(settings, rules).pairing
    with open_session(settings) as session:
        bindings = list_bindings(session)
        entries = unpaired_listings(session)
        marks = load_sku_marks(session) if entries else SkuIndex(())
        queue = with_candidates(session, entries, marks, config)
    typer.echo(f"bindings ({len(bindings)}):")
    for b in bindings:
        typer.echo(f"  {b.describe()} [{b.source}]")
    typer.echo(f"unpaired ({len(queue)}):")
    for entry in queue:
        typer.echo(
            f"  {entry.ref}  ({entry.waiting} order line(s) waiting)  "
            f"candidates: {_candidates(entry.candidates)}"
        )


@pairing_app.command("suggest")
def suggest_cmd(
    ctx: typer.Context,
    listing: str = typer.Argument(..., help="CHANNEL:ACCOUNT:SKU or ...:listing=ID"),
    rules: Path | None = RULES_OPTION,
) -> None:
    """The local SKUs a listing may ship, best first, with the evidence for each."""
    settings = settings_for(ctx)
    ref = parse_listing(listing)
    config = load_rules(settings, rules).pairing
    with open_session(settings) as session:
        bound = load_book(session, [ref]).resolve(ref)
        cands = suggest(with_identifiers(session, ref), load_sku_marks(session), config)
    if bound is not None:
        typer.echo(f"{ref}: bound by {bound.describe()}")
    for c in cands:
        typer.echo(f"  {c.multiplier} x {c.sku}  score {c.score}  {c.source.value}: {c.evidence}")
    if not cands:
        typer.echo(f"{ref}: no candidates (bind it by hand: channelhub pairing bind)")


@pairing_app.command("bind")
def bind(
    ctx: typer.Context,
    listing: str = typer.Argument(..., help="CHANNEL:ACCOUNT:SKU or ...:listing=ID"),
    sku: str = typer.Argument(..., help="the local SKU it ships"),
    multiplier: int = typer.Option(
        1, "--multiplier", min=1, max=10_000, help="units of SKU per listing"
    ),
    scope: Scope = typer.Option(Scope.ACCOUNT, "--scope", help="account, channel or global"),
    rules: Path | None = RULES_OPTION,
    actor: str = ACTOR_OPTION,
) -> None:
    """Bind a listing to a SKU (a new version) and re-plan the open orders on it."""
    settings = settings_for(ctx)
    ref = parse_listing(listing)
    pipeline = pipeline_settings(load_rules(settings, rules))
    with open_session(settings) as session:
        stored, planned = bind_listing(
            session,
            ref,
            sku,
            multiplier=multiplier,
            scope=scope,
            settings=pipeline,
            now=datetime.now(UTC),
            actor=actor,
        )
    typer.echo(f"bound {stored.describe()}")
    for key, plan in planned:
        typer.echo(f"  re-planned {key}: {plan.status.value}: {plan.reason}")


@pairing_app.command("unbind")
def unbind(
    ctx: typer.Context,
    listing: str = typer.Argument(..., help="CHANNEL:ACCOUNT:SKU or ...:listing=ID"),
    scope: Scope = typer.Option(Scope.ACCOUNT, "--scope", help="account, channel or global"),
) -> None:
    """Retire the binding of a listing in a scope (kept in the history)."""
    with open_session(settings_for(ctx)) as session:
        retired = unbind_listing(
            session, parse_listing(listing), scope=scope, now=datetime.now(UTC)
        )
    typer.echo(f"unbound {retired.describe()}")
