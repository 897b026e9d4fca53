"""The jobs with the real Shopify connector against its simulator (in process): a killed
import resumes without loss or doubles, and signed webhooks are applied exactly once."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from channelhub.api.app import create_app
from channelhub.jobs import JobKind
from channelhub.jobs.accounts.connectors import ConnectorFactory
from channelhub.jobs.engine.runner import JobOptions, run_job
from channelhub.simulators.shopify import WebhookSender
from channelhub.simulators.shopify import create_app as create_shop
from channelhub.store.crypto import Vault
from channelhub.store.repos.accounts import add_account
from channelhub.store.tables.jobs import RunOutcome, WebhookDelivery
from channelhub.store.tables.orders import OrderRow
from tests.jobs.fakes import Killed

pytestmark = pytest.mark.anyio
SECRET = "shpss_webhook_secret"
SHOP = "sim-shop"


class ShopTime:
    """One fake time for the simulator, the connector and the jobs (sleeping moves it)."""

    def __init__(self) -> None:
        self.t = 0.0
        self.start = datetime(2026, 3, 1, tzinfo=UTC)

    def clock(self) -> float:
        return self.t

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.t)

    async def sleep(self, seconds: float) -> None:
        self.t += seconds


class DiesAfter:
    """Wraps a connector: the import dies (like SIGKILL) once ``pages`` pages were handed out."""

    def __init__(self, inner: Any, pages: int) -> None:
        self._inner, self._pages = inner, pages

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def pull_orders(self, cursor: str | None = None, *, since: Any = None) -> Any:
        handed = 0
        async for page in self._inner.pull_orders(cursor, since=since):
            if handed == self._pages:
                raise Killed("killed mid-import")
            handed += 1
            yield page


def add_shop_account(
    session_factory: sessionmaker[Session],
    vault: Vault,
    *,
    now: datetime,
    settings: dict[str, Any],
    name: str = SHOP,
    secret: str = SECRET,
) -> None:
    """The simulated shop's account (its token, its webhook secret) with ``settings``."""
    with session_factory.begin() as session:
        add_account(
            session,
            vault,
            platform="shopify",
            name=name,
            credentials={
                "access_token": SecretStr("shpat_simulator"),
                "api_secret": SecretStr(secret),
            },
            now=now,
            base_url="https://channelhub-sim.myshopify.com",
            settings=settings,
        )


@pytest.fixture
def shop_rig(session_factory: sessionmaker[Session], vault: Vault) -> Any:
    time = ShopTime()
    sim = create_shop(seed=5, orders=45, clock=time.clock, now=time.now)
    location = sim.shop.data.locations[0]["id"].rsplit("/", 1)[-1]
    # paged (a first import reads in bulk by default: test_shopify_bulk_flow.py)
    settings = {"api_version": "2025-01", "location_id": location, "bulk_after_days": 0}
    add_shop_account(session_factory, vault, now=time.now(), settings=settings)
    factory = ConnectorFactory(
        vault,
        transport=httpx.ASGITransport(app=sim),
        now=time.now,
        sleep=time.sleep,
        clock=time.clock,
    )
    return sim, time, factory


def stored_orders(factory: sessionmaker[Session]) -> tuple[int, int]:
    with factory() as session:
        rows = session.scalar(
            select(func.count()).select_from(OrderRow).where(OrderRow.account == SHOP)
        )
        ids = session.scalar(
            select(func.count(func.distinct(OrderRow.external_id))).where(OrderRow.account == SHOP)
        )
    return int(rows or 0), int(ids or 0)


async def test_shopify_import_killed_midway_then_restarted(
    session_factory: sessionmaker[Session], shop_rig: Any
) -> None:
    _sim, time, factory = shop_rig
    options = JobOptions(max_pages=100, initial_lookback=timedelta(days=3650))
    with pytest.raises(Killed):
        await run_job(
            session_factory,
            SHOP,
            JobKind.PULL_ORDERS,
            connector_factory=lambda row: DiesAfter(factory(row), pages=2),
            now=time.now,
            options=options,
        )
    partial, _ = stored_orders(session_factory)
    assert 0 < partial < 45
    result = await run_job(
        session_factory,
        SHOP,
        JobKind.PULL_ORDERS,
        connector_factory=factory,
        now=time.now,
        options=options,
    )
    assert result.outcome is RunOutcome.OK, result.error
    assert stored_orders(session_factory) == (45, 45)
    assert result.counts.new == 45 - partial  # the restart only added what was missing


async def test_shopify_webhooks_verified_and_applied_once(
    session_factory: sessionmaker[Session], shop_rig: Any
) -> None:
    sim, time, factory = shop_rig
    app = create_app(
        session_factory=session_factory,
        connector_factory=factory,
        now=time.now,
        background_intake=False,
    )
    sender = WebhookSender(
        sim.shop.data, SECRET, duplicate_rate=1.0, rng=random.Random(3), now=time.now
    )
    order_id = next(iter(sim.shop.data.orders))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://hub.test"
    ) as client:
        first, again = await sender.send(client, f"/webhooks/{SHOP}", "orders/updated", order_id)
        forged = WebhookSender(sim.shop.data, "wrong", now=time.now).delivery(
            "orders/create", order_id
        )
        refused = await client.post(
            f"/webhooks/{SHOP}", content=forged.body, headers=forged.headers
        )
        # the same event replayed under a new webhook id: a duplicate of the event
        replay = sender.delivery("orders/updated", order_id)
        assert replay.webhook_id != first.json()["event_id"]
        replayed = await client.post(
            f"/webhooks/{SHOP}", content=replay.body, headers=replay.headers
        )
        evented = {**replay.headers, "X-Shopify-Event-Id": "98880550", "X-Shopify-Webhook-Id": "n"}
        with_event = [
            await client.post(f"/webhooks/{SHOP}", content=replay.body, headers=evented)
            for _ in range(2)
        ]
    assert first.status_code == 200 and first.json()["status"] == "accepted"
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert refused.status_code == 401
    assert replayed.status_code == 200 and replayed.json()["status"] == "duplicate"
    assert [r.json()["status"] for r in with_event] == ["accepted", "duplicate"]
    assert app.state.hub.intake.run_once().processed == 2
    assert stored_orders(session_factory) == (1, 1)
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 2
