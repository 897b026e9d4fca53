"""No secret or personal datum reaches a log line, an error message or a repr."""

from __future__ import annotations

import logging

import httpx
import pytest
from pydantic import SecretStr

from channelhub.connectors.errors import BadRequest
from channelhub.connectors.http.auth import HeaderTokenAuth
from channelhub.connectors.http.client import ConnectorHttpClient
from channelhub.connectors.http.ratelimit import RateLimit
from channelhub.connectors.http.redact import (
    REDACTED,
    redact_body,
    redact_headers,
    redact_json,
    redact_url,
)
from channelhub.connectors.http.retry import RetryPolicy
from tests.connectors.http.fakes import FakeClock

SECRETS = [
    "Atza|IwEBIsecretaccesstoken",
    "Atzr|refreshsecretvalue",
    "shpat_0123456789abcdef",
    "topsecretclientsecret",
    "a1b2c3signhex",
    "jane.doe@example.com",
    "+1-555-0100",
    "Jane Doe",
    "1 Infinite Loop",
    "Apt 42",
]


def test_redact_json_masks_secrets_and_personal_fields_at_any_depth() -> None:
    payload = {
        "AmazonOrderId": "123-456",
        "BuyerInfo": {"BuyerEmail": "jane.doe@example.com", "BuyerName": "Jane Doe"},
        "ShippingAddress": {"AddressLine1": "1 Infinite Loop", "City": "Cupertino"},
        "lines": [{"sku": "A-1", "recipient_phone": "+1-555-0100"}],
        "refresh_token": "Atzr|refreshsecretvalue",
        "errors": [{"code": "InvalidInput", "message": "bad"}],
    }
    cleaned = redact_json(payload)
    assert cleaned["AmazonOrderId"] == "123-456"
    assert cleaned["BuyerInfo"] == REDACTED
    assert cleaned["ShippingAddress"] == REDACTED
    assert cleaned["lines"][0] == {"sku": "A-1", "recipient_phone": REDACTED}
    assert cleaned["refresh_token"] == REDACTED
    assert cleaned["errors"][0]["code"] == "InvalidInput"  # error codes are kept


def test_headers_urls_and_bodies() -> None:
    headers = redact_headers(
        {"x-amz-access-token": "Atza|x", "Cookie": "s=1", "Accept": "application/json"}
    )
    assert headers == {
        "x-amz-access-token": REDACTED,
        "Cookie": REDACTED,
        "Accept": "application/json",
    }
    url = redact_url("https://u:p@h.test/a?access_token=abc&sign=def&client_secret=x&page=2")
    assert (
        url
        == f"https://h.test/a?access_token={REDACTED}&sign={REDACTED}&client_secret={REDACTED}&page=2"
    )
    assert redact_body(b"grant_type=refresh_token&refresh_token=Atzr|x&client_id=amzn1") == (
        f"grant_type=refresh_token&refresh_token={REDACTED}&client_id=amzn1"
    )
    assert redact_body("error for jane.doe@example.com: Bearer abc.def") == (
        f"error for {REDACTED}: {REDACTED}"
    )
    assert redact_body("x" * 50, limit=10) == "x" * 10 + "…(+40 chars)"


@pytest.mark.anyio
async def test_no_secret_reaches_the_log_or_the_error(caplog: pytest.LogCaptureFixture) -> None:
    error_body = {
        "errors": [{"code": "InvalidInput", "message": "buyer jane.doe@example.com rejected"}],
        "BuyerInfo": {"BuyerName": "Jane Doe", "BuyerPhone": "+1-555-0100"},
        "address": {"line1": "1 Infinite Loop", "line2": "Apt 42"},
        "client_secret": "topsecretclientsecret",
        "token": "shpat_0123456789abcdef",
    }
    transport = httpx.MockTransport(lambda request: httpx.Response(400, json=error_body))
    clock = FakeClock()
    client = ConnectorHttpClient(
        platform="demo",
        account="acct-1",
        base_url="https://api.example.test",
        limits={},
        default_limit=RateLimit(rate=10, burst=10),
        auth=HeaderTokenAuth("x-amz-access-token", SecretStr("Atza|IwEBIsecretaccesstoken")),
        retry=RetryPolicy.never(),
        transport=transport,
        headers={"Cookie": "session=Atzr|refreshsecretvalue"},
        clock=clock,
        sleep=clock.sleep,
    )
    caplog.set_level(logging.DEBUG, logger="channelhub.http")
    async with client:
        with pytest.raises(BadRequest) as caught:
            await client.request(
                "op", "GET", "/orders", params={"access_token": "shpat_0123456789abcdef",
                                                "sign": "a1b2c3signhex", "page": "2"},
            )  # fmt: skip
    logged = caplog.text
    assert "demo acct-1 op GET https://api.example.test/orders?" in logged
    assert "InvalidInput" in logged and "page=2" in logged
    for text in (logged, str(caught.value), repr(caught.value), repr(client)):
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} leaked into {text!r}"


def test_auth_repr_hides_the_token() -> None:
    auth = HeaderTokenAuth("X-Shopify-Access-Token", SecretStr("shpat_0123456789abcdef"))
    assert "shpat" not in repr(auth)
