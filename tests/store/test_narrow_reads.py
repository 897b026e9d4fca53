"""The pairing book and the catalog read for a few listings: just what those can touch, with
the same answers as the whole book and library (the pipeline's planner reads them so)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from channelhub.core.bindings import Binding, ListingRef, Scope
from channelhub.core.models import Component, Sku, SkuKind
from channelhub.store.repos.catalog import load_catalog
from channelhub.store.repos.pairings import BuiltBindings, load_book, save_binding
from channelhub.store.repos.products import upsert_sku

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _library(session: Session) -> None:
    """60 singles, a combo of two, a combo holding that combo; bindings at every scope."""
    for n in range(60):
        upsert_sku(session, Sku(code=f"S{n:02d}"), now=T0)
    combo = [Component(sku="S01", qty=1), Component(sku="S02", qty=2)]
    upsert_sku(session, Sku(code="PAIR", kind=SkuKind.COMBO, components=combo), now=T0)
    nested = [Component(sku="PAIR", qty=1), Component(sku="S03", qty=1)]
    upsert_sku(session, Sku(code="GIFT", kind=SkuKind.COMBO, components=nested), now=T0)
    for n in range(60):
        bind(session, Scope.ACCOUNT, channel_sku=f"CS{n:02d}", sku=f"S{n:02d}", account="a1")
    bind(session, Scope.GLOBAL, channel_sku="CS07", sku="S08")
    bind(session, Scope.CHANNEL, channel_sku="BOX", sku="GIFT")
    bind(session, Scope.ACCOUNT, listing_id="L1", sku="PAIR", account="a2")
    bind(session, Scope.ACCOUNT, listing_id="L1", variation_id="red", sku="S09", account="a2")


def bind(session: Session, scope: Scope, *, sku: str, account: str = "", **subject: str) -> None:
    binding = Binding(
        scope=scope,
        channel=None if scope is Scope.GLOBAL else "shopify",
        account=account or None,
        sku=sku,
        **subject,
    )
    save_binding(session, binding, now=T0, actor="test")


def _refs() -> list[ListingRef]:
    def ref(account: str, **kw: str) -> ListingRef:
        return ListingRef(channel="shopify", account=account, **kw)

    return [
        ref("a1", channel_sku="CS07"),  # account scope beats the global one
        ref("a9", channel_sku="CS07"),  # only the global one applies
        ref("a1", channel_sku="BOX"),
        ref("a2", listing_id="L1", variation_id="red", channel_sku="CS05"),  # listing beats sku
        ref("a2", listing_id="L1", channel_sku="NOPE"),
        ref("a1", channel_sku="UNBOUND"),
    ]


def test_a_book_read_for_listings_resolves_them_as_the_whole_book(session: Session) -> None:
    _library(session)
    whole = load_book(session)
    narrow = load_book(session, _refs())
    assert len(whole) == 64 and len(narrow) == 6  # CS07 twice, BOX, L1 twice, CS05
    for ref in _refs():
        assert narrow.resolve(ref) == whole.resolve(ref)
    assert [b.sku for b in (narrow.resolve(r) for r in _refs()) if b] == [
        "S07", "S08", "GIFT", "S09", "PAIR",
    ]  # fmt: skip
    assert len(load_book(session, [])) == 0


def test_a_catalog_read_for_some_skus_holds_them_and_everything_under_them(
    session: Session,
) -> None:
    _library(session)
    narrow = load_catalog(session, {"GIFT", "S40", "GONE"})
    assert sorted(narrow.codes()) == ["GIFT", "PAIR", "S01", "S02", "S03", "S40"]
    whole = load_catalog(session)
    assert len(whole) == 62
    assert narrow.expand("GIFT", 2) == whole.expand("GIFT", 2)
    assert "GONE" not in narrow and "S41" not in narrow


def test_a_catalog_read_for_some_skus_keeps_each_recipe_in_its_order(session: Session) -> None:
    """The SKUs and their components are read in one statement: a recipe keeps its order,
    a SKU without one is read once, and nothing of one SKU's recipe leaks into another's."""
    _library(session)
    backwards = [Component(sku="S05", qty=3), Component(sku="S04", qty=1)]
    upsert_sku(session, Sku(code="KIT", kind=SkuKind.COMBO, components=backwards), now=T0)
    narrow = load_catalog(session, {"KIT", "GIFT", "S40"})
    whole = load_catalog(session)
    for code in ("KIT", "GIFT", "PAIR", "S40", "S04"):
        assert narrow.get(code) == whole.get(code)
    assert [(c.sku, c.qty) for c in narrow.get("KIT").components] == [("S05", 3), ("S04", 1)]
    assert narrow.get("S40").components == ()
    assert sorted(narrow.codes()) == sorted(
        ["KIT", "S05", "S04", "GIFT", "PAIR", "S01", "S02", "S03", "S40"]
    )


def test_a_book_read_again_of_bindings_built_before_reads_what_changed(session: Session) -> None:
    """load_book's ``built``: rows read again are the bindings built before (the same
    instances), and a binding changed since (a new version) is read as it is now."""
    _library(session)
    built: BuiltBindings = {}
    first = load_book(session, _refs(), built=built)
    assert first.resolve(_refs()[0]) == load_book(session, _refs()).resolve(_refs()[0])
    bind(session, Scope.ACCOUNT, channel_sku="CS07", sku="S30", account="a1")  # version 2
    again = load_book(session, _refs(), built=built)
    now = again.resolve(_refs()[0])
    assert now is not None and (now.sku, now.version) == ("S30", 2)
    kept = again.resolve(_refs()[2])
    assert kept is not None and kept is first.resolve(_refs()[2])  # BOX -> GIFT, unchanged
    assert again.bindings() == load_book(session, _refs()).bindings()
