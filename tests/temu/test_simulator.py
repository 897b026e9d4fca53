"""The Temu simulator's gateway answers with the transcript's error codes, in HTTP 200s."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from channelhub.mappings.temu import encode_body, signed_request
from channelhub.simulators.temu import DEFAULT_ACCESS_TOKEN, DEFAULT_APP_KEY, DEFAULT_APP_SECRET
from tests.temu.harness import ManualClock, simulator

pytestmark = pytest.mark.anyio


def _body(
    clock: ManualClock, api_type: str = "bg.order.list.v2.get", **params: Any
) -> dict[str, Any]:
    return signed_request(
        api_type,
        params,
        app_key=DEFAULT_APP_KEY,
        app_secret=DEFAULT_APP_SECRET,
        access_token=DEFAULT_ACCESS_TOKEN,
        now=clock.now(),
    )


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda b: b.pop("type"), 3000002),
        (lambda b: b.pop("timestamp"), 3000010),
        (lambda b: b.pop("data_type"), 3000013),
        (lambda b: b.update(data_type="XML"), 3000014),
        (lambda b: b.pop("app_key"), 3000025),
        (lambda b: b.update(app_key="nobody"), 3000026),
        (lambda b: b.pop("access_token"), 3000030),
        (lambda b: b.update(access_token="stolen"), 3000031),
        (lambda b: b.pop("sign"), 3000040),
        (lambda b: b.update(pageSize=100), 3000001),  # changed after signing
    ],
)
async def test_gateway_refusals(change: Any, code: int) -> None:
    clock = ManualClock()
    sim = simulator(clock, order_count=2)
    body = _body(clock, pageNumber=1, pageSize=10)
    change(body)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sim), base_url="http://t"
    ) as client:
        answer = await client.post("/openapi/router", content=encode_body(body))
    assert answer.status_code == 200
    assert answer.json()["success"] is False and answer.json()["errorCode"] == code


async def test_pages_start_at_one_and_hold_at_most_100() -> None:
    clock = ManualClock()
    sim = simulator(clock, order_count=2)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sim), base_url="http://t"
    ) as client:
        for params, code in (
            ({"pageNumber": 0}, 3000000),
            ({"pageSize": 101}, 3000000),
            ({}, 1000000),
        ):
            answer = await client.post(
                "/openapi/router", content=encode_body(_body(clock, **params))
            )
            assert answer.json()["errorCode"] == code
        unknown = await client.post(
            "/openapi/router", content=encode_body(_body(clock, "bg.nothing.get"))
        )
        assert unknown.json()["errorCode"] == 3000003


async def test_twenty_requests_a_second_per_app_key() -> None:
    clock = ManualClock()
    sim = simulator(clock, order_count=2)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sim), base_url="http://t"
    ) as client:
        codes = [
            (await client.post("/openapi/router", content=encode_body(_body(clock)))).json()[
                "errorCode"
            ]
            for _ in range(21)
        ]
        assert codes[:20] == [1000000] * 20 and codes[20] == 4000004
        await clock.sleep(1)
        again = await client.post("/openapi/router", content=encode_body(_body(clock)))
        assert again.json()["errorCode"] == 1000000


async def test_expired_token() -> None:
    clock = ManualClock()
    sim = simulator(clock, order_count=2)
    app, mall, _ = sim.shop.tokens[DEFAULT_ACCESS_TOKEN]
    sim.shop.tokens[DEFAULT_ACCESS_TOKEN] = (
        app,
        mall,
        int((clock.now() - timedelta(days=1)).timestamp()),
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sim), base_url="http://t"
    ) as client:
        answer = await client.post("/openapi/router", content=encode_body(_body(clock)))
    assert answer.json()["errorCode"] == 3000034
