"""Webhook signature and replay checks; a connector's HTTP client wired from its context."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pydantic import SecretStr

from channelhub.connectors.errors import WebhookRejected
from channelhub.connectors.http.ratelimit import RateLimit
from channelhub.connectors.plugin import ConnectorContext, http_client_for
from channelhub.connectors.webhooks import check_replay_window, verify_hmac_sha256
from channelhub.simulators.demo import create_simulator
from tests.connectors.http.fakes import FakeClock

SECRET = SecretStr("hush-app-secret")
BODY = b'{"id": 820982911946154508, "email": "jon@example.com"}'


def sign(body: bytes) -> bytes:
    return hmac.new(b"hush-app-secret", body, hashlib.sha256).digest()


def test_base64_and_hex_signatures_verify() -> None:
    verify_hmac_sha256(SECRET, BODY, base64.b64encode(sign(BODY)).decode())
    verify_hmac_sha256(
        SECRET,
        BODY,
        "hmac-sha256-hex=" + sign(BODY).hex(),
        encoding="hex",
        prefix="hmac-sha256-hex=",
    )


@pytest.mark.parametrize(
    ("signature", "why"),
    [
        (None, "no signature"),
        ("not base64!!", "not well formed"),
        (base64.b64encode(sign(BODY + b" ")).decode(), "does not match"),
    ],
)
def test_bad_signatures_are_rejected_without_echoing_secrets(
    signature: str | None, why: str
) -> None:
    with pytest.raises(WebhookRejected, match=why) as caught:
        verify_hmac_sha256(SECRET, BODY, signature, platform="shopify")
    assert "hush" not in str(caught.value)


def test_replay_window() -> None:
    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    check_replay_window(now - timedelta(minutes=4), now)
    with pytest.raises(WebhookRejected, match="outside the 300s replay window"):
        check_replay_window(now - timedelta(minutes=6), now)


@pytest.mark.anyio
async def test_http_client_for_takes_everything_from_the_context() -> None:
    clock = FakeClock()
    sim = create_simulator(seed=2, clock=clock)
    context = ConnectorContext(
        platform="demo",
        account="shop-9",
        base_url="http://sim",
        rate_limits={"pushQuantity": RateLimit(rate=1, burst=1)},  # the account's override
        transport=httpx.ASGITransport(app=sim),
        clock=clock,
        sleep=clock.sleep,
    )
    published = {
        "pushQuantity": RateLimit(rate=5, burst=10),
        "listOrders": RateLimit(rate=2, burst=5),
    }
    async with http_client_for(
        context, default_base_url="https://prod.invalid", limits=published
    ) as client:
        assert client.account == "shop-9"
        await client.request("pushQuantity", "PUT", "/quantities/A", json={"quantity": 1})
        await client.request("pushQuantity", "PUT", "/quantities/A", json={"quantity": 2})
        page = await client.request("listOrders", "GET", "/orders")
    assert clock.sleeps == [1.0]  # the override (1/s burst 1) paced us; the platform never said 429
    assert [e.status for e in sim.journal.entries] == [200, 200, 200]
    assert page.json()["next_token"] == "5"
