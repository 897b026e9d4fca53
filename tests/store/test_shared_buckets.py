"""Rate-limit buckets shared by processes (PostgreSQL, procrastinate): two spenders of one
account's budget, each on its own connection, never exceed the rate together; each on its
own in-process bucket would (the control that shows the check can fail)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine

from channelhub.connectors.http.ratelimit import (
    Bucket,
    LimitUpdate,
    RateLimit,
    RateLimiterRegistry,
    TokenBucket,
)
from channelhub.store.db import make_engine
from channelhub.store.shared_buckets import SharedBuckets, shared_buckets_for

pytestmark = pytest.mark.postgres

PLAN = RateLimit(rate=5.0, burst=4.0)
PER_SPENDER = 40


async def _never(seconds: float) -> None:
    raise AssertionError("these tests reserve; nothing sleeps")


class SteppingClock:
    """A clock both threads read: each read moves it on ``step`` s (demand far above the
    plan), and each thread remembers its own last reading (when its reservation was made)."""

    def __init__(self, start: float = 1_000.0, step: float = 0.02) -> None:
        self._now = start
        self._step = step
        self._lock = threading.Lock()
        self._local = threading.local()

    def __call__(self) -> float:
        with self._lock:
            self._now += self._step
            self._local.last = self._now
            return self._now

    @property
    def last(self) -> float:
        value: float = self._local.last
        return value


@pytest.fixture
def engines(_migrated_postgres_url: str) -> Iterator[Callable[[], Engine]]:
    """New engines (each its own connections) on the migrated schema; rate_buckets emptied."""
    made: list[Engine] = []

    def new() -> Engine:
        made.append(make_engine(_migrated_postgres_url))
        return made[-1]

    yield new
    if not made:
        return
    with made[0].begin() as connection:
        connection.exec_driver_sql("DELETE FROM rate_buckets")
    for engine in made:
        engine.dispose()


def _spend(buckets: list[Bucket], clock: SteppingClock) -> list[float]:
    """Each bucket spent by its own thread, ``PER_SPENDER`` tokens: when each token may be
    used (the reservation's time plus the wait it was given), all threads together."""
    grants: list[float] = []
    lock = threading.Lock()

    def spender(bucket: Bucket) -> None:
        for _ in range(PER_SPENDER):
            wait = bucket.reserve(1.0)
            with lock:
                grants.append(clock.last + wait)

    threads = [threading.Thread(target=spender, args=(bucket,)) for bucket in buckets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(grants)


def _over_plan(grants: list[float], plan: RateLimit) -> list[tuple[int, float]]:
    """Windows granting more than ``burst + rate × width``: (tokens, width) of each."""
    over = []
    for i, first in enumerate(grants):
        for j in range(i, len(grants)):
            width = grants[j] - first
            if j - i + 1 > plan.burst + plan.rate * width + 1e-6:
                over.append((j - i + 1, width))
    return over


def test_two_processes_sharing_a_bucket_never_exceed_its_rate(
    engines: Callable[[], Engine],
) -> None:
    clock = SteppingClock()
    spenders = [
        SharedBuckets(engines(), clock=clock).bucket("shop-1", "graphql", PLAN, _never)
        for _ in range(2)
    ]
    assert all(isinstance(spender, Bucket) for spender in spenders)  # the connectors' protocol
    grants = _spend(list(spenders), clock)
    assert len(grants) == 2 * PER_SPENDER
    assert _over_plan(grants, PLAN) == []
    # and the budget is used, not wasted: the last token comes when the plan allows it
    # (a few clock steps of slack where one thread's statement overtook the other's)
    allowed = (2 * PER_SPENDER - PLAN.burst) / PLAN.rate
    assert grants[-1] - grants[0] <= allowed + 0.5


def test_two_processes_with_their_own_buckets_oversubscribe() -> None:
    clock = SteppingClock()
    own = [TokenBucket(PLAN.rate, PLAN.burst, clock=clock) for _ in range(2)]
    assert _over_plan(_spend(list(own), clock), PLAN)  # the check catches the old behaviour


def test_feedback_and_refunds_reach_every_process(engines: Callable[[], Engine]) -> None:
    now = [500.0]
    one, two = (SharedBuckets(engines(), clock=lambda: now[0]) for _ in range(2))
    a = one.bucket("shop-1", "graphql", PLAN, _never)
    b = two.bucket("shop-1", "graphql", PLAN, _never)
    assert [a.reserve() for _ in range(4)] == [0.0] * 4
    assert b.reserve() == pytest.approx(0.2)  # the burst is spent by the other process
    a.refund(1.0)  # a's call never reached the platform
    assert b.tokens == pytest.approx(0.0)
    a.apply(LimitUpdate(rate=10.0, burst=50.0, available=20.0))  # Shopify's throttleStatus
    assert b.tokens == pytest.approx(20.0)
    assert (b.rate, b.burst) == (10.0, 50.0)
    now[0] += 1.0
    assert b.tokens == pytest.approx(30.0)
    # another account, or another bucket of the same account, is a budget of its own
    assert one.bucket("shop-2", "graphql", PLAN, _never).reserve(4.0) == 0.0
    # a changed configured plan (an operator's override) resets the shared rate and burst
    changed = two.bucket("shop-1", "graphql", RateLimit(rate=1.0, burst=2.0), _never)
    assert changed.reserve(2.0) == 0.0
    assert (changed.rate, changed.burst) == (1.0, 2.0)
    assert changed.reserve(1.0) == pytest.approx(1.0)


def test_an_older_answer_in_another_process_gives_nothing_back(
    engines: Callable[[], Engine],
) -> None:
    """Two processes' calls on one shop, answered out of order (see the in-process bucket's
    test): the later answer's balance stands, the earlier one only lowers it, and what a
    call was not charged comes back."""
    now = [900.0]
    one, two = (SharedBuckets(engines(), clock=lambda: now[0]) for _ in range(2))
    shop = RateLimit(rate=100.0, burst=2000.0)
    a = one.bucket("shop-1", "graphql", shop, _never)
    b = two.bucket("shop-1", "graphql", shop, _never)
    assert (a.reserve(901), b.reserve(901)) == (0.0, 0.0)
    b.apply(LimitUpdate(available=200.0, charged=900.0), reserved=901.0)  # the later
    a.apply(LimitUpdate(available=1100.0, charged=900.0), reserved=901.0)  # the earlier
    assert a.tokens == pytest.approx(200.0)
    assert a.reserve(500) == pytest.approx(3.0)  # 300 more at 100/s
    a.apply(LimitUpdate(available=2000.0, charged=100.0), reserved=500.0)  # 400 not charged
    assert b.tokens == pytest.approx(100.0)


def test_connectors_take_the_shared_buckets_through_their_registry(
    engines: Callable[[], Engine],
) -> None:
    now = [0.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    backend = SharedBuckets(engines(), clock=lambda: now[0])
    worker_a = RateLimiterRegistry({"searchOrders": PLAN}, sleep=sleep, backend=backend)
    worker_b = RateLimiterRegistry({"searchOrders": PLAN}, sleep=sleep, backend=backend)

    async def calls() -> None:
        for registry in (worker_a, worker_b, worker_a, worker_b, worker_a):
            await registry.acquire("amz-1", "searchOrders")

    asyncio.run(calls())
    assert slept == [pytest.approx(0.2)]  # the fifth call of the pair waits for a token
    assert shared_buckets_for(backend_engine := engines(), "embedded") is None
    assert isinstance(shared_buckets_for(backend_engine, "procrastinate"), SharedBuckets)
