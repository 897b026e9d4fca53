"""The order import job through a Shopify bulk query (account setting ``bulk_after_days``,
default 7 days): a new account's first import is read in bulk; killed half-way through the
file, the next run resumes it and stores every order once; the shop's signed
``bulk_operations/finish`` webhook wakes the waiting read at once, a forged one is refused."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from channelhub.api.app import create_app
from channelhub.jobs import JobKind
from channelhub.jobs.accounts.connectors import ConnectorFactory
from channelhub.jobs.accounts.subscriptions import subscribe_orders
from channelhub.jobs.engine.runner import JobOptions, run_job
from channelhub.mappings.shopify.webhooks import sign_webhook
from channelhub.simulators.shopify import create_app as create_shop
from channelhub.store.crypto import Vault
from channelhub.store.repos.cursors import get_cursor
from channelhub.store.tables.jobs import RunOutcome, WebhookDelivery
from channelhub.store.tables.sync import RawPayload
from tests.jobs.fakes import Killed
from tests.jobs.test_shopify_flow import (
    SECRET,
    SHOP,
    DiesAfter,
    ShopTime,
    add_shop_account,
    stored_orders,
)

pytestmark = pytest.mark.anyio
ORDERS = 50
HUB = "http://hub.test"


async def test_bulk_import_killed_mid_file_resumes_each_order_once(
    session_factory: sessionmaker[Session], vault: Vault
) -> None:
    time = ShopTime()
    sim = create_shop(seed=8, orders=ORDERS, clock=time.clock, now=time.now, bulk_seconds=20)
    add_shop_account(
        session_factory,
        vault,
        now=time.now(),
        settings={
            "api_version": "2025-01",
            "location_id": "1",
            "bulk_after_days": 14,
            "bulk_page_orders": 15,
        },
    )
    factory = ConnectorFactory(
        vault,
        transport=httpx.ASGITransport(app=sim),
        now=time.now,
        sleep=time.sleep,
        clock=time.clock,
    )
    options = JobOptions(max_pages=100, initial_lookback=timedelta(days=3650))

    def run(connector_factory: Any) -> Any:
        return run_job(
            session_factory,
            SHOP,
            JobKind.PULL_ORDERS,
            connector_factory=connector_factory,
            now=time.now,
            options=options,
        )

    with pytest.raises(Killed):
        await run(lambda row: DiesAfter(factory(row), pages=2))
    assert stored_orders(session_factory) == (30, 30)
    with session_factory() as session:
        cursor = get_cursor(session, SHOP, JobKind.PULL_ORDERS.value)
    assert cursor is not None and '"skip":30' in cursor["cursor"]  # committed with the page
    result = await run(factory)
    assert result.outcome is RunOutcome.OK, result.error
    assert stored_orders(session_factory) == (ORDERS, ORDERS)
    assert result.counts.new == ORDERS - 30 and result.counts.unchanged == 0  # skipped, not redone
    assert (
        sim.shop.calls("bulkOperationRunQuery") == 1
    )  # the same operation's file, downloaded again
    assert sim.shop.calls("orders", outcome=None) == 0
    downloads = [e for e in sim.journal.entries if e.method == "GET"]
    assert len(downloads) == 2


# --- bulk by default, and the finish webhook --------------------------------------------------


def _account(session_factory: sessionmaker[Session], vault: Vault, time: ShopTime) -> None:
    """A new Shopify account with no bulk setting at all: the defaults apply."""
    settings = {"api_version": "2025-01", "location_id": "1"}
    add_shop_account(session_factory, vault, now=time.now(), settings=settings)


async def test_first_import_of_a_new_account_reads_in_bulk_then_syncs_paged(
    session_factory: sessionmaker[Session], vault: Vault
) -> None:
    time = ShopTime()
    sim = create_shop(seed=8, orders=ORDERS, clock=time.clock, now=time.now)
    _account(session_factory, vault, time)
    factory = ConnectorFactory(
        vault, transport=httpx.ASGITransport(app=sim), now=time.now, sleep=time.sleep
    )
    # the default first-import window (30 days) is at least bulk_after_days (default 7)
    first = await run_job(
        session_factory, SHOP, JobKind.PULL_ORDERS, connector_factory=factory, now=time.now
    )
    assert first.outcome is RunOutcome.OK, first.error
    assert stored_orders(session_factory) == (ORDERS, ORDERS)
    journal = [field for entry in sim.shop.journal for field in entry.root_fields]
    assert journal.count("bulkOperationRunQuery") == 1 and "orders" not in journal
    time.t += 300
    second = await run_job(
        session_factory, SHOP, JobKind.PULL_ORDERS, connector_factory=factory, now=time.now
    )
    assert second.outcome is RunOutcome.OK, second.error
    # the incremental window (minutes) stays paged: one orders page, no second bulk query
    assert sim.shop.calls("orders") == 1 and sim.shop.calls("bulkOperationRunQuery") == 1


class HeldSleep:
    """A poll pause that never ends by itself: only a wake can end it (no poll wait)."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self.paused = asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.paused.set()
        await asyncio.Event().wait()


@pytest.fixture
def live_bulk(session_factory: sessionmaker[Session], vault: Vault) -> Any:
    """A shop whose bulk queries run 10 minutes, subscribed to the hub's webhook route."""
    time = ShopTime()
    sim = create_shop(
        seed=8, orders=ORDERS, clock=time.clock, now=time.now, bulk_seconds=600,
        webhook_secret=SECRET,
    )  # fmt: skip
    _account(session_factory, vault, time)
    held = HeldSleep()
    factory = ConnectorFactory(
        vault, transport=httpx.ASGITransport(app=sim), now=time.now, sleep=held.sleep
    )
    hub = create_app(
        session_factory=session_factory,
        connector_factory=factory,
        now=time.now,
        background_intake=False,
    )
    sim.shop.webhooks.transport = httpx.ASGITransport(app=hub)  # the shop calls the hub
    return sim, time, held, factory, hub


async def test_the_finish_webhook_wakes_the_waiting_bulk_read_with_no_poll_wait(
    session_factory: sessionmaker[Session], live_bulk: Any
) -> None:
    sim, time, held, factory, hub = live_bulk
    lines = await subscribe_orders(session_factory, SHOP, connector_factory=factory, hub_url=HUB)
    assert "BULK_OPERATIONS_FINISH" in lines[0]
    read = asyncio.ensure_future(
        run_job(session_factory, SHOP, JobKind.PULL_ORDERS, connector_factory=factory, now=time.now)
    )
    await asyncio.wait_for(held.paused.wait(), timeout=30)  # started, polled once, pausing
    assert sim.shop.calls("currentBulkOperation") == 1 and held.pauses == [1.0]
    time.t += 600  # the operation finishes on Shopify; its webhook goes to the hub
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sim)) as shop:
        ticked = await shop.post("https://channelhub-sim.myshopify.com/_sim/bulk/tick")
    assert len(ticked.json()["finished"]) == 1
    delivered = ("BULK_OPERATIONS_FINISH", f"{HUB}/webhooks/{SHOP}", 200)
    assert sim.shop.webhooks.delivered[-1] == delivered
    assert not read.done()
    assert hub.state.hub.intake.run_once().processed == 1  # taken in: the read wakes
    result = await asyncio.wait_for(read, timeout=30)
    assert result.outcome is RunOutcome.OK, result.error
    assert stored_orders(session_factory) == (ORDERS, ORDERS)
    # no poll after the pause: the woken read asked for the operation by its id once
    assert sim.shop.calls("currentBulkOperation") == 1 and sim.shop.calls("node") == 1
    assert held.pauses == [1.0]  # the one pause, ended by the webhook, not by time
    # 4 requests in all: run, the poll at 0 s, the read-back by id, the file
    assert sim.shop.calls("bulkOperationRunQuery") == 1
    assert len([e for e in sim.journal.entries if e.method == "GET"]) == 1


async def test_a_forged_or_oversized_finish_webhook_is_refused_and_stores_nothing(
    session_factory: sessionmaker[Session], live_bulk: Any
) -> None:
    _sim, time, _held, factory, hub = live_bulk
    body = json.dumps(
        {"admin_graphql_api_id": "gid://shopify/BulkOperation/424242", "status": "completed"}
    ).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": "bulk_operations/finish",
        "X-Shopify-Webhook-Id": "forged-1",
        "X-Shopify-Triggered-At": time.now().isoformat(),
    }
    padded = json.dumps({"admin_graphql_api_id": "x", "pad": "x" * 1_100_000}).encode()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=hub), base_url="http://hub.test"
    ) as client:
        unsigned = await client.post(f"/webhooks/{SHOP}", content=body, headers=headers)
        forged = await client.post(
            f"/webhooks/{SHOP}",
            content=body,
            headers={**headers, "X-Shopify-Hmac-Sha256": sign_webhook(body, "not-the-secret")},
        )
        oversized = await client.post(
            f"/webhooks/{SHOP}",
            content=padded,
            headers={**headers, "X-Shopify-Hmac-Sha256": sign_webhook(padded, SECRET)},
        )
    assert unsigned.status_code == 401 and forged.status_code == 401
    assert oversized.status_code == 413
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
        assert session.scalar(select(func.count()).select_from(RawPayload)) == 0
    assert hub.state.hub.intake.run_once().processed == 0
    # nothing was announced: a read of that operation pauses in full
    held = []

    async def sleep(seconds: float) -> None:
        held.append(seconds)

    woken = await factory.wakes.pause(SHOP, "gid://shopify/BulkOperation/424242", 1.0, sleep)
    assert not woken and held == [1.0]
