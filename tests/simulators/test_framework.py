"""The simulator framework: platform throttling errors, seeded faults, journal, control API."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest

from channelhub.connectors.errors import TransportFailure
from channelhub.connectors.http.client import ConnectorHttpClient
from channelhub.connectors.http.ratelimit import RateLimit
from channelhub.connectors.http.retry import RetryPolicy
from channelhub.simulators.base import Simulator
from channelhub.simulators.demo import create_simulator
from channelhub.simulators.faults import FaultConfig
from channelhub.simulators.seeded import SeededData
from tests.connectors.http.fakes import FakeClock


def http(sim: Simulator) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=sim), base_url="http://sim")


def connector_client(sim: Simulator, clock: FakeClock, retry: RetryPolicy) -> ConnectorHttpClient:
    return ConnectorHttpClient(
        platform="demo",
        account="acct-1",
        base_url="http://sim",
        limits={},
        default_limit=RateLimit(rate=1000, burst=1000),  # do not pace: let the platform refuse
        retry=retry,
        transport=httpx.ASGITransport(app=sim),
        clock=clock,
        sleep=clock.sleep,
    )


@pytest.mark.anyio
async def test_rate_limit_answers_with_the_platform_error_and_refills_with_the_clock() -> None:
    clock = FakeClock()
    sim = create_simulator(seed=1, clock=clock)
    async with http(sim) as client:
        answers = [await client.put("/quantities/A", json={"quantity": 3}) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429]
        assert answers[2].json()["errors"][0]["code"] == "QuotaExceeded"
        assert answers[2].headers["Retry-After"] == "1.000"
        clock.now += 1.0
        assert (await client.put("/quantities/A", json={"quantity": 3})).status_code == 200
        other_caller = await client.put(
            "/quantities/A", json={"quantity": 3}, headers={"x-demo-token": "other"}
        )
        assert other_caller.status_code == 200  # buckets are per caller
    assert sim.journal.count("PUT", "/quantities") == 5


@pytest.mark.anyio
async def test_the_connector_client_honours_the_simulators_retry_after() -> None:
    clock = FakeClock()
    sim = create_simulator(seed=1, clock=clock)
    async with connector_client(sim, clock, RetryPolicy(max_attempts=3)) as client:
        for _ in range(3):
            result = await client.request(
                "pushQuantity", "PUT", "/quantities/A", json={"quantity": 1}
            )
    assert result.json()["accepted"] is True
    assert clock.sleeps == [1.0]  # the simulator's Retry-After, exactly
    assert [e.status for e in sim.journal.entries] == [200, 200, 429, 200]


def fault_pattern(seed: int) -> list[int]:
    sim = Simulator(platform="x", seed=seed)
    sim.faults.set(FaultConfig(error_rate=0.3, error_statuses=(500, 502, 503)))

    @sim.app.get("/ping")
    async def ping() -> dict[str, bool]:
        return {"ok": True}

    return [sim.faults.decide("/ping").error_status or 200 for _ in range(60)]


@pytest.mark.anyio
async def test_faults_are_deterministic_by_seed() -> None:
    first, again, other = fault_pattern(7), fault_pattern(7), fault_pattern(8)
    assert first == again
    assert first != other
    assert {500, 502, 503} <= set(first) and 200 in first
    statuses: list[list[int]] = []
    for _ in range(2):
        sim = create_simulator(seed=42, clock=FakeClock())
        sim.faults.update(error_rate=0.5)
        async with http(sim) as client:
            statuses.append([(await client.get("/orders")).status_code for _ in range(5)])
    assert statuses[0] == statuses[1]
    assert 200 in statuses[0] and set(statuses[0]) - {200} <= {500, 503}
    assert set(statuses[0]) != {200}


@pytest.mark.anyio
async def test_fail_next_then_recover_is_retried_by_the_connector() -> None:
    clock = FakeClock()
    sim = create_simulator(seed=3, clock=clock)
    sim.faults.set(FaultConfig(fail_next=2, error_statuses=(503,)))
    policy = RetryPolicy(max_attempts=3, initial_backoff=0.5, jitter=0)
    async with connector_client(sim, clock, policy) as client:
        result = await client.request("listOrders", "GET", "/orders")
    assert result.attempts == 3 and len(result.json()["orders"]) == 5
    assert [(e.status, e.fault) for e in sim.journal.entries] == [
        (503, "error:503"),
        (503, "error:503"),
        (200, None),
    ]
    assert sim.journal.entries[0].json() is None
    assert clock.sleeps == [0.5, 1.0]


@pytest.mark.anyio
async def test_timeouts_and_latency_use_the_injected_sleep() -> None:
    clock = FakeClock()
    sim = create_simulator(seed=3, sleep=clock.sleep)
    sim.faults.set(FaultConfig(timeout_rate=1.0, latency_seconds=0.25))
    async with connector_client(sim, FakeClock(), RetryPolicy(max_attempts=2, jitter=0)) as client:
        with pytest.raises(TransportFailure, match="ReadTimeout"):
            await client.request("listOrders", "GET", "/orders")
    assert clock.sleeps == [0.25, 0.25]
    assert [e.fault for e in sim.journal.entries] == ["timeout", "timeout"]


@pytest.mark.anyio
async def test_control_api_flips_faults_and_reads_the_journal() -> None:
    sim = create_simulator(seed=3, clock=FakeClock())
    async with http(sim) as client:
        put = await client.put("/_sim/faults", json={"fail_next": 1, "error_statuses": [502]})
        assert put.status_code == 200
        assert (await client.get("/_sim/faults")).json()["fail_next"] == 1
        assert (await client.get("/orders", params={"next_token": "5"})).status_code == 502
        page = (await client.get("/orders", params={"next_token": "5"})).json()
        assert page["next_token"] == "10"
        journal = (await client.get("/_sim/journal")).json()
        assert [(e["query"], e["status"]) for e in journal] == [
            ("next_token=5", 502),
            ("next_token=5", 200),
        ]
        assert (await client.delete("/_sim/journal")).status_code == 204
        assert sim.journal.count() == 0
        bad = await client.put("/_sim/faults", json={"error_rate": 2})
        assert bad.status_code == 422


@pytest.mark.anyio
async def test_webhooks_are_duplicated_on_demand() -> None:
    sim = create_simulator(seed=0)
    sent: list[bytes] = []

    async def post(url: str, body: bytes, headers: Mapping[str, str]) -> None:
        sent.append(body)

    assert await sim.deliver_webhook(post, "http://hub/hook", b"{}", {}) == 1
    sim.faults.update(duplicate_webhooks=2)
    assert await sim.deliver_webhook(post, "http://hub/hook", b"{}", {}) == 3
    assert len(sent) == 4


def test_seeded_data_is_deterministic_and_forks_are_independent() -> None:
    a, b = SeededData(5), SeededData(5)
    assert [a.identifier("O-") for _ in range(3)] == [b.identifier("O-") for _ in range(3)]
    amount = SeededData(5).amount("1.00", "9.99")
    assert isinstance(amount, Decimal) and Decimal("1.00") <= amount <= Decimal("9.99")
    orders_first = SeededData(9).fork("orders").sku()
    base = SeededData(9)
    base.fork("listings").sku()
    assert base.fork("orders").sku() == orders_first
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
    assert start <= SeededData(1).instant(start, end) <= end


@pytest.mark.anyio
async def test_same_seed_same_shop() -> None:
    pages = []
    for _ in range(2):
        async with http(create_simulator(seed=11)) as client:
            pages.append((await client.get("/orders")).json())
    assert pages[0] == pages[1]
