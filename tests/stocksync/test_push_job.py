"""push_stock against a recording fake channel, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from channelhub.connectors.errors import ServerError
from channelhub.connectors.results import QuantityPushResult, QuantityUpdate
from channelhub.core.listing import ListingKey
from channelhub.core.sellable import SellableExplanation, StockRule, StockRules
from channelhub.core.stock import MovementKind
from channelhub.jobs.stock.push import StockSyncTiming, compute_sellable, push_stock
from channelhub.store.db import make_session_factory
from channelhub.store.repos.stock_sync import (
    clear_dirty,
    dirty_skus,
    latest_pushes,
    mark_dirty,
    push_history,
)
from channelhub.store.tables.stock_sync import PushState, StockPushRow
from tests.stocksync.seed import T0, FakeChannel, add_catalog, add_listing, move

pytestmark = pytest.mark.anyio
RULES = StockRules()
TIMING = StockSyncTiming(debounce=timedelta(seconds=30), max_wait=timedelta(minutes=5))


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    factory = make_session_factory(engine)
    with factory.begin() as session:
        add_catalog(session)
        add_listing(session, "amazon", "us1", "A-MUG", sku="MUG")
        add_listing(session, "amazon", "us1", "A-MUG2", sku="MUG", multiplier=2)
        add_listing(session, "amazon", "us1", "A-SET", sku="MUG-SET")
        add_listing(session, "amazon", "us1", "A-BOX", sku="GIFT-BOX")
        add_listing(session, "amazon", "us1", "A-LOOSE", sku=None)
        move(session, "MUG", 10)
        move(session, "MUG", 3, warehouse="CN-SZ")
        move(session, "MUG", 1, kind=MovementKind.RESERVE)
        move(session, "LID", 4)
        move(session, "SPOON", 30)
        move(session, "GIFT-BOX", 5)
    return factory


async def _push(factory: sessionmaker[Session], channel: FakeChannel, minutes: float, **kw: object):  # type: ignore[no-untyped-def]
    return await push_stock(
        factory,
        account="us1",
        connector=channel,
        rules=kw.pop("rules", RULES),  # type: ignore[arg-type]
        now=T0 + timedelta(minutes=minutes),
        timing=TIMING,
        **kw,  # type: ignore[arg-type]
    )


async def test_full_sweep_pushes_combos_kits_and_two_packs_by_the_formula(
    factory: sessionmaker[Session],
) -> None:
    channel = FakeChannel()
    summary = await _push(factory, channel, 1, full_sweep=True)
    # MUG: 10 - 1 reserved + 3 = 12; 2-pack 6; set = min(12 // 2, 4 lids) = 4; the kit sells
    # its own 5, never the 30 loose spoons (10 boxes' worth)
    assert dict(channel.pushed) == {"A-MUG": 12, "A-MUG2": 6, "A-SET": 4, "A-BOX": 5}
    assert len(channel.calls) == 1  # one call: the connector batches
    assert summary.pushed == 4 and len(summary.confirmed) == 4 and summary.unpaired == 1
    assert "A-LOOSE" not in dict(channel.pushed)
    with factory() as session:
        stored = latest_pushes(session, channel="amazon", account="us1", confirmed_only=True)
    record = stored[ListingKey(channel="amazon", account="us1", listing_id="A-SET")]
    assert record.state is PushState.CONFIRMED and record.confirmed_at == T0 + timedelta(minutes=1)
    explained = SellableExplanation.model_validate(record.explanation, strict=False)
    assert explained.quantity == 4 and explained.limiting_sku == "LID"


async def test_nothing_unchanged_is_pushed_and_a_change_reaches_the_next_push(
    factory: sessionmaker[Session],
) -> None:
    channel = FakeChannel()
    await _push(factory, channel, 1, full_sweep=True)
    again = await _push(factory, channel, 2, full_sweep=True)
    assert again.pushed == 0 and again.unchanged == 4 and len(channel.calls) == 1
    quiet = await _push(factory, channel, 3)
    assert quiet.pushed == 0 and quiet.considered == 0 and len(channel.calls) == 1
    with factory.begin() as session:  # two lids arrive: only the set changes
        move(session, "LID", 2, at=T0 + timedelta(minutes=4))
    summary = await _push(factory, channel, 5)
    assert channel.calls[-1] == [
        QuantityUpdate(
            listing=ListingKey(channel="amazon", account="us1", listing_id="A-SET"),
            quantity=6,
            channel_sku="A-SET",
            expected_previous=4,
        )
    ]
    assert summary.considered == 1 and summary.pushed == 1
    with factory.begin() as session:  # a sale reserves 2 mugs: mugs, 2-pack and set change
        move(session, "MUG", 2, kind=MovementKind.RESERVE, at=T0 + timedelta(minutes=6))
    await _push(factory, channel, 7)
    assert sorted(channel.pushed[-3:]) == [("A-MUG", 10), ("A-MUG2", 5), ("A-SET", 5)]
    assert len(channel.calls) == 3


async def test_a_change_waits_for_the_debounce_window_and_never_past_the_maximum_wait(
    factory: sessionmaker[Session],
) -> None:
    channel = FakeChannel()
    await _push(factory, channel, 0, full_sweep=True)
    with factory.begin() as session:
        move(session, "GIFT-BOX", 1, at=T0 + timedelta(minutes=1))
    assert (await _push(factory, channel, 1.25)).pushed == 0  # 15 s later: still settling
    assert (await _push(factory, channel, 1.5)).pushed == 1  # 30 s quiet: pushed
    assert channel.pushed[-1] == ("A-BOX", 6)
    # a best-seller never goes quiet: a movement every 20 s
    for step in range(1, 20):
        at = T0 + timedelta(minutes=10, seconds=20 * step)
        with factory.begin() as session:
            move(session, "GIFT-BOX", 1, at=at)
        summary = await _push(factory, channel, 10 + step / 3 + 0.1 / 60)
        if summary.pushed:
            break
    else:
        pytest.fail("the busy SKU was never pushed")
    assert T0 + timedelta(minutes=15) <= at <= T0 + timedelta(minutes=15, seconds=20)


async def test_rejections_are_recorded_with_the_reason_and_retryable_ones_retried(
    factory: sessionmaker[Session],
) -> None:
    channel = FakeChannel(
        refuse={
            "A-MUG": ("throttled, try later", True),
            "A-BOX": ("8541: listing suppressed", False),
        }
    )
    summary = await _push(factory, channel, 1, full_sweep=True)
    rejected = {item.listing: (item.reason, item.retryable) for item in summary.rejected}
    assert rejected == {
        "amazon:us1:A-MUG": ("throttled, try later", True),
        "amazon:us1:A-BOX": ("8541: listing suppressed", False),
    }
    assert "REJECTED amazon:us1:A-BOX = 5: 8541: listing suppressed" in summary.render()
    with factory() as session:
        history = push_history(
            session, ListingKey(channel="amazon", account="us1", listing_id="A-BOX")
        )
    assert (
        history[0].state is PushState.REJECTED and history[0].reason == "8541: listing suppressed"
    )
    channel.refuse.clear()
    retry = await _push(factory, channel, 2)  # nothing changed: only the retryable one again
    assert channel.pushed[-1] == ("A-MUG", 12) and retry.pushed == 1
    assert (await _push(factory, channel, 3)).pushed == 0
    with factory() as session:
        rows = session.scalars(
            select(StockPushRow).where(StockPushRow.listing_id == "A-MUG").order_by(StockPushRow.id)
        ).all()
    assert [(r.state, r.trigger) for r in rows] == [("rejected", "sweep"), ("confirmed", "retry")]
    sweep = await _push(factory, channel, 4, full_sweep=True)  # the sweep tries the refused one
    assert [item.listing for item in sweep.items] == ["amazon:us1:A-BOX"]


class Crashing(FakeChannel):
    async def push_quantities(self, updates: Sequence[QuantityUpdate]) -> list[QuantityPushResult]:
        raise RuntimeError("process killed mid-push")


class Failing(FakeChannel):
    async def push_quantities(self, updates: Sequence[QuantityUpdate]) -> list[QuantityPushResult]:
        self.calls.append(list(updates))
        raise ServerError("amazon answered 503 Service Unavailable")


async def test_a_crash_mid_push_leaves_pending_rows_that_the_next_run_sends(
    factory: sessionmaker[Session],
) -> None:
    with pytest.raises(RuntimeError):
        await _push(factory, Crashing(), 1, full_sweep=True)
    with factory() as session:
        states = {r.state for r in session.scalars(select(StockPushRow))}
    assert states == {"pending"}
    channel = FakeChannel()
    summary = await _push(factory, channel, 2)  # no change, but the channel may not have them
    assert summary.pushed == 4 and {i.listing for i in summary.confirmed} >= {"amazon:us1:A-SET"}


async def test_a_failed_call_is_recorded_on_every_item_and_retried(
    factory: sessionmaker[Session],
) -> None:
    summary = await _push(factory, Failing(), 1, full_sweep=True)
    assert summary.error and "503" in summary.error
    assert len(summary.rejected) == 4 and all(i.retryable for i in summary.rejected)
    channel = FakeChannel()
    assert (await _push(factory, channel, 2)).pushed == 4


async def test_rules_per_account_and_listing_and_allowed_warehouses(
    factory: sessionmaker[Session],
) -> None:
    rules = StockRules(
        default=StockRule(buffer=1),
        accounts={"amazon:us1": StockRule(share=Decimal("0.5"), maximum=4)},
        listings={"amazon:us1:A-BOX": StockRule(minimum=2, maximum=100)},
    )
    channel = FakeChannel()
    await _push(factory, channel, 1, full_sweep=True, rules=rules, allowed_warehouses=["US-EAST"])
    # MUG: 10 - 1 reserved (CN-SZ not allowed) - buffer 1 = 8; x 0.5 = 4; 2-pack 8 // 2 x 0.5 = 2
    # set: min(8 // 2, 3 lids) = 3 x 0.5 = 1; box: (5 - 1) x 0.5 = 2, at the minimum 2 -> 0
    assert dict(channel.pushed) == {"A-MUG": 4, "A-MUG2": 2, "A-SET": 1, "A-BOX": 0}


async def test_compute_sellable_covers_every_paired_listing(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        computed = compute_sellable(session, channel="amazon", account="us1", rules=RULES, now=T0)
    assert {listing.listing_id: e.quantity for listing, e in computed} == {
        "A-MUG": 12,
        "A-MUG2": 6,
        "A-SET": 4,
        "A-BOX": 5,
    }


async def test_marks_belong_to_each_account_and_a_late_mark_is_not_lost(
    factory: sessionmaker[Session],
) -> None:
    with factory.begin() as session:
        add_listing(session, "shopify", "shop1", "S-MUG", sku="MUG")
    shop = FakeChannel(platform="shopify")
    await push_stock(factory, account="shop1", connector=shop, rules=RULES, now=T0, timing=TIMING)
    channel = FakeChannel()
    await _push(factory, channel, 0)
    with factory.begin() as session:
        mark_dirty(session, ["MUG"], now=T0 + timedelta(minutes=1))
    await _push(factory, channel, 5)
    with factory.begin() as session:
        assert "MUG" not in dirty_skus(
            session, channel="amazon", account="us1", settled_before=None
        )
        left = dirty_skus(session, channel="shopify", account="shop1", settled_before=None)
        assert set(left) == {"MUG"}
        mark_dirty(session, ["MUG"], now=T0 + timedelta(minutes=9))  # lands during a run
        assert clear_dirty(session, channel="shopify", account="shop1", seen=left) == 0
        assert dirty_skus(session, channel="shopify", account="shop1", settled_before=None)


async def test_the_first_run_and_a_stale_sweep_recompute_everything(
    factory: sessionmaker[Session],
) -> None:
    channel = FakeChannel()
    first = await _push(factory, channel, 1)  # never served: a full sweep, and registered
    assert first.full_sweep and first.pushed == 4
    with factory.begin() as session:  # a re-bind announces nothing to the ledger
        add_listing(session, "amazon", "us1", "A-LOOSE", sku="LID")
    assert not (await _push(factory, channel, 30)).full_sweep
    assert ("A-LOOSE", 4) not in channel.pushed
    late = await _push(factory, channel, 62)  # the last sweep is over an hour old
    assert late.full_sweep and channel.pushed[-1] == ("A-LOOSE", 4) and late.pushed == 1


async def test_a_lost_lease_stops_before_the_push_and_leaves_the_rows_pending(
    factory: sessionmaker[Session],
) -> None:
    from channelhub.jobs.engine.fencing import LeaseLost

    def taken_over() -> None:
        raise LeaseLost("the lease passed to another runner")

    channel = FakeChannel()
    with pytest.raises(LeaseLost):
        await _push(factory, channel, 1, full_sweep=True, fence=taken_over)
    assert channel.calls == []
    with factory() as session:
        assert {r.state for r in session.scalars(select(StockPushRow))} == {"pending"}
    assert (await _push(factory, channel, 2)).pushed == 4
