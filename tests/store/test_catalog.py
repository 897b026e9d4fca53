"""Listings (guarded upsert on the 4-part key) and the SKU library."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from channelhub.core.errors import InvalidInput, NotFound
from channelhub.core.models import (
    Component,
    Listing,
    ListingKey,
    Money,
    Sku,
    SkuKind,
    UnitOfMeasure,
)
from channelhub.store.repos._upsert import UpsertOutcome
from channelhub.store.repos.listings import get_listing, list_listings, upsert_listing
from channelhub.store.repos.products import get_sku, upsert_sku
from channelhub.store.tables.listings import ListingRow

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def listing(qty: int, updated: datetime | None, variation: str | None = None) -> Listing:
    return Listing(
        channel="amazon",
        account="amz-de",
        listing_id="B000TEST01",
        variation_id=variation,
        channel_sku="MUG-2PK",
        title="Mug, 2-pack",
        price=Money.of("12.50", "EUR"),
        quantity=qty,
        updated_at=updated,
    )


def test_listing_upsert_is_guarded(session: Session) -> None:
    assert upsert_listing(session, listing(5, T0), now=T0).outcome is UpsertOutcome.INSERTED
    assert upsert_listing(session, listing(9, T0 - timedelta(days=1)), now=T0).outcome == "stale"
    assert upsert_listing(session, listing(7, T0 + timedelta(hours=1)), now=T0).outcome == "updated"
    key = ListingKey(channel="amazon", account="amz-de", listing_id="B000TEST01")
    assert get_listing(session, key) == listing(7, T0 + timedelta(hours=1))


def test_listing_without_variation_is_one_row(session: Session) -> None:
    upsert_listing(session, listing(1, None), now=T0)
    upsert_listing(session, listing(2, None), now=T0)  # no remote time: a snapshot, applies
    upsert_listing(session, listing(3, None, variation="red"), now=T0)
    assert session.scalar(select(func.count()).select_from(ListingRow)) == 2
    by_variation = {
        item.variation_id: item.quantity
        for item in list_listings(session, channel="amazon", account="amz-de")
    }
    assert by_variation == {None: 2, "red": 3}


def test_a_snapshot_listing_that_did_not_change_is_unchanged(session: Session) -> None:
    # eBay gives no modification time: the same values twice are not an update
    assert upsert_listing(session, listing(4, None), now=T0).outcome is UpsertOutcome.INSERTED
    again = upsert_listing(session, listing(4, None), now=T0 + timedelta(hours=1))
    assert again.outcome is UpsertOutcome.STALE
    changed = upsert_listing(session, listing(6, None), now=T0 + timedelta(hours=2))
    assert changed.outcome is UpsertOutcome.UPDATED and changed.id == again.id
    key = ListingKey(channel="amazon", account="amz-de", listing_id="B000TEST01")
    assert get_listing(session, key).quantity == 6
    with_upc = listing(6, None).model_copy(update={"identifiers": {"upc": "012345678905"}})
    assert upsert_listing(session, with_upc, now=T0).outcome is UpsertOutcome.UPDATED
    assert upsert_listing(session, with_upc, now=T0).outcome is UpsertOutcome.STALE


def test_sku_with_components(session: Session) -> None:
    upsert_sku(session, Sku(code="MUG", units=(UnitOfMeasure(name="case", base_units=24),)), now=T0)
    upsert_sku(session, Sku(code="LID"), now=T0)
    combo = Sku(
        code="MUG-SET",
        kind=SkuKind.COMBO,
        components=(Component(sku="MUG", qty=2), Component(sku="LID", qty=2)),
    )
    upsert_sku(session, combo, now=T0)
    session.commit()
    assert get_sku(session, "MUG-SET") == combo
    assert get_sku(session, "MUG").to_base_units(2, "case") == 48
    smaller = combo.model_copy(update={"components": (Component(sku="MUG", qty=1),)})
    upsert_sku(session, smaller, now=T0)
    assert get_sku(session, "MUG-SET").components == (Component(sku="MUG", qty=1),)


def test_unknown_component_is_refused(session: Session) -> None:
    kit = Sku(code="KIT", kind=SkuKind.KIT, components=(Component(sku="NOPE", qty=1),))
    with pytest.raises(InvalidInput, match="component: 'NOPE' is not a known SKU"):
        upsert_sku(session, kit, now=T0)
    with pytest.raises(NotFound):
        get_sku(session, "KIT")
