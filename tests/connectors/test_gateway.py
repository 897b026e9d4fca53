"""The shared base of signed, method-named gateways, on a toy HMAC-signed platform (the shape
Alibaba's IOP gateway has): signed query + body, envelope codes split into throttled (retried,
re-signed), refused credentials, and refusals kept with the platform's code."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from channelhub.connectors.errors import ContractViolation, Unauthorized
from channelhub.connectors.http.gateway import (
    Envelope,
    GatewayError,
    GatewayScheme,
    SignedGateway,
    SignedRequest,
    compact_json,
    hmac_hex,
    sorted_concat,
)
from channelhub.connectors.http.ratelimit import RateLimit
from channelhub.connectors.plugin import ConnectorContext

pytestmark = pytest.mark.anyio
SECRET = "s3cret"


class Toy(GatewayScheme):
    label = "Toy"
    path = "/rest"
    throttled_codes = frozenset({"ApiCallLimit"})
    auth_codes = frozenset({"IncompleteSignature"})

    def build(self, method: str, data: Any, now: datetime) -> SignedRequest:
        body = compact_json(data)
        query = {"method": method, "app_key": "k", "timestamp": str(int(now.timestamp() * 1000))}
        query["sign"] = hmac_hex(sorted_concat(query) + body.decode(), SECRET)
        return SignedRequest(body=body, query=query)

    def read(self, body: Any) -> Envelope:
        if not isinstance(body, dict) or "code" not in body:
            raise ValueError("no 'code'")
        return Envelope(
            body["code"] == "0", body["code"], body.get("message", ""), body.get("data")
        )


def _gateway(answers: list[dict[str, Any] | str]) -> tuple[SignedGateway, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    clock = [datetime(2026, 3, 1, tzinfo=UTC)]

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        query = dict(request.url.params)
        sign = query.pop("sign")
        assert sign == hmac_hex(sorted_concat(query) + request.content.decode(), SECRET)
        answer = answers.pop(0)
        return httpx.Response(200, text=answer if isinstance(answer, str) else json.dumps(answer))

    async def sleep(seconds: float) -> None:
        clock[0] += timedelta(seconds=seconds)

    context = ConnectorContext(
        platform="toy",
        account="a",
        base_url="http://toy.test",
        transport=httpx.MockTransport(handle),
        clock=lambda: clock[0].timestamp(),
        sleep=sleep,
        now=lambda: clock[0],
    )
    gateway = SignedGateway(
        context,
        Toy(),
        default_base_url="http://toy.test",
        limits={"order.get": RateLimit(rate=10, burst=10)},
    )
    return gateway, seen


async def test_a_call_is_signed_and_its_data_returned() -> None:
    gateway, seen = _gateway([{"code": "0", "data": {"id": 7}}])
    answer = await gateway.call("order.get", {"order_id": "1"})
    assert answer.data == {"id": 7}
    assert seen[0].url.params["method"] == "order.get" and seen[0].content == b'{"order_id":"1"}'
    await gateway.aclose()


async def test_throttled_is_retried_with_a_fresh_signature() -> None:
    gateway, seen = _gateway([{"code": "ApiCallLimit"}, {"code": "0", "data": 1}])
    assert (await gateway.call("order.get", {})).data == 1
    assert seen[0].url.params["timestamp"] != seen[1].url.params["timestamp"]
    await gateway.aclose()


async def test_refusals_are_split_by_code() -> None:
    gateway, _ = _gateway([{"code": "IncompleteSignature", "message": "bad sign"}])
    with pytest.raises(Unauthorized, match="bad sign"):
        await gateway.call("order.get", {})
    gateway, _ = _gateway([{"code": "InvalidOrder", "message": "no such order"}])
    with pytest.raises(GatewayError) as refused:
        await gateway.call("order.get", {})
    assert refused.value.code == "InvalidOrder" and refused.value.method == "order.get"
    gateway, _ = _gateway(["<html>maintenance</html>"])
    with pytest.raises(ContractViolation, match="without its envelope"):
        await gateway.call("order.get", {})
    await gateway.aclose()
