"""Listings: upsert on (channel, account, listing id, variation id), guarded by ``updated_at``.

A listing whose channel gives no ``updated_at`` (a plain snapshot, e.g. eBay's inventory
items and offers) updates when any stored value differs, and is counted unchanged otherwise,
so a second sync of an unchanged account reports 0 updated.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, false, or_, select, true, union
from sqlalchemy.orm import Session

from channelhub.core.bindings import ListingRef
from channelhub.core.errors import InvalidInput, NotFound
from channelhub.core.listing import Listing, ListingKey
from channelhub.core.money import Money
from channelhub.store.one_of import one_of
from channelhub.store.repos._upsert import Upserted, guarded_upsert
from channelhub.store.tables.accounts import Account
from channelhub.store.tables.listings import ListingRow
from channelhub.store.tables.orders import OrderLineRow, OrderRow


def upsert_listing(session: Session, listing: Listing, *, now: datetime) -> Upserted:
    """Store a listing; an older ``updated_at`` than the stored one changes nothing."""
    values: dict[str, Any] = {
        "channel_sku": listing.channel_sku,
        "title": listing.title,
        "price": listing.price.amount if listing.price else None,
        "currency": listing.price.currency if listing.price else None,
        "quantity": listing.quantity,
        "status": listing.status.value,
        "marketplace": listing.marketplace,
        "identifiers": dict(listing.identifiers),
        "inventory_ref": listing.inventory_ref,
        "remote_updated_at": listing.updated_at,
    }
    key = {
        "channel": listing.channel,
        "account": listing.account,
        "listing_id": listing.listing_id,
        "variation_id": listing.variation_id or "",
    }
    newer: ColumnElement[bool]
    if listing.updated_at is None:
        # the same values again are no change (counted unchanged), anything else applies
        newer = false() if _same_snapshot(session, key, values) else true()
    else:
        newer = ListingRow.remote_updated_at.is_(None) | (
            ListingRow.remote_updated_at < listing.updated_at
        )
    return guarded_upsert(
        session,
        ListingRow,
        key=key,
        insert_values={**values, "created_at": now, "updated_at": now},
        update_values={**values, "updated_at": now},
        newer=newer,
    )


def _same_snapshot(session: Session, key: Mapping[str, Any], values: Mapping[str, Any]) -> bool:
    """Whether the stored row already holds exactly ``values`` (read from the database, not
    the session's cache); False when there is no row yet."""
    columns = [getattr(ListingRow, name) for name in values]
    match = [getattr(ListingRow, name) == value for name, value in key.items()]
    row = session.execute(select(*columns).where(*match)).one_or_none()
    return row is not None and tuple(row) == tuple(values.values())


def to_listing(row: ListingRow) -> Listing:
    """The canonical Listing back from its row."""
    price = (
        Money(amount=row.price, currency=row.currency)
        if row.price is not None and row.currency
        else None
    )
    return Listing.model_validate(
        {
            "channel": row.channel,
            "account": row.account,
            "listing_id": row.listing_id,
            "variation_id": row.variation_id or None,
            "channel_sku": row.channel_sku,
            "title": row.title,
            "price": price,
            "quantity": row.quantity,
            "status": row.status,
            "marketplace": row.marketplace,
            "identifiers": dict(row.identifiers or {}),
            "inventory_ref": row.inventory_ref,
            "updated_at": row.remote_updated_at,
        },
        strict=False,
    )


def listing_refs(session: Session) -> list[ListingRef]:
    """Every stored listing as pairing sees it (what a binding resolves), in stored order."""
    return [listing_ref(row) for row in session.scalars(select(ListingRow).order_by(ListingRow.id))]


def listing_ref(row: ListingRow) -> ListingRef:
    """A stored listing as pairing sees it, with its identifiers (GTIN, ASIN...)."""
    return ListingRef(
        channel=row.channel,
        account=row.account,
        listing_id=row.listing_id,
        variation_id=row.variation_id or None,
        channel_sku=row.channel_sku,
        identifiers={k: str(v) for k, v in row.identifiers.items()},
    )


def listings_keyed(session: Session, keys: Iterable[tuple[str | None, ...]]) -> list[ListingRef]:
    """The stored listings (in stored order) that may hold one of the pairing queue's
    ``keys``: ``(channel, account, "sku", channel SKU)`` or ``(channel, account, listing id,
    variation)``; a superset (same SKU or id on another account): the caller matches keys."""
    skus, ids = set(), set()
    for key in keys:
        if key[2] == "sku" and len(key) == 4 and key[3] is not None:
            skus.add(key[3])
        if key[2] is not None:
            ids.add(key[2])
    if not skus and not ids:
        return []
    either = []
    if skus:
        either.append(one_of(session, ListingRow.channel_sku, sorted(skus)))
    if ids:
        either.append(one_of(session, ListingRow.listing_id, sorted(ids)))
    query = select(ListingRow).where(or_(*either)).order_by(ListingRow.id)
    return [listing_ref(row) for row in session.scalars(query)]


def get_listing(session: Session, key: ListingKey) -> Listing:
    """The stored listing for ``key`` or :class:`NotFound`."""
    row = session.scalars(
        select(ListingRow).where(
            ListingRow.channel == key.channel,
            ListingRow.account == key.account,
            ListingRow.listing_id == key.listing_id,
            ListingRow.variation_id == (key.variation_id or ""),
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"listing {key} is not in the hub")
    return to_listing(row)


def list_listings(session: Session, *, channel: str, account: str) -> Sequence[Listing]:
    """Every stored listing of one account, in key order."""
    rows = session.scalars(
        select(ListingRow)
        .where(ListingRow.channel == channel, ListingRow.account == account)
        .order_by(ListingRow.listing_id, ListingRow.variation_id)
    )
    return [to_listing(row) for row in rows]


def listings_named(
    session: Session,
    *,
    channel: str,
    account: str,
    channel_skus: Iterable[str] = (),
    listing_ids: Iterable[str] = (),
) -> list[Listing]:
    """The account's stored listings with one of ``channel_skus`` or ``listing_ids`` (every
    variation of a listing id), in key order as :func:`list_listings`: what the bindings of
    some SKUs can pair, read on the listings' two indexes instead of the whole account."""
    skus, ids = sorted(set(channel_skus)), sorted(set(listing_ids))
    # the ids of each index's matches, united: SQLite plans ``channel_sku IN .. OR
    # listing_id IN ..`` as a scan of the whole account, whichever way the OR is written
    matches = [
        select(ListingRow.id).where(
            ListingRow.channel == channel,
            ListingRow.account == account,
            one_of(session, column, values),
        )
        for column, values in ((ListingRow.channel_sku, skus), (ListingRow.listing_id, ids))
        if values
    ]
    if not matches:
        return []
    rows = session.scalars(
        select(ListingRow)
        .where(ListingRow.id.in_(union(*matches).scalar_subquery()))
        .order_by(ListingRow.listing_id, ListingRow.variation_id)
    )
    return [to_listing(row) for row in rows]


def require_known_listing(session: Session, ref: ListingRef) -> None:
    """Refuse a listing the hub has never seen, so a typo cannot become a binding that
    matches nothing: its channel must have an account, the account must exist on that
    channel, and the listing must be stored (pulled) or named by one of its order lines."""
    platforms = set(session.scalars(select(Account.platform).distinct()))
    if ref.channel not in platforms:
        known = ", ".join(sorted(platforms)) or "none yet"
        raise NotFound(
            f"channel {ref.channel!r} has no account (channels with accounts: {known}; "
            "see `channelhub accounts list`)"
        )
    account = session.scalars(select(Account).where(Account.name == ref.account)).one_or_none()
    if account is None:
        raise NotFound(f"account {ref.account!r} does not exist (see `channelhub accounts list`)")
    if account.platform != ref.channel:
        raise InvalidInput.field(
            "LISTING", str(ref), f"names account {ref.account!r}, which is on {account.platform}"
        )
    if not (_stored(session, ref) or _on_an_order(session, ref)):
        raise NotFound(
            f"listing {ref} is unknown: no listing pulled from {ref.account} and no order line "
            f"names it (run `channelhub sync listings {ref.account}` first)"
        )


def _stored(session: Session, ref: ListingRef) -> bool:
    query = select(ListingRow.id).where(
        ListingRow.channel == ref.channel, ListingRow.account == ref.account
    )
    if ref.listing_id:
        query = query.where(ListingRow.listing_id == ref.listing_id)
        if ref.variation_id:
            query = query.where(ListingRow.variation_id == ref.variation_id)
    else:
        query = query.where(ListingRow.channel_sku == ref.channel_sku)
    return session.scalars(query.limit(1)).first() is not None


def _on_an_order(session: Session, ref: ListingRef) -> bool:
    query = (
        select(OrderLineRow.id)
        .join(OrderRow, OrderLineRow.order_id == OrderRow.id)
        .where(OrderRow.channel == ref.channel, OrderRow.account == ref.account)
    )
    if ref.listing_id:
        query = query.where(OrderLineRow.listing_id == ref.listing_id)
        if ref.variation_id:
            query = query.where(OrderLineRow.variation_id == ref.variation_id)
    else:
        query = query.where(OrderLineRow.channel_sku == ref.channel_sku)
    return session.scalars(query.limit(1)).first() is not None
