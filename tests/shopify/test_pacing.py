"""Shopify's cost pacing when calls overlap. The hub's jobs on one shop run at once, each with
a connector of its own: they must spend one bucket (the process's), as Shopify meters the
app on the shop as a whole. And answers to calls sent at once come back in any order: each
answer's ``throttleStatus`` is Shopify's balance when it answered, so an earlier answer
arriving last must not hand back the points a later call was charged. Either mistake sends
the next call into a THROTTLED answer."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest

from channelhub.connectors.http.client import ConnectorHttpClient
from channelhub.connectors.http.ratelimit import ProcessBuckets, RateLimit
from channelhub.connectors.http.retry import RetryPolicy
from channelhub.connectors.shopify import ShopifyConnector
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


async def _count(pages: AsyncIterator[Any]) -> int:
    return sum([len(page.items) async for page in pages])


@pytest.mark.parametrize("one_bucket", [True, False], ids=["process buckets", "own buckets"])
async def test_two_jobs_on_one_shop_spend_one_bucket(make_rig: Any, one_bucket: bool) -> None:
    """An order import, a listings pull and another import at once, as ``channelhub run``'s
    jobs on one shop: with the process's buckets no call is throttled; with a bucket per
    connector (how they ran before) each believes it holds the shop's 2,000 points."""
    rig = make_rig(seed=24, orders=200, products=60)
    buckets = ProcessBuckets(clock=rig.time.clock) if one_bucket else None
    one, two = (ShopifyConnector(replace(rig.context, buckets=buckets)) for _ in range(2))
    jobs = (one.pull_orders(None), two.pull_listings(None), two.pull_orders(None))
    counted = await asyncio.gather(*(_count(pages) for pages in jobs))
    assert counted == [200, 120, 200]
    throttled = sum(entry.outcome == "throttled" for entry in rig.shop.journal)
    assert (throttled == 0) is one_bucket  # the check catches the old behaviour
    for connector in (one, two, rig.connector):
        await connector.aclose()
