"""UPS and EasyPost simulators: UPS exchanges validated against its YAML with openapi-core."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest

from channelhub.core.errors import InvalidInput
from channelhub.core.fulfilment import TrackingStatus
from channelhub.mappings import easypost, ups
from channelhub.mappings.tracking import clean_timeline
from channelhub.simulators import easypost as easypost_sim
from channelhub.simulators import ups as ups_sim
from channelhub.simulators.clock import ManualClock
from tests.logistics.conformance import check_exchange, openapi
from tests.logistics.specs import ups_spec

UPS_HOST = "https://wwwcie.ups.com"


def _ups_token_spec() -> object:
    return openapi(ups_spec("OAuthClientCredentials.yaml"))


@pytest.mark.anyio
async def test_ups_token_and_tracking_conform() -> None:
    clock = ManualClock()
    app = ups_sim.create_app(clock=clock)
    app.state.ups.add_package("1Z999AA10123456784", clock())
    token_spec, track_spec = (
        _ups_token_spec(),
        openapi(ups_spec("Tracking.yaml"), check_spec=False),
    )  # blank defaults
    clock.tick(timedelta(days=3))  # the parcel has travelled; the token is fetched now
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=UPS_HOST) as http:
        bad = await http.post(
            "/security/v1/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=("ups-client", "nope"),
        )
        assert bad.status_code == 401
        check_exchange(token_spec, bad, UPS_HOST)  # type: ignore[arg-type]
        got = await http.post(
            "/security/v1/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=("ups-client", "ups-secret"),
        )
        check_exchange(token_spec, got, UPS_HOST)  # type: ignore[arg-type]
        token = got.json()["access_token"]
        headers = {
            "Authorization": f"Bearer {token}",
            "transId": "t-1",
            "transactionSrc": "channelhub",
        }

        tracked = await http.get("/api/track/v1/details/1Z999AA10123456784", headers=headers)
        check_exchange(track_spec, tracked, UPS_HOST + "/api", "")
        events = ups.normalize_tracking(tracked.json())
        assert events[0].status is TrackingStatus.DELIVERED
        timeline = clean_timeline(events)
        assert len(timeline) == len(events) - 1  # the re-scan is folded
        assert [e.status for e in timeline][:2] == [
            TrackingStatus.INFO_RECEIVED,
            TrackingStatus.IN_TRANSIT,
        ]

        missing = await http.get("/api/track/v1/details/1Z000000000000000", headers=headers)
        assert missing.status_code == 404
        check_exchange(track_spec, missing, UPS_HOST + "/api", "")
        clock.tick(timedelta(hours=4))
        expired = await http.get("/api/track/v1/details/1Z999AA10123456784", headers=headers)
        assert expired.status_code == 401


@pytest.mark.anyio
async def test_ups_tracking_unfolds_with_time() -> None:
    clock = ManualClock()
    app = ups_sim.create_app(clock=clock)
    sim = app.state.ups
    sim.add_package("1Z999AA10123456784")
    assert [a["status"]["type"] for a in sim.activities("1Z999AA10123456784")] == ["M"]
    clock.tick(timedelta(days=2, hours=3))
    assert sim.activities("1Z999AA10123456784")[0]["status"]["type"] == "O"


@pytest.mark.anyio
async def test_easypost_trackers_and_signed_webhooks() -> None:
    clock = ManualClock()
    received: list[tuple[dict[str, str], bytes]] = []

    async def deliver(url: str, headers: dict[str, str], body: bytes) -> int:
        received.append((headers, body))
        return 200

    app = easypost_sim.create_app(
        clock=clock,
        webhook_url="http://hub/hooks/easypost",
        webhook_secret="s3cret",
        deliver=deliver,
    )
    sim = app.state.easypost
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="https://api.easypost.com",
        auth=("EZTK_sim", ""),
    ) as http:
        created = await http.post(
            "/v2/trackers", json=easypost.tracker_create_body("9400100000000000000000", "USPS")
        )
        assert created.status_code == 201
        tracker = created.json()
        again = await http.post(
            "/v2/trackers", json=easypost.tracker_create_body("9400100000000000000000", "USPS")
        )
        assert again.json()["id"] == tracker["id"]
        fixed = await http.post("/v2/trackers", json=easypost.tracker_create_body("EZ4000000004"))
        assert easypost.normalize_tracking(fixed.json())[-1].status is TrackingStatus.DELIVERED
        assert (await http.get("/v2/trackers/trk_nope")).status_code == 404
        listed = await http.get("/v2/trackers")
        assert len(easypost.normalize_tracking(listed.json())) == 2
        unauthorised = await http.get("/v2/trackers", auth=("wrong", ""))
        assert unauthorised.status_code == 401

    await sim.advance()
    await sim.advance(timedelta(days=3))
    await sim.advance()  # nothing changed: nothing sent
    assert len(received) == 3  # tracker: pre_transit then delivered; the fixed test code once
    for headers, body in received:
        easypost.verify_webhook("s3cret", headers[easypost.SIGNATURE_HEADER], body)
    last = json.loads(received[-1][1])
    assert easypost.normalize_tracking(last)[-1].status in (TrackingStatus.DELIVERED,)
    with pytest.raises(InvalidInput, match="does not match"):
        easypost.verify_webhook(
            "s3cret", received[0][0][easypost.SIGNATURE_HEADER], received[0][1] + b" "
        )
    with pytest.raises(InvalidInput, match="missing or malformed"):
        easypost.verify_webhook("s3cret", None, received[0][1])
