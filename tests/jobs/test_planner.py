"""The planner reads what its orders can touch: their bindings, and the SKUs those bind
(with their components), never the whole library unless a line has no binding yet."""

from __future__ import annotations

from sqlalchemy import Engine

from channelhub.core.bindings import Binding, Scope
from channelhub.core.lifecycle import HubStatus
from channelhub.core.models import Sku
from channelhub.jobs.orders.pipeline_batch import run_pipeline
from channelhub.jobs.orders.planner import Planner
from channelhub.store.db import make_session_factory
from channelhub.store.repos.pairings import save_binding
from channelhub.store.repos.products import upsert_sku
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
        whole = Planner.load(s, SETTINGS, orders=[bound, unbound])
        assert whole.whole_catalog and len(whole.catalog) == 33
    with factory() as s:
        add(s, bound)
        add(s, unbound)
    counts = run_pipeline(factory, settings=SETTINGS, now=NOW)
    assert counts.by_status == {"allocated": 2} and not counts.failed
    with factory() as s:
        assert status(s, bound) is HubStatus.ALLOCATED and status(s, unbound) is HubStatus.ALLOCATED
        # the unbound line was auto-bound, so the next planner for it needs no library
        assert not Planner.load(s, SETTINGS, orders=[unbound]).whole_catalog
