"""A Shopify simulator and a connector wired to it in process, on one fake clock."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.shopify import InMemoryWebhookDedupe, ShopifyConnector
from channelhub.simulators.shopify import create_app
from channelhub.simulators.shopify.app import ShopSimulator

SECRET = "shpss_webhook_secret"
TOKEN = "shpat_simulator"


@dataclass
class FakeTime:
    """Monotonic clock, wall clock and sleep in one: sleeping moves both clocks."""

    t: float = 0.0
    start: datetime = datetime(2026, 3, 1, tzinfo=UTC)
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.t

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.t)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


@dataclass
class Rig:
    sim: Any
    shop: ShopSimulator
    connector: ShopifyConnector
    time: FakeTime
    dedupe: InMemoryWebhookDedupe
    context: ConnectorContext


@pytest.fixture
def make_rig() -> Callable[..., Any]:
    made: list[Rig] = []

    def build(**knobs: Any) -> Rig:
        time = FakeTime()
        # the connector's paged reads unless a test asks for bulk (default: windows of 7 days)
        settings = {"bulk_after_days": 0, **knobs.pop("settings", {})}
        sim = create_app(clock=time.clock, now=time.now, **knobs)
        shop: ShopSimulator = sim.shop
        location = shop.data.locations[0]["id"].rsplit("/", 1)[-1]
        context = ConnectorContext(
            platform="shopify",
            account="sim-shop",
            base_url="https://channelhub-sim.myshopify.com",
            credentials={"access_token": SecretStr(TOKEN), "api_secret": SecretStr(SECRET)},
            settings={"api_version": "2025-01", "location_id": location, **settings},
            transport=httpx.ASGITransport(app=sim),
            clock=time.clock,
            sleep=time.sleep,
            now=time.now,
            rng=random.Random(7),
        )
        dedupe = InMemoryWebhookDedupe()
        rig = Rig(sim, shop, ShopifyConnector(context, dedupe=dedupe), time, dedupe, context)
        made.append(rig)
        return rig

    return build


@pytest.fixture
async def closing() -> AsyncIterator[list[ShopifyConnector]]:
    connectors: list[ShopifyConnector] = []
    yield connectors
    for connector in connectors:
        await connector.aclose()


def assert_requests_valid(rig: Rig) -> None:
    """Every body the connector sent validates against the published schema (document and
    variables), checked independently of the simulator's own validation."""
    from tests.graphql_contract import request_errors

    bodies = [entry.json() for entry in rig.sim.journal.entries if entry.body]
    assert bodies, "the connector sent nothing"
    for body in bodies:
        assert request_errors(body) == [], body["query"][:80]
