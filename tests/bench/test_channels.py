"""The channel benchmark at a tiny scale: it runs every channel, names its figures as the
README says, and never claims fewer API calls than the contract allows (no timing checks)."""

from __future__ import annotations

import argparse
from math import ceil

import pytest

from bench import bench_channels
from bench.channels import FakeTime, load_rig


@pytest.fixture(scope="module")
def figures() -> dict[str, bench_channels.Figure]:
    result = bench_channels.run(argparse.Namespace(scale=0.01))
    return {f.name: f for f in result}


def test_every_channel_reports_calls_against_the_minimum_clean_and_faulted(
    figures: dict[str, bench_channels.Figure],
) -> None:
    platforms, _ = bench_channels.channels()
    assert "amazon" in platforms
    for platform in platforms:
        for label in (platform, f"{platform} +10% faults"):
            for operation in bench_channels.OPERATIONS:
                calls = figures[f"{label} {operation}: API calls"]
                assert calls.minimum is not None and calls.minimum >= 1
                assert calls.value >= calls.minimum, calls
                done = figures[f"{label} {operation}: done / asked"]
                assert done.unit == f"of {done.value:g}", f"{label} {operation} lost items"
                assert f"{label} {operation}: wall time" in figures
            assert figures[f"{label} import orders: orders per second"].value > 0


def test_faults_cost_calls_never_orders(figures: dict[str, bench_channels.Figure]) -> None:
    platforms, _ = bench_channels.channels()
    for platform in platforms:
        clean = figures[f"{platform} import orders: done / asked"]
        faulted = figures[f"{platform} +10% faults import orders: done / asked"]
        assert clean.value == faulted.value > 0


def test_amazon_minimums_follow_the_contract_facts() -> None:
    rig = load_rig("amazon")
    assert rig.import_minimum(2_000) == 1 + 2 * ceil(2_000 / 100)  # LWA + pages x (search + RDT)
    assert rig.quantities_minimum(1_000) == 8  # one feed: 5 calls + 3 getFeed polls
    assert rig.quantities_minimum(3) == 3  # three patches are cheaper than a feed


@pytest.mark.anyio
async def test_fake_time_never_sleeps_short() -> None:
    time = FakeTime()
    before = time.monotonic()
    for _ in range(3):
        await time.sleep(1 / 3)  # not a whole number of microseconds
    assert time.monotonic() - before >= 1.0
