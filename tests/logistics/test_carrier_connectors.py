"""UPS and EasyPost Carrier connectors against their simulators (UPS requests checked
against its published YAML with openapi-core)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from pydantic import SecretStr

from channelhub.connectors.easypost import PLUGIN as EASYPOST
from channelhub.connectors.errors import CapabilityMissing, Unauthorized
from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.roles import Carrier
from channelhub.connectors.ups import PLUGIN as UPS
from channelhub.core.fulfilment import TrackingStatus
from channelhub.mappings import easypost
from channelhub.simulators import easypost as easypost_sim
from channelhub.simulators import ups as ups_sim
from channelhub.simulators.clock import ManualClock
from tests.logistics.conformance import RecordingTransport, check_exchange, openapi
from tests.logistics.specs import ups_spec

UPS_HOST = "https://wwwcie.ups.com"


async def _no_sleep(_: float) -> None:
    return None


def _context(
    platform: str, clock: ManualClock, transport: httpx.AsyncBaseTransport, **creds: str
) -> ConnectorContext:
    return ConnectorContext(
        platform=platform,
        account="main",
        base_url=UPS_HOST if platform == "ups" else "https://api.easypost.com",
        credentials={k: SecretStr(v) for k, v in creds.items()},
        transport=transport,
        clock=lambda: clock().timestamp(),
        now=clock,
        sleep=_no_sleep,
    )


@pytest.mark.anyio
async def test_ups_tracks_with_a_refreshed_token_and_conforms() -> None:
    clock = ManualClock()
    app = ups_sim.create_app(clock=clock)
    app.state.ups.add_package("1Z999AA10123456784", clock() - timedelta(days=3))
    transport = RecordingTransport(httpx.ASGITransport(app=app))
    carrier = UPS.create(
        _context("ups", clock, transport, client_id="ups-client", client_secret="ups-secret")
    )
    assert isinstance(carrier, Carrier) and "ups-secret" not in repr(carrier)
    events = await carrier.track("1Z999AA10123456784")
    assert events[0].status is TrackingStatus.DELIVERED
    assert await carrier.track("1Z000000000000000") == []
    assert app.state.ups.token_requests == 1  # one token for both calls
    clock.tick(timedelta(hours=4))
    await carrier.track("1Z999AA10123456784")
    assert app.state.ups.token_requests == 2  # refreshed before it ran out
    token_spec = openapi(ups_spec("OAuthClientCredentials.yaml"))
    track_spec = openapi(ups_spec("Tracking.yaml"), check_spec=False)
    for exchange in transport.exchanges:
        if exchange.request.url.path.startswith("/security"):
            check_exchange(token_spec, exchange, UPS_HOST)
        else:
            check_exchange(track_spec, exchange, UPS_HOST + "/api")
    with pytest.raises(CapabilityMissing):
        await carrier.quote(None)  # type: ignore[arg-type]
    await carrier.aclose()


@pytest.mark.anyio
async def test_ups_wrong_secret_is_fatal() -> None:
    clock = ManualClock()
    app = ups_sim.create_app(clock=clock)
    carrier = UPS.create(
        _context(
            "ups", clock, httpx.ASGITransport(app=app), client_id="ups-client", client_secret="bad"
        )
    )
    with pytest.raises(Unauthorized):
        await carrier.track("1Z999AA10123456784")
    await carrier.aclose()


@pytest.mark.anyio
async def test_easypost_tracks_and_verifies_webhooks() -> None:
    clock = ManualClock()
    deliveries: list[tuple[dict[str, str], bytes]] = []

    async def deliver(url: str, headers: dict[str, str], body: bytes) -> int:
        deliveries.append((headers, body))
        return 200

    app = easypost_sim.create_app(
        clock=clock, webhook_url="http://hub/ep", webhook_secret="whs", deliver=deliver
    )
    carrier = EASYPOST.create(
        _context(
            "easypost",
            clock,
            httpx.ASGITransport(app=app),
            api_key="EZTK_sim",
            webhook_secret="whs",
        )
    )
    assert isinstance(carrier, Carrier)
    events = await carrier.track("9400100000000000000000", "USPS")
    assert events[0].status is TrackingStatus.INFO_RECEIVED and events[0].carrier == "usps"
    await app.state.easypost.advance(timedelta(days=3))
    (headers, body) = deliveries[-1]
    event = carrier.verify_webhook(headers, body, now=clock())
    assert event.topic == "tracker.updated"
    assert easypost.normalize_tracking(dict(event.payload))[-1].status is TrackingStatus.DELIVERED
    await carrier.aclose()


def test_logistics_connectors_are_registered() -> None:
    from channelhub.connectors.registry import ConnectorRegistry

    registry = ConnectorRegistry(discover=lambda: [])
    for name in ("shipbob", "outbound_protocol", "ups", "easypost"):
        assert registry.get(name).platform == name


def test_logistics_simulators_are_registered() -> None:
    from channelhub.simulators.registry import create_simulator

    for name in ("shipbob", "outbound_protocol", "ups", "easypost"):
        sim = create_simulator(name, seed=1)
        assert sim.platform == name
