"""push_stock never pushes from an unknown stock position, and its mass-drop guard keeps its
state in the store (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session, sessionmaker

from channelhub.core.listing import Listing
from channelhub.core.products import Sku
from channelhub.core.sellable import StockRule, StockRules
from channelhub.core.stock import MovementKind
from channelhub.jobs.stock.push import NO_WAREHOUSE, PushSafety, preview_push, push_stock
from channelhub.store.db import make_session_factory
from channelhub.store.repos.listings import upsert_listing
from channelhub.store.repos.products import upsert_sku
from channelhub.store.repos.stock_sync import (
    block_states,
    clear_block,
    get_block,
    latest_pushes,
    record_block,
    record_sweep,
)
from channelhub.store.tables.stock import WarehouseRow
from tests.stocksync.seed import T0, FakeChannel, add_catalog, add_listing, know_stock, move

pytestmark = pytest.mark.anyio
KEY = "amazon:us1:"


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    factory = make_session_factory(engine)
    with factory.begin() as session:
        add_catalog(session)
        add_listing(session, "amazon", "us1", "A-MUG", sku="MUG")
        add_listing(session, "amazon", "us1", "A-SET", sku="MUG-SET")
        add_listing(session, "amazon", "us1", "A-BOX", sku="GIFT-BOX")
        move(session, "MUG", 10)
        move(session, "LID", 4)
        move(session, "GIFT-BOX", 5, warehouse="CN-SZ")
    return factory


async def _push(factory: sessionmaker[Session], channel: FakeChannel, **kw: Any) -> Any:
    return await push_stock(
        factory,
        account="us1",
        connector=channel,
        rules=kw.pop("rules", StockRules()),
        now=kw.pop("now", T0 + timedelta(minutes=1)),
        full_sweep=True,
        **kw,
    )


async def test_listings_a_warehouse_of_unknown_stock_serves_are_skipped_and_counted(
    factory: sessionmaker[Session],
) -> None:
    with factory.begin() as session:
        know_stock(session, "CN-SZ", at=None)  # never set, imported or pulled
    channel = FakeChannel()
    summary = await _push(factory, channel)
    # every warehouse serves every listing (no rule narrows it): nothing is pushed
    assert channel.calls == [] and summary.pushed == 0
    assert [key for key, _ in summary.unknown] == [KEY + "A-BOX", KEY + "A-MUG", KEY + "A-SET"]
    assert summary.notes() == [
        "skipped 3 listings: stock unknown at CN-SZ "
        "(load it with `channelhub stock set|import|pull`)"
    ]
    assert f"SKIPPED  {KEY}A-MUG: stock unknown at CN-SZ" in summary.render()
    # allocation allows US-EAST only for this account, and the box has its own rule
    rules = StockRules(listings={KEY + "A-BOX": StockRule(warehouses=("CN-SZ",))})
    summary = await _push(factory, channel, rules=rules, allowed_warehouses=["US-EAST"])
    assert sorted(channel.pushed) == [("A-MUG", 10), ("A-SET", 4)]
    assert [key for key, _ in summary.unknown] == [KEY + "A-BOX"]
    with factory.begin() as session:
        know_stock(session, "CN-SZ")
    await _push(factory, channel, now=T0 + timedelta(minutes=2))
    assert channel.pushed[-1] == ("A-BOX", 5)


async def test_with_no_warehouse_registered_nothing_is_pushed_and_the_job_says_so(
    engine: Engine,
) -> None:
    factory = make_session_factory(engine)
    with factory.begin() as session:
        upsert_sku(session, Sku(code="MUG"), now=T0)
        add_listing(session, "amazon", "us1", "A-MUG", sku="MUG")
        session.execute(delete(WarehouseRow))
    channel = FakeChannel()
    summary = await _push(factory, channel)
    assert channel.calls == [] and summary.no_warehouse and summary.considered == 0
    assert summary.notes() == [f"nothing pushed: {NO_WAREHOUSE}"]
    assert "add one with `channelhub warehouses add`" in summary.render()
    with factory() as session:
        assert (
            preview_push(session, channel="amazon", account="us1", rules=StockRules()).rows[0].why
            == "no warehouse is registered"
        )


async def test_the_guard_reads_the_channel_quantity_before_the_first_push(
    factory: sessionmaker[Session],
) -> None:
    with factory.begin() as session:  # the channel shows 40 of each; the hub knows far less
        for listing_id in ("A-MUG", "A-SET", "A-BOX"):
            listing = Listing.model_validate(
                {"channel": "amazon", "account": "us1", "listing_id": listing_id,
                 "channel_sku": listing_id, "status": "active", "quantity": 40},
                strict=False,
            )  # fmt: skip
            upsert_listing(session, listing, now=T0)
    channel = FakeChannel()
    summary = await _push(factory, channel)
    assert channel.calls == [] and summary.blocked is not None
    assert [d.render() for d in summary.blocked.drops] == [
        f"{KEY}A-BOX: 40 -> 5", f"{KEY}A-MUG: 40 -> 10", f"{KEY}A-SET: 40 -> 4",
    ]  # fmt: skip
    with factory() as session:
        assert latest_pushes(session, channel="amazon", account="us1") == {}  # rolled back
        block = get_block(session, channel="amazon", account="us1")
        preview = preview_push(session, channel="amazon", account="us1", rules=StockRules())
    assert block is not None and block.affects(KEY + "A-MUG") == (40, 10)
    assert block.reason == summary.blocked.reason()
    assert preview.decision is not None and preview.decision.blocked
    assert preview.block == block
    mug = next(row for row in preview.rows if row.listing == KEY + "A-MUG")
    assert (mug.channel_sku, mug.channel_now, mug.would_push) == ("A-MUG", 40, 10)
    assert mug.why == "CUT from 40: MUG: 10 available"
    summary = await _push(factory, channel, safety=PushSafety(confirm_drops=True))
    assert sorted(channel.pushed) == [("A-BOX", 5), ("A-MUG", 10), ("A-SET", 4)]
    with factory() as session:
        assert get_block(session, channel="amazon", account="us1") is None


async def test_a_run_that_passes_the_guard_clears_a_standing_stop(
    factory: sessionmaker[Session],
) -> None:
    channel = FakeChannel()
    await _push(factory, channel)
    with factory.begin() as session:
        move(session, "MUG", 10, kind=MovementKind.RESERVE, at=T0 + timedelta(minutes=2))
    assert (await _push(factory, channel, now=T0 + timedelta(minutes=3))).blocked is not None
    with factory.begin() as session:  # the seller fixes the cause: the mugs were released
        move(session, "MUG", 10, kind=MovementKind.RELEASE, at=T0 + timedelta(minutes=4))
    summary = await _push(factory, channel, now=T0 + timedelta(minutes=5))
    assert summary.blocked is None and summary.pushed == 0 and summary.unchanged == 3
    with factory() as session:
        assert get_block(session, channel="amazon", account="us1") is None


def test_blocks_are_recorded_replaced_listed_and_cleared(engine: Engine) -> None:
    factory = make_session_factory(engine)
    with factory.begin() as session:
        record_sweep(session, channel="shopify", account="eu", now=T0)
        record_block(
            session, channel="amazon", account="us1", reason="first", drops=[("L1", 9, 0)],
            now=T0,
        )  # fmt: skip
    with factory.begin() as session:
        record_block(
            session, channel="amazon", account="us1", reason="again",
            drops=[("L1", 9, 0), ("L2", 8, 1)], now=T0 + timedelta(minutes=5),
        )  # fmt: skip
    with factory() as session:
        block = get_block(session, channel="amazon", account="us1")
        assert block is not None and block.reason == "again"
        assert block.blocked_at == T0 + timedelta(minutes=5)
        assert block.drops == (("L1", 9, 0), ("L2", 8, 1)) and block.affects("L3") is None
        assert block_states(session) == {("amazon", "us1"): True, ("shopify", "eu"): False}
    with factory.begin() as session:
        assert clear_block(session, channel="amazon", account="us1")
        assert not clear_block(session, channel="amazon", account="us1")
    with factory() as session:
        assert block_states(session) == {("shopify", "eu"): False}
