"""Which of an account's listings some binding pairs, counted in SQL (the mass-drop guard's
denominator for a push of changes).

The guard takes a push's cuts as a share of every listing the account's push positions. A
push of changes reads only the listings its SKUs reach, so it asks here how many listings
the account has in all, without building the book, the catalog and every listing in Python:
one query joins the account's listings to the active bindings that could pair them (by
channel SKU, or by listing id and variation, in the account's channel and account or
wider) and says per listing whether they all agree on one existing SKU. Those listings
pair exactly to that SKU; only the others (two answers, or a SKU not in the library) need
the book to decide (:func:`channelhub.jobs.stock.reach.positioned_count`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, union_all
from sqlalchemy.orm import Session

from channelhub.core.bindings import ListingRef
from channelhub.core.listing import ListingStatus
from channelhub.store.one_of import one_of
from channelhub.store.repos.listings import listing_ref
from channelhub.store.tables.listings import ListingRow
from channelhub.store.tables.orderflow import PairingRow
from channelhub.store.tables.products import SkuRow


@dataclass(frozen=True)
class PairedListing:
    """A stored listing some active binding could pair, and whether that is settled."""

    listing_id: str
    variation_id: str | None
    identifiers: dict[str, Any]
    #: every binding that applies ships the same SKU x multiplier, and the SKU exists: the
    #: listing resolves to it whatever the scopes (no conflict, nothing missing)
    settled: bool


def _applying(kind: str, subject: Any, channel: str, account: str) -> Select[int, str, int]:
    """(listing row id, SKU, multiplier) of each active ``kind`` binding applying to one of
    the account's listings that are not deleted."""
    listing, pairing = ListingRow, PairingRow
    applies = and_(
        pairing.active.is_(True),
        pairing.kind == kind,
        subject,
        or_(pairing.channel == "", pairing.channel == listing.channel),
        or_(pairing.account == "", pairing.account == listing.account),
    )
    return (
        select(listing.id.label("listing"), pairing.sku, pairing.multiplier)
        .join(pairing, applies)
        .where(
            listing.channel == channel,
            listing.account == account,
            listing.status != ListingStatus.DELETED.value,
        )
    )


def paired_listings(session: Session, *, channel: str, account: str) -> list[PairedListing]:
    """The account's listings (not deleted) that an active binding applies to, with whether
    it is :attr:`PairedListing.settled`; unpaired listings are left out."""
    listing, pairing = ListingRow, PairingRow
    by_sku = _applying("sku", pairing.value == listing.channel_sku, channel, account)
    by_id = _applying(
        "listing",
        and_(
            pairing.value == listing.listing_id,
            or_(pairing.variation_id == "", pairing.variation_id == listing.variation_id),
        ),
        channel,
        account,
    )
    found = union_all(by_sku, by_id).subquery()
    per_listing = (
        select(
            found.c.listing,
            func.count().label("bindings"),
            func.count(SkuRow.id).label("known"),
            func.min(found.c.sku).label("low_sku"),
            func.max(found.c.sku).label("high_sku"),
            func.min(found.c.multiplier).label("low_multiplier"),
            func.max(found.c.multiplier).label("high_multiplier"),
        )
        .outerjoin(SkuRow, SkuRow.code == found.c.sku)
        .group_by(found.c.listing)
        .subquery()
    )
    rows = session.execute(
        select(
            listing.listing_id,
            listing.variation_id,
            listing.identifiers,
            per_listing.c.bindings == per_listing.c.known,
            per_listing.c.low_sku == per_listing.c.high_sku,
            per_listing.c.low_multiplier == per_listing.c.high_multiplier,
        ).join(per_listing, per_listing.c.listing == listing.id)
    )
    return [
        PairedListing(
            listing_id=listing_id,
            variation_id=variation or None,
            identifiers=dict(identifiers or {}),
            settled=bool(known and one_sku and one_multiplier),
        )
        for listing_id, variation, identifiers, known, one_sku, one_multiplier in rows
    ]


def _binding_applies(kind: str) -> ColumnElement[bool]:
    """An active ``kind`` binding applies to the listing row (correlated: its subject, its
    channel and account or wider, its variation or any)."""
    listing, pairing = ListingRow, PairingRow
    subject: ColumnElement[bool] = (
        pairing.value == listing.channel_sku
        if kind == "sku"
        else and_(
            pairing.value == listing.listing_id,
            or_(pairing.variation_id == "", pairing.variation_id == listing.variation_id),
        )
    )
    return (
        select(pairing.id)
        .where(
            pairing.active.is_(True),
            pairing.kind == kind,
            subject,
            or_(pairing.channel == "", pairing.channel == listing.channel),
            or_(pairing.account == "", pairing.account == listing.account),
        )
        .exists()
    )


def unsettled_listings(session: Session) -> list[ListingRef]:
    """The stored listings (every status, in stored order) some binding may fail to pair:
    those no active binding applies to, and those naming a subject (channel SKU or listing
    id) whose active bindings ship more than one SKU x multiplier (a conflict is only
    possible there). Every other listing resolves without conflict; the pairing queue reads
    these few instead of every listing and the whole book."""
    listing, pairing = ListingRow, PairingRow
    disputed = session.execute(
        select(pairing.kind, pairing.value)
        .where(pairing.active.is_(True))
        .group_by(pairing.kind, pairing.value)
        .having(
            or_(
                func.min(pairing.sku) != func.max(pairing.sku),
                func.min(pairing.multiplier) != func.max(pairing.multiplier),
            )
        )
    ).all()
    skus = sorted({value for kind, value in disputed if kind == "sku"})
    ids = sorted({value for kind, value in disputed if kind == "listing"})
    either = [and_(~_binding_applies("sku"), ~_binding_applies("listing"))]
    if skus:
        either.append(one_of(session, listing.channel_sku, skus))
    if ids:
        either.append(one_of(session, listing.listing_id, ids))
    rows = session.scalars(select(listing).where(or_(*either)).order_by(listing.id))
    return [listing_ref(row) for row in rows]
