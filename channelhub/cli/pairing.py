"""``channelhub pairing list|suggest|bind|unbind``: which local SKU each listing ships.

LISTING is ``CHANNEL:ACCOUNT:CHANNEL_SKU`` or, for a channel without a SKU level,
``CHANNEL:ACCOUNT:listing=LISTING_ID[/VARIATION_ID]``. Binding re-plans at once the open
orders on that listing (waiting for pairing or stock, or allocated but not dispatched: their
reservation is released and their warehouse order replaced by a new revision).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from channelhub.cli import app
from channelhub.cli.home import open_session, settings_for
from channelhub.cli.rules import RULES_OPTION, load_rules, pipeline_settings
from channelhub.core.bindings import Binding, ListingRef, PairingBook, PairingConflict, Scope
from channelhub.core.catalog import Catalog
from channelhub.core.errors import InvalidInput
from channelhub.core.lifecycle import HubStatus
from channelhub.core.pairing import Candidate, PairingConfig, suggest
from channelhub.core.validation import parse
from channelhub.jobs.replan import rebind_orders
from channelhub.store.repos.catalog import load_catalog
from channelhub.store.repos.listings import listing_refs, require_known_listing
from channelhub.store.repos.pairings import list_bindings, load_book, retire_binding
from channelhub.store.repos.products import get_sku
from channelhub.store.tables.listings import ListingRow
from channelhub.store.tables.orders import OrderLineRow, OrderRow

pairing_app = typer.Typer(help="Pairing: channel listings -> local SKUs.", no_args_is_help=True)
app.add_typer(pairing_app, name="pairing")

ACTOR_OPTION = typer.Option("cli", "--actor", help="who binds (kept with the binding)")


def parse_listing(text: str) -> ListingRef:
    """LISTING (see the module docstring) as a reference."""
    parts = text.split(":", 2)
    if len(parts) != 3 or not all(p.strip() for p in parts):
        raise InvalidInput.field(
            "LISTING", text, "is not CHANNEL:ACCOUNT:SKU or CHANNEL:ACCOUNT:listing=ID[/VARIATION]"
        )
    channel, account, what = parts
    if what.startswith("listing="):
        listing_id, _, variation = what.removeprefix("listing=").partition("/")
        if not listing_id:
            raise InvalidInput.field("LISTING", text, "names no listing id after listing=")
        return ListingRef(
            channel=channel, account=account, listing_id=listing_id, variation_id=variation or None
        )
    return ListingRef(channel=channel, account=account, channel_sku=what)


def binding_for(ref: ListingRef, sku: str, *, multiplier: int, scope: Scope) -> Binding:
    """The binding of ``ref`` in ``scope`` (a global one drops the channel and account)."""
    return parse(
        Binding,
        {
            "scope": scope,
            "channel": None if scope is Scope.GLOBAL else ref.channel,
            "account": ref.account if scope is Scope.ACCOUNT else None,
            "channel_sku": ref.channel_sku,
            "listing_id": ref.listing_id,
            "variation_id": ref.variation_id,
            "sku": sku,
            "multiplier": multiplier,
        },
        source="binding",
    )


def _with_identifiers(session: Session, ref: ListingRef) -> ListingRef:
    """The reference enriched with the stored listing's identifiers (GTIN, ASIN...)."""
    query = select(ListingRow).where(
        ListingRow.channel == ref.channel, ListingRow.account == ref.account
    )
    if ref.listing_id:
        query = query.where(ListingRow.listing_id == ref.listing_id)
    else:
        query = query.where(ListingRow.channel_sku == ref.channel_sku)
    row = session.scalars(query.limit(1)).first()
    if row is None:
        return ref
    return ref.model_copy(update={"identifiers": {k: str(v) for k, v in row.identifiers.items()}})


def _candidates(cands: tuple[Candidate, ...], limit: int = 3) -> str:
    if not cands:
        return "no candidates"
    return "; ".join(
        f"{c.multiplier} x {c.sku} (score {c.score}: {c.evidence})" for c in cands[:limit]
    )


def unpaired_queue(
    session: Session, book: PairingBook, catalog: Catalog, config: PairingConfig
) -> list[tuple[ListingRef, int, tuple[Candidate, ...]]]:
    """Listings no binding resolves: from waiting orders and stored listings, with the
    number of orders waiting on each and the candidates.

    An order line and a stored listing with the same channel SKU are one entry (Amazon's
    order lines name the ASIN, its listings the SKU: one listing, not two to pair); the
    stored listing is shown, and the entry stays while any of them is unresolved.
    """
    waiting: Counter[tuple[str | None, ...]] = Counter()
    groups: dict[tuple[str | None, ...], list[ListingRef]] = {}

    def note(ref: ListingRef, *, shown: bool = False) -> tuple[str | None, ...]:
        key: tuple[str | None, ...] = (
            (ref.channel, ref.account, "sku", ref.channel_sku)
            if ref.channel_sku
            else (ref.channel, ref.account, ref.listing_id, ref.variation_id)
        )
        group = groups.setdefault(key, [])
        if shown:
            group.insert(0, ref)
        elif ref not in group:
            group.append(ref)
        return key

    lines = session.execute(
        select(OrderRow.channel, OrderRow.account, OrderLineRow)
        .join(OrderLineRow, OrderLineRow.order_id == OrderRow.id)
        .where(OrderRow.hub_status == HubStatus.AWAITING_PAIRING.value)
    ).all()
    for channel, account, line in lines:
        ref = ListingRef(
            channel=channel,
            account=account,
            listing_id=line.listing_id,
            variation_id=line.variation_id,
            channel_sku=line.channel_sku,
        )
        waiting[note(ref)] += 1
    for ref in listing_refs(session):
        note(ref, shown=True)
    out = []
    for key, group in groups.items():
        if all(_resolved(book, ref) for ref in group):
            continue
        ref = group[0]
        full = ref if ref.identifiers else _with_identifiers(session, ref)
        out.append((ref, waiting.get(key, 0), suggest(full, catalog, config)))
    return out


def _resolved(book: PairingBook, ref: ListingRef) -> bool:
    try:
        return book.resolve(ref) is not None
    except PairingConflict:
        return False  # ambiguous bindings: in the queue until the seller settles them


@pairing_app.command("list")
def list_pairings(ctx: typer.Context, rules: Path | None = RULES_OPTION) -> None:
    """Every binding in force, then the unpaired queue with candidates."""
    settings = settings_for(ctx)
    config = load_rules(settings, rules).pairing
    with open_session(settings) as session:
        bindings = list_bindings(session)
        queue = unpaired_queue(session, load_book(session), load_catalog(session), config)
    typer.echo(f"bindings ({len(bindings)}):")
    for b in bindings:
        typer.echo(f"  {b.describe()} [{b.source}]")
    typer.echo(f"unpaired ({len(queue)}):")
    for ref, orders, cands in queue:
        typer.echo(f"  {ref}  ({orders} order line(s) waiting)  candidates: {_candidates(cands)}")


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
        bound = load_book(session).resolve(ref)
        cands = suggest(_with_identifiers(session, ref), load_catalog(session), config)
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
    binding = binding_for(ref, sku, multiplier=multiplier, scope=scope)
    pipeline = pipeline_settings(load_rules(settings, rules))
    with open_session(settings) as session:
        get_sku(session, sku)  # NotFound names an unknown SKU before anything is written
        require_known_listing(session, ref)  # and an unknown channel, account or listing
        stored, planned = rebind_orders(
            session, binding, settings=pipeline, now=datetime.now(UTC), actor=actor
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
    binding = binding_for(parse_listing(listing), "UNBIND", multiplier=1, scope=scope)
    with open_session(settings_for(ctx)) as session:
        retired = retire_binding(session, binding, now=datetime.now(UTC))
    typer.echo(f"unbound {retired.describe()}")
