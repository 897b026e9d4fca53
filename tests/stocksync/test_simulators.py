"""A stock change reaches the Amazon and Shopify simulators (in process) on the next push, and
no unchanged listing is pushed: counted in each simulator's request journal."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.shopify import InMemoryWebhookDedupe, ShopifyConnector
from channelhub.core.bindings import Binding, Scope
from channelhub.core.listing import Listing
from channelhub.core.sellable import StockRules
from channelhub.jobs.stock.push import PushSafety, StockSyncTiming, push_stock
from channelhub.simulators.shopify import create_app as create_shopify
from channelhub.store.db import make_session_factory
from channelhub.store.repos.listings import upsert_listing
from channelhub.store.repos.pairings import save_binding
from tests.amazon.harness import make_rig
from tests.stocksync.seed import T0, add_catalog, move

pytestmark = pytest.mark.anyio
TIMING = StockSyncTiming(debounce=timedelta(seconds=30))


async def _import_listings(factory: sessionmaker[Session], connector: Any) -> list[Listing]:
    listings: list[Listing] = []
    async for page in connector.pull_listings():
        assert not page.failures
        listings += page.items
    with factory.begin() as session:
        for listing in listings:
            upsert_listing(session, listing, now=T0)
    return listings


def _bind(factory: sessionmaker[Session], listing: Listing, sku: str, multiplier: int = 1) -> None:
    with factory.begin() as session:
        save_binding(
            session,
            Binding(
                scope=Scope.ACCOUNT,
                channel=listing.channel,
                account=listing.account,
                listing_id=listing.listing_id,
                variation_id=listing.variation_id,
                sku=sku,
                multiplier=multiplier,
            ),
            now=T0,
            actor="test",
        )


def _stock(factory: sessionmaker[Session]) -> None:
    with factory.begin() as session:
        add_catalog(session)
        move(session, "MUG", 9)
        move(session, "LID", 3)


async def test_amazon_gets_each_change_once_and_nothing_unchanged(engine: Engine) -> None:
    rig = make_rig(order_count=1, listing_count=6)
    connector = rig.connector()
    factory = make_session_factory(engine)
    _stock(factory)
    listings = await _import_listings(factory, connector)
    mug, two_pack, mug_set = sorted(listings, key=lambda item: item.listing_id)[:3]
    _bind(factory, mug, "MUG")
    _bind(factory, two_pack, "MUG", 2)
    _bind(factory, mug_set, "MUG-SET")

    def held(listing: Listing) -> int:
        item = rig.sim.state.listings[listing.channel_sku or listing.listing_id]
        return int(item["fulfillmentAvailability"][0]["quantity"])

    async def push(minutes: float, **options: Any) -> Any:
        return await push_stock(
            factory,
            account="acme-amazon",
            connector=connector,
            rules=StockRules(),
            now=T0 + timedelta(minutes=minutes),
            timing=TIMING,
            **options,
        )

    rig.sim.journal.clear()
    first = await push(1, full_sweep=True)
    assert len(first.confirmed) == 3 and first.unpaired == 3
    assert (held(mug), held(two_pack), held(mug_set)) == (9, 4, 3)
    assert rig.sim.journal.count("PATCH") == 3
    await push(2, full_sweep=True)
    await push(3)
    assert rig.sim.journal.count("PATCH") == 3  # nothing changed: nothing sent
    with factory.begin() as session:
        move(session, "LID", 5, at=T0 + timedelta(minutes=4))
    summary = await push(5)
    assert [item.listing for item in summary.confirmed] == [str(mug_set.key)]
    assert held(mug_set) == 4 and rig.sim.journal.count("PATCH") == 4
    rig.assert_requests_follow_the_contract()
    await connector.aclose()


def _shopify(seed: int) -> tuple[Any, ShopifyConnector]:
    sim = create_shopify(seed=seed, orders=1, products=6, bucket_size=1e9)
    location = sim.shop.data.locations[0]["id"].rsplit("/", 1)[-1]
    context = ConnectorContext(
        platform="shopify",
        account="sim-shop",
        base_url="https://channelhub-sim.myshopify.com",
        credentials={
            "access_token": SecretStr("shpat_simulator"),
            "api_secret": SecretStr("shpss_webhook_secret"),
        },
        settings={"api_version": "2025-01", "location_id": location},
        transport=httpx.ASGITransport(app=sim),
        rng=random.Random(7),
    )
    return sim, ShopifyConnector(context, dedupe=InMemoryWebhookDedupe())


async def test_shopify_gets_each_change_once_and_nothing_unchanged(engine: Engine) -> None:
    from tests.graphql_contract import request_errors

    sim, connector = _shopify(seed=31)
    location = sim.shop.data.locations[0]["id"].rsplit("/", 1)[-1]
    factory = make_session_factory(engine)
    _stock(factory)
    listings = [item for item in await _import_listings(factory, connector) if item.inventory_ref]
    mug, two_pack, mug_set = listings[:3]
    _bind(factory, mug, "MUG")
    _bind(factory, two_pack, "MUG", 2)
    _bind(factory, mug_set, "MUG-SET")

    def held(listing: Listing) -> int:
        return int(sim.shop.data.levels[(listing.inventory_ref, location)])

    def set_calls() -> int:
        return int(sim.shop.calls("inventorySetQuantities", outcome=None))

    async def push(minutes: float, **options: Any) -> Any:
        return await push_stock(
            factory,
            account="sim-shop",
            connector=connector,
            rules=StockRules(),
            now=T0 + timedelta(minutes=minutes),
            timing=TIMING,
            **options,
        )

    # the simulator's seeded quantities are well above the hub's stock: the mass-drop guard
    # stops the first push until the seller confirms it
    stopped = await push(1, full_sweep=True)
    assert stopped.blocked is not None and set_calls() == 0
    first = await push(1, full_sweep=True, safety=PushSafety(confirm_drops=True))
    assert len(first.confirmed) == 3, first.render()
    assert (held(mug), held(two_pack), held(mug_set)) == (9, 4, 3)
    assert set_calls() == 1  # three items, one mutation
    await push(2, full_sweep=True)
    await push(3)
    assert set_calls() == 1
    with factory.begin() as session:  # an order reserves 3 mugs
        from channelhub.core.stock import MovementKind

        move(session, "MUG", 3, kind=MovementKind.RESERVE, at=T0 + timedelta(minutes=4))
    summary = await push(5)
    assert {item.listing for item in summary.confirmed} == {str(mug.key), str(two_pack.key)}
    assert (held(mug), held(two_pack), held(mug_set)) == (6, 3, 3)
    assert set_calls() == 2
    last = [e for e in sim.journal.entries if e.body and b"inventorySetQuantities" in e.body][-1]
    quantities = last.json()["variables"]["input"]["quantities"]
    assert len(quantities) == 2 and all("compareQuantity" in q for q in quantities)
    for entry in sim.journal.entries:
        if entry.body:
            assert request_errors(entry.json()) == []
    await connector.aclose()


async def test_shopify_two_locations_read_back_what_was_pushed_at_the_managed_one(
    engine: Engine,
) -> None:
    """The listing quantity is ``available`` at the location the hub pushes to, not the
    variant's total over both locations: a confirmed push of 31 reads back as 31, and
    reconciliation finds no quantity edited on the channel."""
    from channelhub.jobs.reconciliation.run import reconcile_sales_channel

    sim, connector = _shopify(seed=32)
    data = sim.shop.data
    managed, other = (num["id"].rsplit("/", 1)[-1] for num in data.locations[:2])
    factory = make_session_factory(engine)
    with factory.begin() as session:
        add_catalog(session)
        move(session, "MUG", 31)
    listings = await _import_listings(factory, connector)
    # a variant stocked at both locations, with units at the other one
    target = next(
        item
        for item in listings
        if data.levels.get((item.inventory_ref, managed)) is not None
        and (data.levels.get((item.inventory_ref, other)) or 0) > 0
    )
    assert target.quantity == data.levels[(target.inventory_ref, managed)]
    _bind(factory, target, "MUG")
    summary = await push_stock(
        factory,
        account="sim-shop",
        connector=connector,
        rules=StockRules(),
        now=T0 + timedelta(minutes=1),
        timing=TIMING,
        full_sweep=True,
        safety=PushSafety(confirm_drops=True),
    )
    assert [item.listing for item in summary.confirmed] == [str(target.key)], summary.render()
    assert data.levels[(target.inventory_ref, managed)] == 31
    total = sum(q for (item, _), q in data.levels.items() if item == target.inventory_ref)
    assert total > 31  # what inventoryQuantity would have read
    again = {item.key: item for item in await _import_listings(factory, connector)}
    assert again[target.key].quantity == 31
    report = await reconcile_sales_channel(factory, connector, now=T0 + timedelta(minutes=2))
    edited = [
        d for d in report.discrepancies if d.discrepancy_class == "quantity_edited_on_channel"
    ]
    assert edited == []
    # a hand edit at the managed location is still seen as one
    data.levels[(target.inventory_ref, managed)] = 25
    data.refresh_inventory()
    report = await reconcile_sales_channel(factory, connector, now=T0 + timedelta(minutes=3))
    edited = [
        d for d in report.discrepancies if d.discrepancy_class == "quantity_edited_on_channel"
    ]
    assert [d.subject_text for d in edited] == [f"{target.listing_id}/{target.variation_id}"]
    await connector.aclose()


async def test_ebay_gets_changes_only_and_is_held_at_its_daily_revision_limit(
    engine: Engine,
) -> None:
    from channelhub.store.repos.stock_sync import record_push, settle_push
    from tests.ebay.harness import NOW, make_connector, simulator

    sim = simulator(order_count=1)
    connector = make_connector(sim)
    factory = make_session_factory(engine)
    _stock(factory)
    listings = await _import_listings(factory, connector)
    mug, two_pack = [item for item in listings if not item.variation_id][:2]
    _bind(factory, mug, "MUG")
    _bind(factory, two_pack, "MUG", 2)

    def bulk_calls() -> int:
        return sum(1 for e in sim.journal.entries if e.path.endswith("bulk_update_price_quantity"))

    def held(listing: Listing) -> int:
        sku = listing.inventory_ref or listing.channel_sku or listing.listing_id
        return int(sim.shop.items[sku]["availability"]["shipToLocationAvailability"]["quantity"])

    async def push(minutes: float, **options: Any) -> Any:
        return await push_stock(
            factory,
            account="acme",
            connector=connector,
            rules=StockRules(),
            now=NOW - timedelta(hours=2) + timedelta(minutes=minutes),
            timing=TIMING,
            **options,
        )

    first = await push(0, full_sweep=True)
    assert len(first.confirmed) == 2, first.render()
    assert (held(mug), held(two_pack)) == (9, 4) and bulk_calls() == 1
    await push(1, full_sweep=True)
    assert bulk_calls() == 1
    with factory.begin() as session:  # the 2-pack listing has been revised 250 times today
        for i in range(249):
            at = NOW - timedelta(hours=1, minutes=i % 50)
            push_id = record_push(
                session, two_pack.key, quantity=i, previous=None, explanation={},
                trigger="test", now=at,
            )  # fmt: skip
            settle_push(session, push_id, accepted=True, reason=None, retryable=False, now=at)
        move(session, "MUG", 4, at=NOW - timedelta(hours=2, minutes=-2))
    summary = await push(3)
    assert [i.listing for i in summary.confirmed] == [str(mug.key)] and held(mug) == 13
    (held_back,) = summary.rejected
    assert held_back.listing == str(two_pack.key) and held_back.retryable
    assert "250" in (held_back.reason or "") and held(two_pack) == 4
    await connector.aclose()
