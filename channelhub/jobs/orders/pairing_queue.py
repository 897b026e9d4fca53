"""The pairing queue and its actions, shared by ``channelhub pairing ...`` and the console:
the unpaired listings with their scored candidates, binding (which re-plans the orders
waiting on the listing at once), unbinding, each listing's binding history and the orders
waiting on it.

A listing is written ``CHANNEL:ACCOUNT:CHANNEL_SKU`` or, for a channel without a SKU level,
``CHANNEL:ACCOUNT:listing=LISTING_ID[/VARIATION_ID]`` (:func:`parse_listing`,
:func:`listing_text`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from channelhub.core.bindings import Binding, ListingRef, PairingBook, PairingConflict, Scope
from channelhub.core.catalog import Catalog
from channelhub.core.errors import InvalidInput
from channelhub.core.lifecycle import HubStatus
from channelhub.core.order import OrderKey
from channelhub.core.pairing import Candidate, PairingConfig, suggest
from channelhub.core.sku_index import SkuIndex
from channelhub.core.validation import parse
from channelhub.store.repos.listings import listings_keyed, require_known_listing
from channelhub.store.repos.paired_listings import unsettled_listings
from channelhub.store.repos.pairings import (
    BindingVersion,
    binding_versions,
    load_book,
    retire_binding,
)
from channelhub.store.repos.products import get_sku
from channelhub.store.tables.listings import ListingRow
from channelhub.store.tables.orders import OrderLineRow, OrderRow
from channelhub.store.tables.products import SkuRow

if TYPE_CHECKING:  # binding re-plans orders through the pipeline; listing the queue does not
    from channelhub.core.flow import OrderPlan
    from channelhub.jobs.orders.pipeline import PipelineSettings


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


def listing_text(ref: ListingRef) -> str:
    """The LISTING text of ``ref`` (what :func:`parse_listing` reads back)."""
    if ref.channel_sku:
        return f"{ref.channel}:{ref.account}:{ref.channel_sku}"
    variation = f"/{ref.variation_id}" if ref.variation_id else ""
    return f"{ref.channel}:{ref.account}:listing={ref.listing_id}{variation}"


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


def with_identifiers(session: Session, ref: ListingRef) -> ListingRef:
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


@dataclass(frozen=True)
class Unpaired:
    """One listing no binding resolves: how many order lines wait on it, its candidates."""

    ref: ListingRef
    waiting: int
    candidates: tuple[Candidate, ...]

    @property
    def text(self) -> str:
        return listing_text(self.ref)


@dataclass(frozen=True)
class Waiting:
    """One entry of the queue before its candidates are scored: the listing shown and how
    many order lines wait on it."""

    ref: ListingRef
    waiting: int


def unpaired_listings(session: Session) -> list[Waiting]:
    """Listings no binding resolves, from waiting orders and stored listings, with the
    number of order lines waiting on each, in the queue's order (no candidates: a page of
    the queue scores only its own, :func:`with_candidates`).

    An order line and a stored listing with the same channel SKU are one entry (Amazon's
    order lines name the ASIN, its listings the SKU: one listing, not two to pair); the
    stored listing is shown, and the entry stays while any of them is unresolved.

    Neither the whole book nor every listing is read: the waiting lines are resolved with
    the bindings naming them, the stored listings come from :func:`unsettled_listings` (those
    no binding applies to, or whose bindings may disagree) and are resolved the same way.
    """
    lines = session.execute(
        select(OrderRow.channel, OrderRow.account, OrderLineRow)
        .join(OrderLineRow, OrderLineRow.order_id == OrderRow.id)
        .where(OrderRow.hub_status == HubStatus.AWAITING_PAIRING.value)
    ).all()
    line_refs = [
        ListingRef(
            channel=channel,
            account=account,
            listing_id=line.listing_id,
            variation_id=line.variation_id,
            channel_sku=line.channel_sku,
        )
        for channel, account, line in lines
    ]
    unsettled = unsettled_listings(session)
    book = load_book(session, [*line_refs, *unsettled])
    open_keys = {_key(ref) for ref in [*line_refs, *unsettled] if not resolved(book, ref)}
    # the stored listings sharing an open entry's key are shown in it, resolved or not
    stored = [ref for ref in listings_keyed(session, open_keys) if _key(ref) in open_keys]
    waiting: Counter[tuple[str | None, ...]] = Counter()
    groups: dict[tuple[str | None, ...], list[ListingRef]] = {}

    def note(ref: ListingRef, *, shown: bool = False) -> tuple[str | None, ...]:
        key = _key(ref)
        group = groups.setdefault(key, [])
        if shown:
            group.insert(0, ref)
        elif ref not in group:
            group.append(ref)
        return key

    for ref in line_refs:
        if _key(ref) in open_keys:
            waiting[note(ref)] += 1
    for ref in stored:
        note(ref, shown=True)
    return [Waiting(group[0], waiting.get(key, 0)) for key, group in groups.items()]


def _key(ref: ListingRef) -> tuple[str | None, ...]:
    """The queue entry of ``ref``: its channel SKU, else its listing id and variation."""
    if ref.channel_sku:
        return (ref.channel, ref.account, "sku", ref.channel_sku)
    return (ref.channel, ref.account, ref.listing_id, ref.variation_id)


def with_candidates(
    session: Session,
    entries: Iterable[Waiting],
    catalog: Catalog | SkuIndex,
    config: PairingConfig,
) -> list[Unpaired]:
    """The entries with their scored candidates (the stored listing's identifiers read)."""
    out = []
    for entry in entries:
        ref = entry.ref
        full = ref if ref.identifiers else with_identifiers(session, ref)
        out.append(Unpaired(ref, entry.waiting, suggest(full, catalog, config)))
    return out


def unpaired_queue(
    session: Session, catalog: Catalog | SkuIndex, config: PairingConfig
) -> list[Unpaired]:
    """The whole queue (:func:`unpaired_listings`), each entry with its candidates."""
    return with_candidates(session, unpaired_listings(session), catalog, config)


def resolved(book: PairingBook, ref: ListingRef) -> bool:
    """True when exactly one binding resolves ``ref`` (a conflict keeps it in the queue)."""
    try:
        return book.resolve(ref) is not None
    except PairingConflict:
        return False  # ambiguous bindings: in the queue until the seller settles them


def bind_listing(
    session: Session,
    ref: ListingRef,
    sku: str,
    *,
    multiplier: int,
    scope: Scope,
    settings: PipelineSettings,
    now: datetime,
    actor: str,
) -> tuple[Binding, list[tuple[OrderKey, OrderPlan]]]:
    """Bind a listing to a SKU, combo or kit x ``multiplier`` (a new version) and re-plan
    the open orders on it; an unknown SKU or listing is refused before anything is written."""
    from channelhub.jobs.orders.replan import rebind_orders

    binding = binding_for(ref, sku, multiplier=multiplier, scope=scope)
    get_sku(session, sku)  # NotFound names an unknown SKU before anything is written
    require_known_listing(session, ref)  # and an unknown channel, account or listing
    return rebind_orders(session, binding, settings=settings, now=now, actor=actor)


def unbind_listing(session: Session, ref: ListingRef, *, scope: Scope, now: datetime) -> Binding:
    """Retire the binding of a listing in a scope (kept in the history)."""
    binding = binding_for(ref, "UNBIND", multiplier=1, scope=scope)
    return retire_binding(session, binding, now=now)


def listing_history(session: Session, ref: ListingRef) -> list[BindingVersion]:
    """Every version of every binding of ``ref`` (account, channel and global scope), with
    who bound it, when, and when it was retired; oldest first."""
    out: list[BindingVersion] = []
    for scope in Scope:
        out.extend(binding_versions(session, binding_for(ref, "ANY", multiplier=1, scope=scope)))
    return sorted(out, key=lambda v: v.created_at)


#: Above this many SKUs the bind forms take a typed SKU code instead of a list of every SKU
#: (a list of 10,000 options in each row of a queue page is megabytes of page).
SKU_CHOICES_MAX = 500


def catalog_choices(catalog: Catalog) -> list[tuple[str, str]]:
    """Every local SKU a listing may be bound to, with its kind (single, combo, kit)."""
    return [(code, catalog.get(code).kind.value) for code in sorted(catalog.codes())]


def sku_choices(session: Session, limit: int | None = None) -> list[tuple[str, str]] | None:
    """:func:`catalog_choices` of a library of up to ``limit`` (:data:`SKU_CHOICES_MAX`)
    SKUs, read without the recipes; None for a bigger one (the form then asks for the code)."""
    limit = SKU_CHOICES_MAX if limit is None else limit
    rows = session.execute(select(SkuRow.code, SkuRow.kind).limit(limit + 1)).all()
    if len(rows) > limit:
        return None
    return sorted((code, kind) for code, kind in rows)


def waiting_orders(session: Session, ref: ListingRef, *, limit: int = 50) -> list[tuple[str, str]]:
    """The open orders with a line on ``ref``: (CHANNEL:ACCOUNT:ORDER_ID, hub status)."""
    matches = []
    if ref.channel_sku:
        matches.append(OrderLineRow.channel_sku == ref.channel_sku)
    if ref.listing_id:
        matches.append(OrderLineRow.listing_id == ref.listing_id)
    rows = session.execute(
        select(OrderRow.channel, OrderRow.account, OrderRow.external_id, OrderRow.hub_status)
        .join(OrderLineRow, OrderLineRow.order_id == OrderRow.id)
        .where(
            OrderRow.channel == ref.channel,
            OrderRow.account == ref.account,
            or_(*matches),
            OrderRow.hub_status == HubStatus.AWAITING_PAIRING.value,
        )
        .distinct()
        .order_by(OrderRow.external_id)
        .limit(limit)
    ).all()
    return [(f"{c}:{a}:{e}", s) for c, a, e, s in rows]
