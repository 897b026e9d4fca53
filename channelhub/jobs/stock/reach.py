"""What a stock change reaches: the listings whose quantity some changed SKUs can move,
read without the rest of the library.

A push of changes and the waker used to read every listing of every account, the whole
book and the whole catalog to learn which few listings ship the SKUs that changed (seconds
for a seller of 10,000 SKUs). Here the way runs backwards from the change instead:

changed stock SKUs -> every SKU built of them (:func:`consumers_of`, up through combos and
kits) -> the active bindings to those (:func:`bindings_shipping`) -> the account's listings
those bindings name (by channel SKU or listing id) -> resolved with a book holding every
binding that names them and a catalog of the SKUs that book binds (so a narrower binding to
another SKU still wins, exactly as in the whole book). A listing whose quantity needs a
changed SKU is bound to that SKU or to one built of it, so it is always among them.

:func:`positioned_count` gives the mass-drop guard its denominator, the account's listings
a full push positions, with one SQL query and the book only for the unsettled few.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from channelhub.core.bindings import Binding, ListingRef
from channelhub.core.catalog import Catalog
from channelhub.core.listing import FULFILMENT_NETWORK, Listing, ListingKey
from channelhub.core.sellable import StockRules
from channelhub.jobs.stock.compute import Resolved, resolve, unknown_stock_at
from channelhub.store.repos.catalog import consumers_of, load_catalog
from channelhub.store.repos.listings import listings_named
from channelhub.store.repos.paired_listings import paired_listings
from channelhub.store.repos.pairings import bindings_shipping, load_book


def resolve_listings(session: Session, listings: Sequence[Listing]) -> tuple[Catalog, Resolved]:
    """``listings`` resolved as the whole book and catalog would: the book of every binding
    naming them, the catalog of the SKUs that book binds and every component under them."""
    book = load_book(session, [ListingRef.of_listing(listing) for listing in listings])
    catalog = load_catalog(session, {binding.sku for binding in book})
    return catalog, resolve(listings, book=book, catalog=catalog)


def bindings_reached(session: Session, skus: Iterable[str]) -> list[Binding]:
    """The active bindings to ``skus`` or to a SKU built of one of them."""
    wanted = set(skus)
    return bindings_shipping(session, consumers_of(session, wanted)) if wanted else []


def _named_on(bindings: Iterable[Binding], channel: str, account: str) -> tuple[set[str], set[str]]:
    """The channel SKUs and listing ids ``bindings`` name on the account (a binding of
    another channel or account cannot pair its listings)."""
    channel_skus: set[str] = set()
    listing_ids: set[str] = set()
    for binding in bindings:
        if binding.channel not in (None, channel) or binding.account not in (None, account):
            continue
        if binding.channel_sku is not None:
            channel_skus.add(binding.channel_sku)
        elif binding.listing_id is not None:
            listing_ids.add(binding.listing_id)
    return channel_skus, listing_ids


def listings_reached(
    session: Session,
    *,
    channel: str,
    account: str,
    bindings: Iterable[Binding],
    also: Collection[ListingKey] = (),
) -> list[Listing]:
    """The account's listings ``bindings`` name, and the listings ``also`` names, in key
    order (as the push reads a whole account)."""
    channel_skus, listing_ids = _named_on(bindings, channel, account)
    listing_ids |= {key.listing_id for key in also}
    return listings_named(
        session,
        channel=channel,
        account=account,
        channel_skus=channel_skus,
        listing_ids=listing_ids,
    )


def touching(
    session: Session,
    *,
    channel: str,
    account: str,
    skus: Iterable[str],
    also: Collection[ListingKey] = (),
) -> tuple[Catalog, Resolved]:
    """The account's listings a change of ``skus`` can move, plus ``also``, resolved (see
    the module docstring); a superset of those whose needs hold a changed SKU."""
    bindings = bindings_reached(session, skus)
    listings = listings_reached(
        session, channel=channel, account=account, bindings=bindings, also=also
    )
    return resolve_listings(session, listings)


def accounts_reached(
    session: Session, skus: Collection[str], accounts: Mapping[str, str]
) -> set[str]:
    """Of ``accounts`` (name -> platform), those with a paired listing whose quantity needs
    one of ``skus`` (through its binding, pack size or bundle components)."""
    wanted = set(skus)
    bindings = bindings_reached(session, wanted)
    found = set()
    for name, platform in accounts.items():
        listings = listings_reached(session, channel=platform, account=name, bindings=bindings)
        if not listings:
            continue
        _, resolved = resolve_listings(session, listings)
        if any(target.needs.keys() & wanted for target in resolved.targets):
            found.add(name)
    return found


def positioned_count(
    session: Session,
    *,
    channel: str,
    account: str,
    rules: StockRules,
    allowed_warehouses: Sequence[str] | None,
    known_at: Mapping[str, datetime | None],
) -> int:
    """How many of the account's listings a full push positions: paired (resolved without
    conflict to a SKU of the library), shipped by the seller (not channel-fulfilled), every
    warehouse serving it of known stock. Exactly what a full push counts, from
    :func:`paired_listings`; only listings whose bindings disagree or name a missing SKU are
    resolved through the book."""

    def unknown(listing_id: str, variation_id: str | None) -> bool:
        key = _rule_key(rules, channel, account, listing_id, variation_id)
        missing = unknown_stock_at(
            channel=channel,
            account=account,
            listing=key,
            rules=rules,
            allowed_warehouses=allowed_warehouses,
            known_at=known_at,
        )
        return bool(missing)

    paired = paired_listings(session, channel=channel, account=account)
    count = sum(
        1
        for p in paired
        if p.settled
        and p.identifiers.get(FULFILMENT_NETWORK) is None
        and not unknown(p.listing_id, p.variation_id)
    )
    unsettled = {(p.listing_id, p.variation_id) for p in paired if not p.settled}
    if not unsettled:
        return count
    listings = [
        listing
        for listing in listings_named(
            session,
            channel=channel,
            account=account,
            listing_ids={listing_id for listing_id, _ in unsettled},
        )
        if (listing.listing_id, listing.variation_id) in unsettled
    ]
    _, resolved = resolve_listings(session, listings)
    mine = resolved.without_channel_fulfilled().targets
    return count + sum(1 for t in mine if not unknown(t.listing.listing_id, t.listing.variation_id))


def _rule_key(
    rules: StockRules, channel: str, account: str, listing_id: str, variation_id: str | None
) -> str:
    """The listing's key as the rules name it; "" when no rule names a listing (every
    listing of the account then has the same rule: no key to build for each)."""
    if not rules.listings:
        return ""
    key = ListingKey(
        channel=channel, account=account, listing_id=listing_id, variation_id=variation_id
    )
    return str(key)
