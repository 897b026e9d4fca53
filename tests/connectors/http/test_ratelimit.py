"""The token bucket grants bursts up to its size, then exactly ``rate`` per second."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channelhub.connectors.http.ratelimit import (
    LimitUpdate,
    ProcessBuckets,
    RateLimit,
    RateLimiterRegistry,
    TokenBucket,
    amazon_rate_limit_update,
    shopify_throttle_update,
)
from tests.connectors.http.fakes import FakeClock


@pytest.mark.anyio
async def test_burst_is_free_then_each_token_waits_exactly_one_interval() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=2.0, burst=3, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        assert await bucket.acquire() == 0
    assert clock.sleeps == []
    await bucket.acquire()
    await bucket.acquire()
    assert clock.sleeps == [pytest.approx(0.5), pytest.approx(0.5)]


@pytest.mark.anyio
async def test_concurrent_reservations_queue_in_arrival_order() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=1.0, burst=1, clock=clock, sleep=clock.sleep)
    assert bucket.reserve() == 0
    assert bucket.reserve() == pytest.approx(1.0)
    assert bucket.reserve() == pytest.approx(2.0)  # the third waits behind the second


def test_a_request_larger_than_the_bucket_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot take 5"):
        TokenBucket(rate=1, burst=4, clock=FakeClock()).reserve(5)


arrivals = st.lists(
    st.tuples(st.floats(min_value=0, max_value=3), st.integers(min_value=1, max_value=3)),
    min_size=1,
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(
    rate=st.floats(min_value=0.01, max_value=20),
    burst=st.integers(min_value=3, max_value=20),
    steps=arrivals,
)
def test_no_window_ever_grants_more_than_burst_plus_rate_times_window(
    rate: float, burst: int, steps: list[tuple[float, int]]
) -> None:
    """For any arrival times and sizes, tokens granted in [a, b] ≤ burst + rate × (b − a)."""
    clock = FakeClock(start=0.0)
    bucket = TokenBucket(rate=rate, burst=burst, clock=clock)
    grants: list[tuple[float, int]] = []
    for gap, n in steps:
        clock.now += gap
        wait = bucket.reserve(n)  # reservations overlap like concurrent callers
        grants.append((clock.now + wait, n))
    grants.sort()
    for i, (start, _) in enumerate(grants):
        total = 0
        for end, n in grants[i:]:
            total += n
            assert total <= burst + rate * (end - start) + 1e-6


def test_amazon_header_corrects_the_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=0.0056, burst=20, clock=clock)
    update = amazon_rate_limit_update({"x-amzn-RateLimit-Limit": "0.5"})
    assert update == LimitUpdate(rate=0.5)
    bucket.apply(update)
    assert bucket.rate == 0.5 and bucket.burst == 20
    assert amazon_rate_limit_update({"x-amzn-RateLimit-Limit": "nonsense"}) is None
    assert amazon_rate_limit_update({}) is None


@pytest.mark.anyio
async def test_shopify_throttle_status_feeds_a_cost_bucket() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=100, burst=2000, clock=clock, sleep=clock.sleep)
    status = {"maximumAvailable": 1000.0, "currentlyAvailable": 50, "restoreRate": 50.0}
    update = shopify_throttle_update(status)
    assert update is not None
    bucket.apply(update)
    assert (bucket.rate, bucket.burst, bucket.tokens) == (50.0, 1000.0, 50.0)
    await bucket.acquire(150)  # a query costing 150 points waits for 100 more at 50/s
    assert clock.sleeps == [pytest.approx(2.0)]


def _shopify_answer(available: float, charged: float | None) -> LimitUpdate:
    return LimitUpdate(rate=100.0, burst=2000.0, available=available, charged=charged)


@pytest.mark.anyio
async def test_an_older_answer_does_not_give_back_a_request_charged_since() -> None:
    """Two calls sent at once (901 points each, a 900-point query and the pacing margin),
    answered out of order: the later answer's balance counts both, the earlier one's only
    its own. Taken as the balance, the earlier answer let a third call through to Shopify's
    THROTTLED (as a hub's jobs on one shop did at start)."""
    clock = FakeClock()
    bucket = TokenBucket(rate=100, burst=2000, clock=clock, sleep=clock.sleep)
    first, second = bucket.reserve(901), bucket.reserve(901)
    assert (first, second) == (0.0, 0.0)
    bucket.apply(_shopify_answer(available=200, charged=900), reserved=901)  # the second's
    bucket.apply(_shopify_answer(available=1100, charged=900), reserved=901)  # the first's
    assert bucket.tokens == pytest.approx(200.0)
    await bucket.acquire(881)  # the third call waits for Shopify's 200 to refill
    assert clock.sleeps == [pytest.approx(6.81)]


@pytest.mark.parametrize(
    ("reserved", "available", "charged", "balance"),
    [
        (984, 1500, 500, 1500),  # requested 983 (+1), cost 500 in the end: 484 taken back
        (101, 300, 100, 300),  # another app spent the shop: Shopify's lower balance stands
        (901, 856, None, 856),  # THROTTLED, no actual cost: Shopify's balance as it says
    ],
    ids=["not charged, taken back", "another app spent", "refused"],
)
def test_an_answer_corrects_the_balance(
    reserved: float, available: float, charged: float | None, balance: float
) -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=100, burst=2000, clock=clock)
    bucket.reserve(reserved)
    bucket.apply(_shopify_answer(available=available, charged=charged), reserved=reserved)
    assert bucket.tokens == pytest.approx(balance)


@pytest.mark.anyio
async def test_the_connectors_of_one_process_share_its_buckets() -> None:
    """Two jobs' connectors (a registry each) on one account spend one budget; another
    account, or a changed plan, is a bucket of its own."""
    clock = FakeClock()
    plan = RateLimit(rate=2, burst=2)
    buckets = ProcessBuckets(clock=clock)
    job_a, job_b = (
        RateLimiterRegistry({"getOrders": plan}, clock=clock, sleep=clock.sleep, backend=buckets)
        for _ in range(2)
    )
    for registry in (job_a, job_b, job_a):
        await registry.acquire("shop-1", "getOrders")
    assert clock.sleeps == [pytest.approx(0.5)]  # the third call of the two jobs waits
    assert job_a.bucket("shop-1", "getOrders") is job_b.bucket("shop-1", "getOrders")
    assert buckets.bucket("shop-2", "getOrders", plan, clock.sleep).tokens == 2
    edited = RateLimit(rate=1, burst=5)
    assert buckets.bucket("shop-1", "getOrders", edited, clock.sleep).tokens == 5


def test_registry_keeps_one_bucket_per_account_and_operation() -> None:
    clock = FakeClock()
    registry = RateLimiterRegistry({"getOrder": RateLimit(rate=0.5, burst=30)}, clock=clock)
    a = registry.bucket("acct-a", "getOrder")
    assert registry.bucket("acct-a", "getOrder") is a
    assert registry.bucket("acct-b", "getOrder") is not a
    with pytest.raises(KeyError, match="searchOrders"):
        registry.bucket("acct-a", "searchOrders")
    fallback = RateLimiterRegistry({}, default=RateLimit(rate=1, burst=1), clock=clock)
    assert fallback.bucket("x", "anything").burst == 1
