"""Shopify's cost pacing when calls overlap: the hub's jobs on one shop share its bucket, and
answers to calls sent at once come back in any order. Each answer's ``throttleStatus`` is
Shopify's balance when it answered; an earlier answer arriving last must not hand back the
points a later call was charged, or the next call is sent into a THROTTLED answer."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from channelhub.connectors.http.client import ConnectorHttpClient
from channelhub.connectors.http.ratelimit import RateLimit
from channelhub.connectors.http.retry import RetryPolicy
from channelhub.connectors.shopify.transport import throttle_feedback
from tests.connectors.http.fakes import FakeClock

pytestmark = pytest.mark.anyio
COST = 900.0  # every call's query: requested and charged alike


class Shop:
    """Shopify's cost bucket (2,000 points, 100 a second on the fake clock). The first call's
    answer is held until the second call has been answered."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.available, self.at = 2000.0, clock()
        self.throttled = 0
        self.second_answered = asyncio.Event()

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        now = self.clock()
        self.available = min(2000.0, self.available + 100.0 * (now - self.at))
        self.at = now
        call = json.loads(request.content)["call"]
        if self.available < COST:
            self.throttled += 1
            return self._answer(actual=None, errors=[{"extensions": {"code": "THROTTLED"}}])
        self.available -= COST
        answer = self._answer(actual=COST)  # the balance as it stands now
        if call == 1:
            await self.second_answered.wait()
        if call == 2:
            self.second_answered.set()
        return answer

    def _answer(
        self, *, actual: float | None, errors: list[object] | None = None
    ) -> httpx.Response:
        status = {"maximumAvailable": 2000.0, "currentlyAvailable": self.available,
                  "restoreRate": 100.0}  # fmt: skip
        cost = {"requestedQueryCost": COST, "actualQueryCost": actual, "throttleStatus": status}
        body: dict[str, object] = {"data": {}, "extensions": {"cost": cost}}
        if errors:
            body["errors"] = errors
        return httpx.Response(200, json=body)


async def test_an_earlier_answer_arriving_last_does_not_let_the_next_call_be_throttled() -> None:
    clock = FakeClock()
    shop = Shop(clock)
    client = ConnectorHttpClient(
        platform="shopify",
        account="shop-1",
        base_url="https://shop-1.myshopify.test",
        limits={"graphql": RateLimit(rate=100, burst=2000)},
        retry=RetryPolicy(max_attempts=1),
        transport=httpx.MockTransport(shop),
        clock=clock,
        sleep=clock.sleep,
        limit_feedback=throttle_feedback,
    )

    async def call(number: int) -> None:
        await client.request("graphql", "POST", "/graphql.json", json={"call": number}, cost=COST)

    async with client:
        await asyncio.gather(call(1), call(2))  # answered second, then first
        await call(3)
    assert shop.throttled == 0
    assert clock.sleeps == [pytest.approx(7.0)]  # the third call waited for 900 points
