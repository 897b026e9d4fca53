"""Shared set-up for Amazon connector tests: fake time, simulator, connector, contract check."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import SecretStr

from channelhub.connectors.amazon import AmazonConnector
from channelhub.connectors.plugin import ConnectorContext
from channelhub.simulators.amazon import MARKETPLACES, create_app
from channelhub.simulators.amazon.app import DEFAULT_CREDENTIALS
from tests.contracts import contract_file
from tests.swagger2 import RecordedRequest, SpecSet, validate_listings_feed

START = datetime(2026, 3, 1, 12, tzinfo=UTC)
SPECS = (
    "orders_2026-01-01.json",
    "ordersV0.json",
    "listingsItems_2021-08-01.json",
    "feeds_2021-06-30.json",
    "tokens_2021-03-01.json",
    "notifications.json",
)
NOT_SP_API = ("/auth/o2/token", "/_upload/", "/_download/")


class FakeTime:
    """One clock for the simulator and the connector; sleeping advances it instantly."""

    def __init__(self) -> None:
        self.now = START
        self.slept: list[float] = []

    def utc(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return self.now.timestamp()

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)


@dataclass
class Rig:
    sim: Any
    time: FakeTime
    transport: httpx.ASGITransport

    def connector(self, **settings: Any) -> AmazonConnector:
        return AmazonConnector(self.context(**settings))

    def context(self, **settings: Any) -> ConnectorContext:
        return ConnectorContext(
            platform="amazon",
            account="acme-amazon",
            base_url="http://sp.sim",
            credentials={k: SecretStr(v) for k, v in DEFAULT_CREDENTIALS.items()},
            settings={
                "seller_id": "A1SIMSELLER",
                "marketplace_ids": [m.marketplace_id for m in MARKETPLACES],
                "lwa_url": "http://sp.sim/auth/o2/token",
                **settings,
            },
            transport=self.transport,
            clock=self.time.monotonic,
            sleep=self.time.sleep,
            now=self.time.utc,
        )

    def unshipped_order(self, lines: Callable[[int], bool] = bool) -> dict[str, Any]:
        """The first unshipped merchant-fulfilled order whose count of items ``lines``
        accepts (an order the seller may confirm shipments of), as the simulator holds it."""
        return next(
            o
            for o in self.sim.state.orders.values()
            if o["fulfillment"]["fulfillmentStatus"] == "UNSHIPPED"
            and o["fulfillment"]["fulfilledBy"] == "MERCHANT"
            and lines(len(o["orderItems"]))
        )

    def sp_api_requests(self) -> list[RecordedRequest]:
        return [
            RecordedRequest.from_parts(
                e.method,
                f"{e.path}?{e.query}" if e.query else e.path,
                headers=e.headers,
                content=e.body,
            )
            for e in self.sim.journal.entries
            if not e.path.startswith(NOT_SP_API)
        ]

    def assert_requests_follow_the_contract(self) -> list[str]:
        """Every SP-API request validates; every uploaded feed fits the feed schema."""
        specs = SpecSet.load(contract_file("amazon", name) for name in SPECS)
        operations = specs.assert_all_valid(self.sp_api_requests())
        for request in self.sp_api_requests():
            assert request.headers.get("x-amz-access-token"), f"{request.path} has no token"
        schema = contract_file("amazon", "listings-feed-schema-v2.json")
        for entry in self.sim.journal.matching("PUT", "/_upload/"):
            assert "x-amz-access-token" not in entry.headers
            assert validate_listings_feed(json.loads(entry.body), schema) == []
        return operations


def make_rig(**options: Any) -> Rig:
    time = FakeTime()
    sim = create_app(now=time.utc, **options)
    return Rig(sim=sim, time=time, transport=httpx.ASGITransport(app=sim))
