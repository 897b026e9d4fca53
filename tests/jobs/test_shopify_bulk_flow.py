"""The order import job through a Shopify bulk query (account setting ``bulk_after_days``):
killed half-way through the file, the next run resumes it and stores every order once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from channelhub.jobs import JobKind
from channelhub.jobs.accounts.connectors import ConnectorFactory
from channelhub.jobs.engine.runner import JobOptions, run_job
from channelhub.simulators.shopify import create_app as create_shop
from channelhub.store.crypto import Vault
from channelhub.store.repos.accounts import add_account
from channelhub.store.repos.cursors import get_cursor
from channelhub.store.tables.jobs import RunOutcome
from tests.jobs.fakes import Killed
from tests.jobs.test_shopify_flow import SECRET, SHOP, DiesAfter, ShopTime, stored_orders

pytestmark = pytest.mark.anyio
ORDERS = 50


async def test_bulk_import_killed_mid_file_resumes_each_order_once(
    session_factory: sessionmaker[Session], vault: Vault
) -> None:
    time = ShopTime()
    sim = create_shop(seed=8, orders=ORDERS, clock=time.clock, now=time.now, bulk_seconds=20)
    with session_factory.begin() as session:
        add_account(
            session,
            vault,
            platform="shopify",
            name=SHOP,
            credentials={
                "access_token": SecretStr("shpat_simulator"),
                "api_secret": SecretStr(SECRET),
            },
            now=time.now(),
            base_url="https://channelhub-sim.myshopify.com",
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
