"""The demo clock: jumps when ticked, runs ``speed`` times a (fake) wall clock in between, and
a connector's wait refills a simulator bucket that reads the same clock. No real sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from channelhub.demo.world import DemoClock
from channelhub.simulators.throttle import RefusingBucket, SimLimit

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class FakeWall:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_runs_speed_times_the_wall_between_jumps() -> None:
    wall = FakeWall()
    clock = DemoClock(START, speed=60, wall=wall)
    assert clock() == START and clock.monotonic() == 0.0
    wall.now += 2.0
    assert clock() == START + timedelta(minutes=2)
    clock.tick(timedelta(hours=1))
    assert clock() == START + timedelta(hours=1, minutes=2)
    assert clock.monotonic() == 3720.0


@pytest.mark.anyio
async def test_virtual_wait_moves_the_clock_and_refills_the_simulator_bucket() -> None:
    clock = DemoClock(START, speed=0)
    bucket = RefusingBucket(SimLimit(rate=1 / 180, burst=1), clock=lambda: clock().timestamp())
    assert bucket.take() == 0.0
    retry_after = bucket.take()
    assert retry_after == pytest.approx(180.0)  # the simulator would answer 429
    await clock.sleep(retry_after)  # what the connector does with that answer
    assert clock() == START + timedelta(seconds=180)
    assert bucket.take() == 0.0  # granted: the wait was long enough, in demo time
    assert clock.waited == pytest.approx(180.0)


@pytest.mark.anyio
async def test_flowing_wait_takes_one_speedth_of_the_time(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr("channelhub.demo.world.asyncio.sleep", fake_sleep)
    clock = DemoClock(START, speed=60, wall=FakeWall())
    await clock.sleep(120.0)
    assert slept == [2.0]
    assert clock() == START  # the (fake) wall did not move: no jump either
    await clock.sleep(-1.0)
    assert slept == [2.0, 0.0]
