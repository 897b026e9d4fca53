"""The channel benchmark at a tiny scale: it runs every channel, names its figures as the
README says, and never claims fewer API calls than the contract allows (no timing checks)."""

from __future__ import annotations

import argparse
from math import ceil

import pytest

from bench import bench_channels
from bench.channels import FakeTime, load_rig
from channelhub.connectors.results import QuantityUpdate
from channelhub.core.models import ListingKey
from channelhub.mappings.shopify.queries import LINES_READ_WITH_ORDER
from channelhub.simulators.shopify import create_app


@pytest.fixture(scope="module")
def figures() -> dict[str, bench_channels.Figure]:
    result = bench_channels.run(argparse.Namespace(scale=0.01))
    return {f.name: f for f in result}


def test_every_channel_reports_calls_against_the_minimum_clean_and_faulted(
    figures: dict[str, bench_channels.Figure],
) -> None:
    platforms, _ = bench_channels.channels()
    assert {"amazon", "shopify", "ebay", "temu"} <= set(platforms)
    for platform in platforms:
        for label in (platform, f"{platform} +10% faults"):
            for operation in bench_channels.OPERATIONS:
                calls = figures[f"{label} {operation}: API calls"]
                assert calls.minimum is not None and calls.minimum >= 1
                assert calls.value >= calls.minimum, calls
                done = figures[f"{label} {operation}: done / asked"]
                assert done.unit == f"of {done.value:g}", f"{label} {operation} lost items"
                wall = figures[f"{label} {operation}: wall time"].value
                assert 0 <= figures[f"{label} {operation}: in simulator"].value <= wall
            assert figures[f"{label} import orders: orders/s"].value > 0


def test_faults_cost_calls_never_orders(figures: dict[str, bench_channels.Figure]) -> None:
    platforms, _ = bench_channels.channels()
    for platform in platforms:
        clean = figures[f"{platform} import orders: done / asked"]
        faulted = figures[f"{platform} +10% faults import orders: done / asked"]
        assert clean.value == faulted.value > 0


def _updates(platform: str, count: int, *, goods: int = 1) -> list[QuantityUpdate]:
    return [
        QuantityUpdate(
            listing=ListingKey(
                channel=platform, account="a", listing_id=f"G{n % goods}", variation_id=str(n)
            ),
            quantity=n,
        )
        for n in range(count)
    ]


def test_minimums_follow_the_contract_facts() -> None:
    amazon = load_rig("amazon")
    assert amazon.import_minimum(2_000) == 1 + 1 + 20  # LWA + one RDT + 20 searchOrders pages
    assert amazon.quantities_minimum(_updates("amazon", 1_000)) == 8  # a feed: 5 + 3 polls
    assert amazon.quantities_minimum(_updates("amazon", 3)) == 3  # 3 patches beat a feed
    shopify = load_rig("shopify")
    assert shopify.quantities_minimum(_updates("shopify", 1_000)) == ceil(1_000 / 250)
    assert shopify.import_minimum(2_000) >= ceil(2_000 / 250)  # the cost limit binds first
    assert shopify.import_minimum(2_000) == ceil(2_000 / 20)  # 20 orders fit 1000 points
    ebay = load_rig("ebay")
    assert ebay.import_minimum(2_000) == 1 + ceil(2_000 / 200)  # token + getOrders pages
    assert ebay.quantities_minimum(_updates("ebay", 1_000)) == ceil(1_000 / 25)
    temu = load_rig("temu")
    # list pages + one shippinginfo per merchant-fulfilled parent (~90% of the seeded shop)
    assert 1_700 < temu.import_minimum(2_000) - ceil(2_000 / 100) < 2_000
    assert temu.quantities_minimum(_updates("temu", 1_000, goods=400)) == 400  # one per goods


def test_the_seeded_shopify_orders_need_no_follow_up_line_reads(
    figures: dict[str, bench_channels.Figure],
) -> None:
    # the rig's minimum counts order pages only: every seeded order's lines come with it
    load = bench_channels.workload(1.0)
    shop = create_app(seed=load.seed, orders=load.orders).shop
    assert max(len(o["lineItems"]) for o in shop.data.orders.values()) <= LINES_READ_WITH_ORDER
    calls = figures["shopify import orders: API calls"]
    assert calls.value == calls.minimum


@pytest.mark.anyio
async def test_fake_time_never_sleeps_short() -> None:
    time = FakeTime()
    before = time.monotonic()
    for _ in range(3):
        await time.sleep(1 / 3)  # not a whole number of microseconds
    assert time.monotonic() - before >= 1.0
