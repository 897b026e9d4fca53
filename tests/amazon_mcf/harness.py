"""Shared set-up for the MCF / FBA tests: one manual clock for the simulator and the connector,
the connector reaching the simulator in process, and the contract check of every request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import SecretStr

from channelhub.connectors.amazon_mcf import AmazonMcfWarehouse
from channelhub.connectors.plugin import ConnectorContext
from channelhub.simulators.amazon.app import DEFAULT_CREDENTIALS
from channelhub.simulators.amazon_mcf import create_app
from channelhub.simulators.amazon_mcf.app import US
from channelhub.simulators.clock import ManualClock
from tests.contracts import contract_file
from tests.swagger2 import RecordedRequest, SpecSet

START = datetime(2026, 3, 1, 12, tzinfo=UTC)
SPECS = (
    ("wms", "amazon_mcf", "fulfillmentOutbound_2020-07-01.json"),
    ("amazon", "fbaInventory.json"),
)
ACCOUNT = "fba-us"
SETTINGS: dict[str, Any] = {
    "marketplace_id": US,
    "warehouse": "FBA-US",
    "lwa_url": "http://sp.sim/auth/o2/token",
}


@dataclass
class Rig:
    sim: Any
    clock: ManualClock
    transport: httpx.ASGITransport

    def context(self, **settings: Any) -> ConnectorContext:
        async def sleep(seconds: float) -> None:
            self.clock.tick(timedelta(seconds=seconds))

        return ConnectorContext(
            platform="amazon_mcf",
            account=ACCOUNT,
            base_url="http://sp.sim",
            credentials={k: SecretStr(v) for k, v in DEFAULT_CREDENTIALS.items()},
            settings={**SETTINGS, **settings},
            transport=self.transport,
            clock=lambda: self.clock().timestamp(),
            sleep=sleep,
            now=self.clock,
        )

    def connector(self, **settings: Any) -> AmazonMcfWarehouse:
        return AmazonMcfWarehouse(self.context(**settings))

    def sp_api_requests(self) -> list[RecordedRequest]:
        return [
            RecordedRequest.from_parts(
                e.method,
                f"{e.path}?{e.query}" if e.query else e.path,
                headers=e.headers,
                content=e.body,
            )
            for e in self.sim.journal.entries
            if e.path != "/auth/o2/token" and not e.path.startswith("/_sim")
        ]

    def assert_requests_follow_the_contract(self) -> list[str]:
        """Every SP-API request the connector sent validates against the vendored models and
        carries the LWA token; returns the operation ids seen."""
        specs = SpecSet.load(contract_file(*parts) for parts in SPECS)
        requests = self.sp_api_requests()
        operations = specs.assert_all_valid(requests)
        for request in requests:
            assert request.headers.get("x-amz-access-token"), f"{request.path} has no token"
        return operations


def make_rig(**options: Any) -> Rig:
    clock = ManualClock(START)
    sim = create_app(clock=clock, **options)
    return Rig(sim=sim, clock=clock, transport=httpx.ASGITransport(app=sim))
