"""Ship-to fetching and the one-bucket-per-app-key limit, against the Temu simulator."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from typing import Any

import anyio
import pytest

from channelhub.connectors.errors import RetryableError
from channelhub.connectors.temu.auth import TemuApiError
from channelhub.core.models import FulfilledBy
from channelhub.mappings.temu import normalize_shipping_info
from tests.temu.harness import (
    SINCE,
    ManualClock,
    assert_journal_follows_transcript,
    make_connector,
    simulator,
)

pytestmark = pytest.mark.anyio
SHIPPING_INFO = "bg.order.shippinginfo.v2.get"


def _calls(sim: Any, api_type: str) -> list[dict[str, Any]]:
    bodies = [json.loads(e.body) for e in sim.journal.entries]
    return [b for b in bodies if b["type"] == api_type]


def _merchant_parents(sim: Any) -> set[str]:
    return {
        sn
        for sn, g in sim.shop.parents.items()
        if any(c["fulfillmentType"] == "fulfillBySeller" for c in g["orderList"])
    }


async def test_imported_merchant_orders_carry_their_address_one_call_per_parent() -> None:
    clock = ManualClock()
    sim = simulator(clock, order_count=120)
    connector = make_connector(sim, clock)
    orders = [o async for page in connector.pull_orders(since=SINCE) for o in page.items]
    merchant = [o for o in orders if o.fulfilled_by is FulfilledBy.MERCHANT]
    channel = [o for o in orders if o.fulfilled_by is FulfilledBy.CHANNEL]
    assert merchant and channel
    for order in merchant:
        expected = normalize_shipping_info(sim.shop.addresses[order.parent_external_id]).address
        assert order.ship_to == expected
    assert all(o.ship_to is None for o in channel)
    assert {o.ship_to.country for o in merchant if o.ship_to} == {"US", "DE", "SA", "AE"}
    asked = Counter(b["parentOrderSn"] for b in _calls(sim, SHIPPING_INFO))
    assert set(asked) == _merchant_parents(sim)  # channel-fulfilled parents never asked
    assert set(asked.values()) == {1}  # one call serves every child of a parent
    assert any(len(sim.shop.parents[sn]["orderList"]) > 1 for sn in asked)
    assert assert_journal_follows_transcript(sim, clock) > 100
    await connector.aclose()


async def test_get_order_fetches_the_address_only_for_merchant_fulfilled() -> None:
    clock = ManualClock()
    sim = simulator(clock, order_count=40)
    connector = make_connector(sim, clock)
    merchant_sn = sorted(_merchant_parents(sim))[0]
    channel_sn = sorted(set(sim.shop.parents) - _merchant_parents(sim))[0]
    fetched = await connector.get_parent_order(merchant_sn)
    assert fetched and all(f.item.ship_to is not None for f in fetched)
    assert b'"shippingInfo"' in fetched[0].raw.body  # the kept raw replays with its address
    before = len(_calls(sim, SHIPPING_INFO))
    channel = await connector.get_parent_order(channel_sn)
    assert all(f.item.ship_to is None for f in channel)
    assert len(_calls(sim, SHIPPING_INFO)) == before == 1
    assert_journal_follows_transcript(sim, clock)
    await connector.aclose()


async def test_a_failing_shipping_info_call_fails_the_page_and_the_import_resumes() -> None:
    clock = ManualClock()
    sim = simulator(clock, order_count=300)
    connector = make_connector(sim, clock, page_size=20, window=timedelta(days=60))
    parents_in_order = sorted(
        sim.shop.parents.values(), key=lambda g: -g["parentOrderMap"]["parentOrderTime"]
    )
    broken = next(
        g["parentOrderMap"]["parentOrderSn"]
        for g in parents_in_order[40:]
        if g["parentOrderMap"]["parentOrderSn"] in sim.shop.addresses
    )
    sim.shop.shipping_info_errors[broken] = (4_000_000, "SYSTEM_EXCEPTION")
    seen, cursor = [], None
    with pytest.raises(RetryableError, match="4000000"):
        async for page in connector.pull_orders(since=SINCE):
            assert not page.failures
            assert all(
                o.ship_to is not None for o in page.items if o.fulfilled_by is FulfilledBy.MERCHANT
            )
            seen.extend(page.items)
            cursor = page.cursor
    assert seen and broken not in {o.parent_external_id for o in seen}
    del sim.shop.shipping_info_errors[broken]
    resumed = make_connector(sim, clock, page_size=20, window=timedelta(days=60))
    rest = [o async for page in resumed.pull_orders(cursor, since=SINCE) for o in page.items]
    all_children = [c["orderSn"] for g in sim.shop.parents.values() for c in g["orderList"]]
    assert Counter(o.external_id for o in seen + rest) == Counter(all_children)
    assert all(o.ship_to for o in seen + rest if o.fulfilled_by is FulfilledBy.MERCHANT)
    await connector.aclose()
    await resumed.aclose()


async def test_a_refused_address_is_a_recorded_failure_not_an_order_without_address() -> None:
    clock = ManualClock()
    sim = simulator(clock, order_count=60)
    refused = sorted(sim.shop.addresses)[0]
    sim.shop.shipping_info_errors[refused] = (180_020_008, "Please sign on DPA agreement first")
    connector = make_connector(sim, clock)
    orders, failures = [], []
    async for page in connector.pull_orders(since=SINCE):
        orders.extend(page.items)
        failures.extend(page.failures)
    assert refused not in {o.parent_external_id for o in orders}
    (failure,) = failures
    assert refused in failure.reason and "180020008" in failure.reason
    assert failure.raw.external_id == refused
    assert len(orders) == sum(
        len(g["orderList"]) for sn, g in sim.shop.parents.items() if sn != refused
    )
    with pytest.raises(TemuApiError, match="180020008"):
        await connector.get_parent_order(refused)
    await connector.aclose()


async def _mixed_burst(connector: Any, parents: list[str]) -> None:
    async with anyio.create_task_group() as group:
        for index in range(120):
            sn = parents[index % len(parents)]
            kind = index % 5
            if kind == 0:
                group.start_soon(connector.get_parent_order, sn)
            elif kind == 1:
                group.start_soon(connector.token_status)
            elif kind == 2:
                group.start_soon(connector.call, SHIPPING_INFO, {"parentOrderSn": sn})
            elif kind == 3:
                group.start_soon(connector.call, "bg.local.goods.list.query", _goods_page())
            else:
                group.start_soon(connector.call, "bg.order.list.v2.get", {"pageNumber": 1})


def _goods_page() -> dict[str, int]:
    return {"pageNo": 1, "pageSize": 10, "goodsSearchType": 1, "goodsStatusFilterType": 1}


async def test_a_burst_of_mixed_api_types_never_meets_4000004() -> None:
    clock = ManualClock()
    sim = simulator(clock, order_count=30)
    connector = make_connector(sim, clock)
    await _mixed_burst(connector, sorted(_merchant_parents(sim)))
    assert len({b["type"] for b in (json.loads(e.body) for e in sim.journal.entries)}) == 5
    assert sim.shop.rate_limited == 0
    await connector.aclose()


async def test_the_burst_test_fails_when_the_app_key_budget_is_overspent() -> None:
    """Control: the same burst with a 40/s bucket (what two per-type buckets amount to)."""
    clock = ManualClock()
    sim = simulator(clock, order_count=30)
    connector = make_connector(sim, clock, rate=40)
    await _mixed_burst(connector, sorted(_merchant_parents(sim)))
    assert sim.shop.rate_limited > 0
    await connector.aclose()
