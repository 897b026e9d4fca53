"""The hub app: health, Prometheus metrics and verified, deduplicated webhooks."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from channelhub.api.app import create_app
from channelhub.core.errors import InvalidInput
from channelhub.core.models import OrderKey
from channelhub.jobs import JobKind
from channelhub.jobs.engine.runner import run_job
from channelhub.store.repos.jobs import list_dead_letters
from channelhub.store.repos.orders import get_order
from channelhub.store.repos.outbox import enqueue
from tests.jobs.conftest import Clock
from tests.jobs.fakes import ACCOUNT, PLATFORM, FakeChannel, Rec, make_order

pytestmark = pytest.mark.anyio


@pytest.fixture
def channel() -> FakeChannel:
    return FakeChannel(pages=[[Rec("A", 1)], [Rec("X", 1, bad=True)]])


@pytest.fixture
def app(session_factory: sessionmaker[Session], channel: FakeChannel, clock: Clock) -> FastAPI:
    return create_app(
        session_factory=session_factory,
        connector_factory=lambda row: channel,
        now=clock,
        status=lambda: {"jobs_running": 0},
        background_intake=False,
    )


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as client:
        yield client


@pytest.fixture
def fake_mapping(monkeypatch: pytest.MonkeyPatch) -> None:
    def normalizer(platform: str, kind: str) -> Any:
        assert (platform, kind) == (PLATFORM, "order")

        def normalize(payload: Any, *, account: str) -> list[Any]:
            if "version" not in payload:
                raise InvalidInput.field("order.version", None, "is missing")
            return [make_order(str(payload["id"]), payload["version"], account=account)]

        return normalize

    import channelhub.jobs.orders.webhook_intake as intake

    monkeypatch.setattr(intake, "normalizer", normalizer)


async def test_health(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "jobs_running": 0}


async def test_metrics_count_runs_outbox_and_dead_letters(
    client: httpx.AsyncClient,
    session_factory: sessionmaker[Session],
    channel: FakeChannel,
    clock: Clock,
) -> None:
    await run_job(
        session_factory,
        ACCOUNT,
        JobKind.PULL_ORDERS,
        connector_factory=lambda r: channel,
        now=clock,
    )
    with session_factory.begin() as session:
        enqueue(
            session, idempotency_key="k1", target="wh", kind="outbound", payload={}, now=clock()
        )
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    lines = set(response.text.splitlines())
    assert 'channelhub_job_runs_total{job="pull_orders",outcome="ok"} 1' in lines
    assert 'channelhub_outbox_messages{state="pending"} 1' in lines
    assert 'channelhub_outbox_messages{state="dead"} 0' in lines
    assert 'channelhub_dead_letters{job="pull_orders",state="open"} 1' in lines
    assert "# TYPE channelhub_job_runs_total counter" in lines


def signed(event_id: str, body: dict[str, Any], secret: str = "s3cret") -> dict[str, Any]:
    return {
        "content": json.dumps(body).encode(),
        "headers": {
            "X-Fake-Signature": secret,
            "X-Fake-Event-Id": event_id,
            "X-Fake-Topic": "orders/updated",
        },
    }


async def test_a_forged_webhook_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, session_factory: sessionmaker[Session], fake_mapping: None
) -> None:
    response = await client.post(
        f"/webhooks/{ACCOUNT}", **signed("e1", {"id": "W", "version": 1}, secret="forged")
    )
    assert response.status_code == 401
    assert "s3cret" not in response.text
    with session_factory() as session, pytest.raises(Exception, match="not in the hub"):
        get_order(session, OrderKey(channel=PLATFORM, account=ACCOUNT, external_id="W"))


async def test_a_valid_webhook_is_stored_then_applied_once(
    client: httpx.AsyncClient,
    app: FastAPI,
    session_factory: sessionmaker[Session],
    fake_mapping: None,
) -> None:
    first = await client.post(f"/webhooks/{ACCOUNT}", **signed("e1", {"id": "W", "version": 2}))
    assert first.status_code == 200
    assert first.json() == {"status": "accepted", "event_id": "e1"}
    key = OrderKey(channel=PLATFORM, account=ACCOUNT, external_id="W")
    with session_factory() as session, pytest.raises(Exception, match="not in the hub"):
        get_order(session, key)  # answered before it is applied
    assert app.state.hub.intake.run_once().processed == 1
    again = await client.post(f"/webhooks/{ACCOUNT}", **signed("e1", {"id": "W", "version": 2}))
    assert again.json() == {"status": "duplicate", "event_id": "e1"}
    older = await client.post(f"/webhooks/{ACCOUNT}", **signed("e0", {"id": "W", "version": 1}))
    assert older.json()["status"] == "accepted"
    assert app.state.hub.intake.run_once().processed == 1
    with session_factory() as session:
        assert get_order(session, key).channel_status == "v2"  # out of order: newer stays


async def test_an_unmappable_webhook_is_acknowledged_and_becomes_a_dead_letter(
    client: httpx.AsyncClient,
    app: FastAPI,
    session_factory: sessionmaker[Session],
    fake_mapping: None,
) -> None:
    response = await client.post(f"/webhooks/{ACCOUNT}", **signed("e9", {"id": "W"}))
    assert response.status_code == 200 and response.json()["status"] == "accepted"
    assert app.state.hub.intake.run_once().dead_letters == 1
    with session_factory() as session:
        (letter,) = list_dead_letters(session)
        assert letter.job_kind == "webhook" and "version" in letter.reason
        assert letter.raw_payload_id is not None


async def test_unknown_account_is_404(client: httpx.AsyncClient) -> None:
    assert (await client.post("/webhooks/nobody", content=b"{}")).status_code == 404
