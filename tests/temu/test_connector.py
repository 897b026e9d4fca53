"""The Temu connector against the Temu simulator (contract unverified: the transcript)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

import pytest

from channelhub.connectors.errors import RetryableError
from channelhub.connectors.results import FulfilmentPush, QuantityUpdate
from channelhub.connectors.temu.auth import TemuApiError
from channelhub.core.models import FulfilledBy, ListingKey, Package, PackageLine
from tests.temu.harness import (
    SINCE,
    ManualClock,
    assert_journal_follows_transcript,
    make_connector,
    simulator,
)

pytestmark = pytest.mark.anyio


def _all_children(sim) -> list[str]:  # type: ignore[no-untyped-def]
    return [c["orderSn"] for g in sim.shop.parents.values() for c in g["orderList"]]


async def _import(connector, cursor=None):  # type: ignore[no-untyped-def]
    orders, last = [], None
    async for page in connector.pull_orders(cursor, since=SINCE):
        assert not page.failures
        orders.extend(page.items)
        last = page
    return orders, last


async def test_imports_every_child_order_with_its_parent() -> None:
    clock = ManualClock()
    sim = simulator(clock, order_count=300)
    connector = make_connector(sim, clock)
    orders, last = await _import(connector)
    assert Counter(o.external_id for o in orders) == Counter(_all_children(sim))
    assert last is not None and last.done
    parents = {o.parent_external_id for o in orders}
    assert parents == set(sim.shop.parents)
    channel = [o for o in orders if o.fulfilled_by is FulfilledBy.CHANNEL]
    assert channel and all(o.is_channel_fulfilled for o in channel)
    assert assert_journal_follows_transcript(sim, clock) > 30
    await connector.aclose()


async def test_throttling_4000004_is_waited_out() -> None:
    clock = ManualClock()
    sim = simulator(clock, order_count=300)
    connector = make_connector(sim, clock, rate=1000)
    orders, _ = await _import(connector)
    assert Counter(o.external_id for o in orders) == Counter(_all_children(sim))
    assert sim.shop.rate_limited > 0  # Temu answered 4000004 ...
    assert clock.t > 0  # ... and the connector slept on it
    await connector.aclose()


async def test_wrong_secret_is_fatal_and_not_retried() -> None:
    clock = ManualClock()
    sim = simulator(clock, order_count=3)
    connector = make_connector(sim, clock, secret="wrong")
    with pytest.raises(TemuApiError, match="3000001") as caught:
        await _import(connector)
    assert len(sim.journal.entries) == 1
    from channelhub.simulators.temu import DEFAULT_ACCESS_TOKEN, DEFAULT_APP_KEY

    for text in (str(caught.value), repr(caught.value), repr(connector), repr(connector.http)):
        assert (
            DEFAULT_ACCESS_TOKEN not in text and "wrong" not in text and DEFAULT_APP_KEY not in text
        )
    await connector.aclose()


async def test_a_skewed_clock_is_refused_by_the_gateway() -> None:
    clock = ManualClock()
    sim = simulator(clock, order_count=3)
    connector = make_connector(sim, clock, skew=timedelta(seconds=400))
    with pytest.raises(RetryableError, match="3000011"):
        await _import(connector)
    late = make_connector(sim, clock, skew=timedelta(seconds=-301))
    with pytest.raises(RetryableError, match="3000012"):
        await _import(late)
    fine = make_connector(sim, clock, skew=timedelta(seconds=-299))
    orders, _ = await _import(fine)
    assert orders
    await connector.aclose()


async def test_stock_edit_sets_sku_targets_and_skips_unchanged() -> None:
    clock = ManualClock()
    sim = simulator(clock, order_count=1)
    connector = make_connector(sim, clock)
    goods = next(iter(sim.shop.goods.values()))
    sku = goods["skuInfoList"][0]
    key = ListingKey(
        channel="temu",
        account="temu-us",
        listing_id=str(goods["goodsId"]),
        variation_id=str(sku["skuId"]),
    )
    no_sku = ListingKey(channel="temu", account="temu-us", listing_id=str(goods["goodsId"]))
    results = await connector.push_quantities(
        [
            QuantityUpdate(key, 42),
            QuantityUpdate(key, 5, expected_previous=5),
            QuantityUpdate(no_sku, 1),
        ]
    )
    assert [r.accepted for r in results] == [True, True, False]
    assert sku["quantity"] == 42
    edits = [json.loads(e.body) for e in sim.journal.entries]
    assert [e["type"] for e in edits] == ["bg.local.goods.stock.edit"]
    assert edits[0]["skuStockTargetList"] == [{"skuId": sku["skuId"], "stockTarget": 42}]
    bad = ListingKey(
        channel="temu", account="temu-us", listing_id=str(goods["goodsId"]), variation_id="1"
    )
    (refused,) = await connector.push_quantities([QuantityUpdate(bad, 3)])
    assert not refused.accepted and "150010003" in (refused.reason or "")
    assert_journal_follows_transcript(sim, clock)
    await connector.aclose()


async def test_shipment_confirm_once_then_already_present() -> None:
    clock = ManualClock()
    sim = simulator(clock, order_count=40)
    connector = make_connector(sim, clock)
    orders, _ = await _import(connector)
    order = next(
        o
        for o in orders
        if o.channel_status == "UN_SHIPPING" and o.fulfilled_by is FulfilledBy.MERCHANT
    )
    line = order.lines[0]
    package = Package(
        tracking_number="9400111899223197428490",
        carrier="USPS",
        lines=[PackageLine(sku="X", quantity=line.quantity, order_line_id=line.line_id)],
    )
    push = FulfilmentPush(
        order_external_id=order.external_id, packages=(package,), shipped_at=clock.now()
    )
    (first,) = await connector.push_fulfilment(push, order=order)
    assert first.accepted and not first.already_present
    assert sim.shop.shipments[-1] == {
        "orderSn": order.external_id,
        "carrierId": "699272611",
        "trackingNumber": "9400111899223197428490",
    }
    (again,) = await connector.push_fulfilment(push, order=order)
    assert again.accepted and again.already_present
    assert len(sim.shop.shipments) == 1
    unknown = Package(tracking_number="T1", carrier="Pigeon", lines=[])
    (refused,) = await connector.push_fulfilment(
        FulfilmentPush(order.external_id, (unknown,), clock.now()), order=order
    )
    assert not refused.accepted and "carrierId" in (refused.reason or "")
    fetched = await connector.get_order(f"{order.parent_external_id}/{order.external_id}")
    assert fetched.item.channel_status == "SHIPPED"
    await connector.aclose()


async def test_listings_and_token_status() -> None:
    clock = ManualClock()
    sim = simulator(clock, order_count=1)
    connector = make_connector(sim, clock)
    listings = [x async for page in connector.pull_listings() for x in page.items]
    assert len(listings) == sum(len(g["skuInfoList"]) for g in sim.shop.goods.values())
    status = await connector.token_status()
    assert status.days_left > 200 and not status.warn
    assert_journal_follows_transcript(sim, clock)
    await connector.aclose()


async def test_temu_is_a_sales_channel_that_says_what_it_cannot_do() -> None:
    from channelhub.connectors.errors import CapabilityMissing
    from channelhub.connectors.roles import Capability, SalesChannel

    clock = ManualClock()
    connector = make_connector(simulator(clock, order_count=3), clock)
    assert isinstance(connector, SalesChannel)  # the jobs' role check
    assert Capability.PULL_ORDERS in connector.capabilities
    assert Capability.READ_FULFILMENTS not in connector.capabilities
    assert Capability.VERIFY_WEBHOOK not in connector.capabilities
    with pytest.raises(CapabilityMissing, match="cannot read fulfilments back"):
        await connector.get_fulfilments("211-1")
    with pytest.raises(CapabilityMissing, match="takes no webhooks"):
        connector.verify_webhook({}, b"{}", now=clock.now())
    await connector.aclose()


async def test_without_cursor_or_since_the_pull_reaches_back_the_account_lookback() -> None:
    # reconcile without --since asks for orders this way; the simulator dates its orders
    # 3 to 25 days before its clock, so 30 days take them all and 10 days only some
    clock = ManualClock()
    sim = simulator(clock, order_count=40)
    everything = [o async for page in make_connector(sim, clock).pull_orders() for o in page.items]
    assert Counter(o.external_id for o in everything) == Counter(_all_children(sim))
    recent = make_connector(sim, clock, initial_lookback_days=10)
    some = [o async for page in recent.pull_orders() for o in page.items]
    assert 0 < len(some) < len(everything)
    assert all(o.updated_at >= clock.now() - timedelta(days=10) for o in some)


async def test_the_hubs_tracking_push_reaches_a_child_order_through_its_parent() -> None:
    # the hub stores the child order's own id and its parent apart; Temu cannot look a
    # child up alone, so the push names the parent (FulfilmentPush.parent_external_id)
    clock = ManualClock()
    sim = simulator(clock, order_count=40)
    connector = make_connector(sim, clock)
    orders, _ = await _import(connector)
    order = next(
        o
        for o in orders
        if o.channel_status == "UN_SHIPPING" and o.fulfilled_by is FulfilledBy.MERCHANT
    )
    line = order.lines[0]
    package = Package(
        tracking_number="9400111899223197428491",
        carrier="USPS",
        lines=[PackageLine(sku="X", quantity=line.quantity, order_line_id=line.line_id)],
    )
    push = FulfilmentPush(
        order_external_id=order.external_id,
        packages=(package,),
        shipped_at=clock.now(),
        parent_external_id=order.parent_external_id,
    )
    (result,) = await connector.push_fulfilment(push)
    assert result.accepted and sim.shop.shipments[-1]["orderSn"] == order.external_id
    await connector.aclose()
