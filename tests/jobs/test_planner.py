"""The planner reads what its orders can touch: their bindings, the SKUs those bind and those
pairing could suggest for a line with no binding (with their components), never the whole
library."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import Engine

from channelhub.core.allocation_config import AllocationConfig
from channelhub.core.bindings import Binding, PairingBook, Scope
from channelhub.core.catalog import Catalog
from channelhub.core.geography import Origin
from channelhub.core.lifecycle import HubStatus
from channelhub.core.models import Sku, Warehouse
from channelhub.core.pairing import PairingConfig, RegexRule, suggest
from channelhub.jobs.orders.pipeline_batch import run_pipeline
from channelhub.jobs.orders.planner import Planner, listings_of
from channelhub.store.db import make_session_factory
from channelhub.store.repos.catalog import load_catalog
from channelhub.store.repos.pairings import save_binding
from channelhub.store.repos.products import upsert_sku
from channelhub.store.repos.stock import upsert_warehouse
from tests.core.orderflow_data import NOW, order
from tests.jobs.test_pipeline import SETTINGS, add, seed, status


def _line(sku: str) -> dict[str, object]:
    return {"line_id": "1", "channel_sku": sku, "quantity": 1}


def test_bound_orders_read_only_their_bindings_and_skus(engine: Engine) -> None:
    factory = make_session_factory(engine)
    with factory() as s:
        seed(s, E_MUG=5, E_SPOON=10)
        for n in range(30):  # the rest of the seller's library, bound on the channel
            upsert_sku(s, Sku(code=f"OTHER{n}"), now=NOW)
            other = Binding(
                scope=Scope.CHANNEL, channel="shopify", channel_sku=f"O{n}", sku=f"OTHER{n}"
            )
            save_binding(s, other, now=NOW, actor="test")
        combo = Binding(scope=Scope.CHANNEL, channel="shopify", channel_sku="GIFTSET", sku="SET")
        save_binding(s, combo, now=NOW, actor="test")
        s.commit()
    bound = order(external_id="b1", lines=[_line("GIFTSET")])
    unbound = order(external_id="u1", lines=[_line("MUG")])  # exact SKU: pairing suggests it
    with factory() as s:
        narrow = Planner.load(s, SETTINGS, orders=[bound])
        assert not narrow.whole_catalog
        assert sorted(narrow.catalog.codes()) == ["MUG", "SET", "SPOON"]  # SET and what's in it
        assert [b.channel_sku for b in narrow.book] == ["GIFTSET"]
        both = Planner.load(s, SETTINGS, orders=[bound, unbound])
        assert not both.whole_catalog  # the unbound line's own code: read from the codes alone
        assert sorted(both.catalog.codes()) == ["MUG", "SET", "SPOON"]
        assert len(Planner.load(s, SETTINGS).catalog) == 33  # everything, when no orders named
    with factory() as s:
        add(s, bound)
        add(s, unbound)
    counts = run_pipeline(factory, settings=SETTINGS, now=NOW)
    assert counts.by_status == {"allocated": 2} and not counts.failed
    with factory() as s:
        assert status(s, bound) is HubStatus.ALLOCATED and status(s, unbound) is HubStatus.ALLOCATED
        # the unbound line was auto-bound, so the next planner for it needs no library
        assert not Planner.load(s, SETTINGS, orders=[unbound]).whole_catalog


def test_an_unbound_line_is_suggested_the_same_skus_as_from_the_whole_library(
    engine: Engine,
) -> None:
    rules = PairingConfig(
        strip_prefixes=("FBA-",),
        regex_rules=(RegexRule(pattern=r"(.+)-2PK", replacement=r"\1", multiplier=2, score=92),),
    )
    settings = replace(SETTINGS, pairing=rules)
    factory = make_session_factory(engine)
    with factory() as s:
        seed(s)
        for code in ("Lid", "MUG-2PK", "BOWL", *(f"OTHER{n}" for n in range(30))):
            upsert_sku(s, Sku(code=code), now=NOW)
        s.commit()
    skus = ["fba-mug", "SPOON-2PK", " lid ", "mug-2pk", "NOPE", "FBA-SET", "bowl-2pk"]
    lines = [{"line_id": str(n), "channel_sku": sku, "quantity": 1} for n, sku in enumerate(skus)]
    o = order(external_id="u2", lines=lines)
    with factory() as s:
        narrow = Planner.load(s, settings, orders=[o])
        whole = load_catalog(s)
    assert not narrow.whole_catalog
    assert sorted(narrow.catalog.codes()) == ["BOWL", "Lid", "MUG", "MUG-2PK", "SET", "SPOON"]
    for listing in listings_of([o]):
        assert suggest(listing, narrow.catalog, rules) == suggest(listing, whole, rules)
    assert [c.sku for c in suggest(listings_of([o])[1], narrow.catalog, rules)] == ["SPOON"]


def test_a_planner_ranks_warehouses_with_its_own_rules_and_addresses() -> None:
    """Its allocation memo is made with it, so a planner with other rules or warehouses
    (``replace``) never reads what one for the old ones remembered."""
    planner = Planner(
        settings=SETTINGS,
        catalog=Catalog(()),
        book=PairingBook(),
        origins={"US-EAST": Origin("US")},
        unknown=frozenset(),
        cartons={},
    )
    assert planner.ranking.serves(SETTINGS.allocation, planner.origins)
    rules = replace(SETTINGS, allocation=AllocationConfig(priority=("US-EAST",)))
    for other in (replace(planner, settings=rules), replace(planner, origins={"CN": Origin("CN")})):
        assert other.ranking.serves(other.settings.allocation, other.origins)
        assert not other.ranking.serves(planner.settings.allocation, planner.origins)


def test_a_planner_moved_on_keeps_its_memos_and_what_it_read_equal(engine: Engine) -> None:
    """for_orders and for_page carry the memos; a book, catalog or set of warehouse facts
    read equal is the planner's own instance (the memos' entries for it serve the next
    orders), one read different is the new one, and new addresses get a new ranking."""
    factory = make_session_factory(engine)
    with factory() as s:
        seed(s, E_MUG=5)
        bound = Binding(scope=Scope.CHANNEL, channel="shopify", channel_sku="GIFTSET", sku="SET")
        save_binding(s, bound, now=NOW, actor="test")
        s.commit()
    first, second = (order(external_id=n, lines=[_line("GIFTSET")]) for n in ("m1", "m2"))
    with factory() as s:
        planner = Planner.load(s, SETTINGS, orders=[first])
        moved = planner.for_page(s).for_orders(s, [second])
        assert moved.memos is planner.memos and moved.outcomes is planner.outcomes
        assert moved.book is planner.book and moved.catalog is planner.catalog
        assert moved.origins is planner.origins and moved.ranking is planner.ranking
        upsert_warehouse(s, Warehouse(code="X", country="US"), now=NOW)
        other = Binding(scope=Scope.CHANNEL, channel="shopify", channel_sku="GIFTSET", sku="MUG")
        save_binding(s, other, now=NOW, actor="test")  # re-bound: version 2, to MUG
        s.flush()
        later = moved.for_page(s).for_orders(s, [second])
    assert later.outcomes is planner.outcomes and later.reservations is planner.reservations
    assert sorted(later.origins) == ["E", "W", "X"] and sorted(planner.origins) == ["E", "W"]
    assert later.ranking is not planner.ranking
    assert later.ranking.serves(SETTINGS.allocation, later.origins)
    assert later.book is not planner.book and [b.sku for b in later.book] == ["MUG"]
    assert sorted(later.catalog.codes()) == ["MUG"]
