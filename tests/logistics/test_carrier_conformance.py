"""UPS and EasyPost run the connector conformance suite (channelhub.testing) against their
simulators."""

from __future__ import annotations

import json
from datetime import timedelta

from pydantic import SecretStr

from channelhub.connectors.easypost import PLUGIN as EASYPOST
from channelhub.connectors.easypost import EasyPostCarrier
from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.ups import PLUGIN as UPS
from channelhub.connectors.ups import UpsCarrier
from channelhub.core.fulfilment import TrackingStatus
from channelhub.mappings import easypost
from channelhub.simulators import easypost as easypost_sim
from channelhub.simulators import ups as ups_sim
from channelhub.testing import CarrierHarness, ConformanceSuite, FakeTime, LossyTransport, Rig

UPS_NUMBER = "1Z999AA10123456784"
WEBHOOK_SECRET = "conformance-easypost"


def _context(
    platform: str, time: FakeTime, transport: LossyTransport, **creds: str
) -> ConnectorContext:
    return ConnectorContext(
        platform=platform,
        account="main",
        base_url=f"http://{platform}.sim",
        credentials={k: SecretStr(v) for k, v in creds.items()},
        transport=transport,
        clock=time.monotonic,
        sleep=time.sleep,
        now=time.now,
    )


class UpsHarness(CarrierHarness):
    plugin = UPS

    def rig(self, *, seed: int) -> Rig:
        time = FakeTime()
        sim = ups_sim.create_simulator(seed=seed, clock=time.now)
        sim.app.state.ups.add_package(UPS_NUMBER, time.now() - timedelta(days=3))
        transport = LossyTransport.to(sim)

        def connect() -> UpsCarrier:
            creds = {"client_id": "ups-client", "client_secret": "ups-secret"}
            return UpsCarrier(_context("ups", time, transport, **creds))

        return Rig(sim, time, connect, state=sim.app.state.ups, transport=transport)

    def tracking_number(self, rig: Rig) -> str:
        return UPS_NUMBER

    def expected_statuses(self, rig: Rig, tracking_number: str) -> set[TrackingStatus]:
        return {TrackingStatus.IN_TRANSIT, TrackingStatus.DELIVERED}

    def unknown_tracking_number(self, rig: Rig) -> str | None:
        return "1Z000000000000000"


class EasyPostHarness(CarrierHarness):
    plugin = EASYPOST

    def rig(self, *, seed: int) -> Rig:
        time = FakeTime()
        sim = easypost_sim.create_simulator(seed=seed, clock=time.now)
        transport = LossyTransport.to(sim)

        def connect() -> EasyPostCarrier:
            creds = {"api_key": "EZTK_sim", "webhook_secret": WEBHOOK_SECRET}
            return EasyPostCarrier(_context("easypost", time, transport, **creds))

        return Rig(sim, time, connect, state=sim.app.state.easypost, transport=transport)

    def tracking_number(self, rig: Rig) -> str:
        return "EZ4000000004"  # EasyPost's test code for a delivered parcel

    def expected_statuses(self, rig: Rig, tracking_number: str) -> set[TrackingStatus]:
        return {TrackingStatus.DELIVERED}

    def webhook(self, rig: Rig, n: int) -> tuple[dict[str, str], bytes]:
        event = {
            "object": "Event",
            "id": f"evt_{n:04d}",
            "description": "tracker.updated",
            "created_at": rig.time.now().isoformat().replace("+00:00", "Z"),
            "result": {"object": "Tracker", "tracking_code": f"EZ{n}", "status": "in_transit"},
        }
        body = json.dumps(event).encode()
        return {easypost.SIGNATURE_HEADER: easypost.webhook_signature(WEBHOOK_SECRET, body)}, body


class TestUpsConformance(ConformanceSuite):
    harness = UpsHarness()


class TestEasyPostConformance(ConformanceSuite):
    harness = EasyPostHarness()
