"""ConnectorHttpClient: status → error mapping, retries, Retry-After, limiter, feedback."""

from __future__ import annotations

import json
import logging
import random
import socket
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from channelhub.connectors.errors import (
    BadRequest,
    ConnectFailure,
    ConnectorError,
    ContractViolation,
    NotFoundError,
    RateLimited,
    ServerError,
    TransportFailure,
)
from channelhub.connectors.http.client import ConnectorHttpClient
from channelhub.connectors.http.ratelimit import RateLimit
from channelhub.connectors.http.retry import RetryBudget, RetryPolicy, parse_retry_after
from tests.connectors.http.fakes import FakeClock

Handler = Callable[[httpx.Request], httpx.Response]


class Script:
    """A mock transport answering from a list, counting calls."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def make_client(
    script: Script,
    clock: FakeClock,
    *,
    limits: dict[str, RateLimit] | None = None,
    retry: RetryPolicy | None = None,
    **kwargs: object,
) -> ConnectorHttpClient:
    return ConnectorHttpClient(
        platform="demo",
        account="acct-1",
        base_url="https://api.example.test",
        limits=limits or {},
        default_limit=RateLimit(rate=100, burst=100),
        retry=retry or RetryPolicy(max_attempts=4, initial_backoff=1, jitter=0),
        transport=httpx.MockTransport(script),
        clock=clock,
        sleep=clock.sleep,
        now=lambda: datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC),
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.mark.anyio
async def test_retry_after_seconds_is_what_the_sleep_receives() -> None:
    clock = FakeClock()
    script = Script(
        httpx.Response(429, headers={"Retry-After": "7"}, json={"errors": []}),
        httpx.Response(200, json={"ok": True}, headers={"x-amzn-RateLimit-Limit": "2"}),
    )
    async with make_client(script, clock) as client:
        result = await client.request("getThing", "GET", "/things")
    assert clock.sleeps == [7.0]
    assert result.json() == {"ok": True}
    assert result.attempts == 2
    assert result.rate_limit == {"x-amzn-ratelimit-limit": "2"}
    assert client.limiter.bucket("acct-1", "getThing").rate == 2.0  # corrected from header


@pytest.mark.anyio
async def test_retry_after_http_date_is_converted_to_seconds() -> None:
    clock = FakeClock()
    script = Script(
        httpx.Response(503, headers={"Retry-After": "Thu, 01 Jan 2026 12:00:30 GMT"}),
        httpx.Response(204),
    )
    async with make_client(script, clock) as client:
        await client.request("op", "DELETE", "/x")
    assert clock.sleeps == [30.0]


def test_parse_retry_after_forms() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_retry_after("120", now=now) == 120
    assert parse_retry_after("Thu, 01 Jan 2026 00:00:05 GMT", now=now) == 5
    assert parse_retry_after("Wed, 31 Dec 2025 00:00:00 GMT", now=now) == 0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None) is None


@pytest.mark.anyio
async def test_fatal_error_is_sent_once_and_raised() -> None:
    clock = FakeClock()
    script = Script(httpx.Response(400, json={"errors": [{"code": "InvalidInput"}]}))
    async with make_client(script, clock) as client:
        with pytest.raises(BadRequest) as caught:
            await client.request("confirmShipment", "POST", "/orders/1/shipment", json={})
    assert len(script.requests) == 1
    assert clock.sleeps == []
    error = caught.value
    assert (error.status, error.operation, error.platform) == (400, "confirmShipment", "demo")
    assert error.request == "POST https://api.example.test/orders/1/shipment"
    assert "InvalidInput" in (error.body or "")
    assert not error.retryable


@pytest.mark.anyio
async def test_retryable_errors_are_retried_up_to_the_limit_with_exponential_backoff() -> None:
    clock = FakeClock()
    script = Script(httpx.Response(503))
    async with make_client(script, clock) as client:
        with pytest.raises(ServerError):
            await client.request("getThing", "GET", "/things")
    assert len(script.requests) == 4
    assert clock.sleeps == [1.0, 2.0, 4.0]


@pytest.mark.anyio
async def test_jitter_is_added_from_the_injected_rng() -> None:
    import random

    clock = FakeClock()
    script = Script(httpx.Response(500), httpx.Response(200))
    policy = RetryPolicy(max_attempts=2, initial_backoff=1, jitter=0.5)
    async with make_client(script, clock, retry=policy, rng=random.Random(3)) as client:
        await client.request("op", "GET", "/x")
    expected = 1 + random.Random(3).uniform(0, 0.5)
    assert clock.sleeps == [pytest.approx(expected)]


@pytest.mark.anyio
async def test_non_idempotent_call_is_not_repeated_after_a_server_error() -> None:
    clock = FakeClock()
    script = Script(httpx.Response(500))
    async with make_client(script, clock) as client:
        with pytest.raises(ServerError):
            await client.request("createFulfillment", "POST", "/f", json={"a": 1})
    assert len(script.requests) == 1


@pytest.mark.anyio
async def test_non_idempotent_call_is_repeated_after_throttling_or_connect_failure() -> None:
    clock = FakeClock()
    script = Script(
        httpx.Response(429),
        httpx.ConnectError("refused"),
        httpx.Response(201, json={"id": "9"}),
    )
    async with make_client(script, clock) as client:
        result = await client.request("createFulfillment", "POST", "/f", json={"a": 1})
    assert result.status == 201 and len(script.requests) == 3


@pytest.mark.anyio
async def test_read_timeout_becomes_a_retryable_transport_failure() -> None:
    clock = FakeClock()
    script = Script(httpx.ReadTimeout("slow"))
    async with make_client(script, clock, retry=RetryPolicy(max_attempts=2, jitter=0)) as client:
        with pytest.raises(TransportFailure) as caught:
            await client.request("getThing", "GET", "/things")
    assert len(script.requests) == 2
    assert "ReadTimeout" in str(caught.value)


@pytest.mark.anyio
async def test_expected_statuses_decide_success() -> None:
    clock = FakeClock()
    async with make_client(Script(httpx.Response(404)), clock) as client:
        found = await client.request("getThing", "GET", "/x", expected={200, 404})
        assert found.status == 404
        with pytest.raises(NotFoundError):
            await client.request("getThing", "GET", "/x")
    async with make_client(Script(httpx.Response(207, json={})), clock) as client:
        with pytest.raises(ContractViolation):
            await client.request("bulkUpdate", "POST", "/b", expected={200})


@pytest.mark.anyio
async def test_an_in_body_throttle_found_by_the_inspector_is_retried() -> None:
    clock = FakeClock()
    throttled = {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]}
    script = Script(httpx.Response(200, json=throttled), httpx.Response(200, json={"data": {}}))

    def inspect(operation: str, response: httpx.Response) -> ConnectorError | None:
        body = json.loads(response.content)
        codes = [e.get("extensions", {}).get("code") for e in body.get("errors", [])]
        return RateLimited("throttled", retry_after=1.5) if "THROTTLED" in codes else None

    async with make_client(script, clock, inspect_response=inspect) as client:
        result = await client.request("orders", "POST", "/graphql.json", json={}, idempotent=True)
    assert result.json() == {"data": {}}
    assert clock.sleeps == [1.5]


@pytest.mark.anyio
async def test_each_attempt_takes_a_token_from_the_operation_bucket() -> None:
    clock = FakeClock()
    script = Script(httpx.Response(200, json={}))
    limits = {"getOrder": RateLimit(rate=0.5, burst=2)}
    async with make_client(script, clock, limits=limits) as client:
        for _ in range(3):
            await client.request("getOrder", "GET", "/orders/1")
    assert clock.sleeps == [pytest.approx(2.0)]  # the third waited one interval at 0.5/s


@pytest.mark.anyio
async def test_refused_again_after_the_hinted_wait_it_backs_off_as_well() -> None:
    """Another client on the same budget (a second process on one Shopify shop) spends each
    refill first: waiting only the platform's hint was refused on every attempt, and the
    run failed. The first retry waits the hint; the next ones the backoff when longer."""
    clock = FakeClock()
    refused = httpx.Response(429, headers={"Retry-After": "0.2"})
    script = Script(refused, refused, refused, httpx.Response(200, json={}))
    async with make_client(script, clock) as client:
        await client.request("op", "GET", "/x")
    assert clock.sleeps == [pytest.approx(0.2), pytest.approx(1.0), pytest.approx(2.0)]


@pytest.mark.anyio
async def test_retry_after_longer_than_the_cap_is_not_waited_for() -> None:
    clock = FakeClock()
    script = Script(httpx.Response(429, headers={"Retry-After": "3600"}))
    policy = RetryPolicy(max_attempts=3, max_retry_after=60)
    async with make_client(script, clock, retry=policy) as client:
        with pytest.raises(RateLimited) as caught:
            await client.request("op", "GET", "/x")
    assert clock.sleeps == [] and caught.value.retry_after == 3600


@pytest.mark.anyio
async def test_operations_named_to_one_bucket_share_its_budget() -> None:
    clock = FakeClock()
    script = Script(httpx.Response(200, json={}))
    limits = {"app": RateLimit(rate=0.5, burst=2)}
    async with make_client(script, clock, limits=limits) as client:
        await client.request("listOrders", "GET", "/orders", bucket="app")
        await client.request("getAddress", "GET", "/orders/1/address", bucket="app")
        await client.request("getGoods", "GET", "/goods", bucket="app")
    assert clock.sleeps == [pytest.approx(2.0)]  # three operations, one bucket of 2


# --- a dead or silent base URL fails fast, names the URL and shows each retry --------------


class Silent:
    """A platform that never answers: each attempt costs (in injected time) the timeout the
    client gave it, then times out the way httpx does."""

    def __init__(self, clock: FakeClock, error: type[httpx.TimeoutException], phase: str):
        self.clock, self.error, self.phase = clock, error, phase
        self.timeouts: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        waited = request.extensions["timeout"][self.phase]
        self.timeouts.append(waited)
        self.clock.now += waited
        raise self.error("timed out", request=request)


def silent_client(clock: FakeClock, handler: Callable[[httpx.Request], httpx.Response]):  # type: ignore[no-untyped-def]
    """A client with the production defaults (timeouts, retry policy and budget)."""
    return ConnectorHttpClient(
        platform="demo",
        account="acct-1",
        base_url="https://api.example.test",
        limits={},
        default_limit=RateLimit(rate=100, burst=100),
        transport=httpx.MockTransport(handler),
        clock=clock,
        sleep=clock.sleep,
        rng=random.Random(1),
    )


@pytest.mark.anyio
async def test_a_silent_platform_fails_within_the_budget_naming_the_url() -> None:
    clock = FakeClock()
    silent = Silent(clock, httpx.ReadTimeout, "read")
    async with silent_client(clock, silent) as client:
        with pytest.raises(TransportFailure) as caught:
            await client.request("getThing", "GET", "/things")
    assert clock.now - 1000.0 <= 15.0 + 1e-9  # injected time: the whole request, waits included
    assert len(silent.timeouts) == 2 and silent.timeouts[0] == 10.0
    assert silent.timeouts[1] == pytest.approx(15.0 - 10.0 - clock.sleeps[0])  # cut to what is left
    left = f"{silent.timeouts[1]:.1f}"  # the last attempt had only what was left
    assert str(caught.value) == (
        f"demo getThing: no answer within {left} s: GET https://api.example.test/things "
        "(ReadTimeout); gave up after 2 attempts in 15 s"
    )


@pytest.mark.anyio
async def test_a_black_hole_fails_within_the_budget() -> None:
    clock = FakeClock()
    silent = Silent(clock, httpx.ConnectTimeout, "connect")
    async with silent_client(clock, silent) as client:
        with pytest.raises(TransportFailure) as caught:
            await client.request("getThing", "GET", "/things")
    assert clock.now - 1000.0 <= 15.0 + 1e-9
    assert silent.timeouts[:2] == [5.0, 5.0] and len(silent.timeouts) == 3
    assert "no connection within 3 s: GET https://api.example.test/things" in str(caught.value)


@pytest.mark.anyio
async def test_a_dead_url_shows_every_retry_as_it_happens(caplog: pytest.LogCaptureFixture) -> None:
    """A real refused connection on loopback (a port just closed); the waits are injected."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    clock = FakeClock()
    client = ConnectorHttpClient(
        platform="demo",
        account="acct-1",
        base_url=f"http://127.0.0.1:{port}",
        limits={},
        default_limit=RateLimit(rate=100, burst=100),
        retry=RetryPolicy(jitter=0),
        clock=clock,
        sleep=clock.sleep,
    )
    caplog.set_level(logging.WARNING, logger="channelhub.http")
    async with client:
        with pytest.raises(ConnectFailure) as caught:
            await client.request("getThing", "GET", "/things")
    url = f"GET http://127.0.0.1:{port}/things"
    assert [r.getMessage() for r in caplog.records] == [
        f"retrying {url} in 0.5 s (attempt 2 of 4): connection refused",
        f"retrying {url} in 1 s (attempt 3 of 4): connection refused",
        f"retrying {url} in 2 s (attempt 4 of 4): connection refused",
    ]
    assert str(caught.value) == (
        f"demo getThing: connection refused: {url} (ConnectError); "
        "gave up after 4 attempts in 3.5 s"
    )


def test_the_budget_refuses_a_wait_that_leaves_no_time_for_an_attempt() -> None:
    budget = RetryBudget(15.0)
    budget.spend(10.0)
    assert budget.allows(4.0) and not budget.allows(4.5)
    assert budget.remaining() == 5.0
    assert RetryBudget(None).allows(10_000.0) and RetryBudget(None).remaining() is None


@pytest.mark.anyio
async def test_a_request_that_never_connected_gives_its_tokens_back() -> None:
    """Retrying a dead URL must not wait on the rate limiter for quota it never used."""
    clock = FakeClock()
    script = Script(httpx.ConnectError("refused"))
    limits = {"graphql": RateLimit(rate=1, burst=10)}
    async with make_client(script, clock, limits=limits) as client:
        with pytest.raises(ConnectFailure):
            await client.request("graphql", "POST", "/graphql", json={}, cost=8)
    assert clock.sleeps == [1.0, 2.0, 4.0]  # the backoff only, no wait for tokens
    assert len(script.requests) == 4


def test_the_retry_line_names_an_error_answered_with_200_by_its_message() -> None:
    """Shopify answers THROTTLED with HTTP 200: the retry line must say THROTTLED."""
    from channelhub.connectors.errors import RateLimited
    from channelhub.connectors.http.client import _reason

    throttled = RateLimited("Shopify answered THROTTLED", retry_after=1.0, status=200)
    assert _reason(throttled) == "Shopify answered THROTTLED"
    assert _reason(RateLimited("slow down", retry_after=1.0, status=429)) == "HTTP 429"
