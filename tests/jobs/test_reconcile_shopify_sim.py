"""Reconciliation against the real Shopify connector and its simulator, in process: an order
the import missed is found and backfilled by id, orders the channel cancelled are cancelled in
the hub, and a second run finds no order discrepancy left."""

from __future__ import annotations

import random

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.shopify import ShopifyConnector
from channelhub.core.models import Order, OrderKey
from channelhub.core.order import ChannelOrderState
from channelhub.jobs.reconciliation.run import reconcile_sales_channel
from channelhub.simulators.shopify import create_app
from channelhub.store.db import make_session_factory
from channelhub.store.repos.orders import get_order_row, upsert_order
from tests.shopify.conftest import SECRET, TOKEN, FakeTime

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("bulk", [{"bulk_after_days": 0}, {}], ids=["paged", "bulk"])
async def test_missing_and_cancelled_orders_against_the_simulator(
    engine: Engine, bulk: dict[str, int]
) -> None:
    sessions: sessionmaker[Session] = make_session_factory(engine)
    time = FakeTime()
    sim = create_app(clock=time.clock, now=time.now)
    location = sim.shop.data.locations[0]["id"].rsplit("/", 1)[-1]
    connector = ShopifyConnector(
        ConnectorContext(
            platform="shopify",
            account="sim-shop",
            base_url="https://channelhub-sim.myshopify.com",
            credentials={"access_token": SecretStr(TOKEN), "api_secret": SecretStr(SECRET)},
            settings={"api_version": "2025-01", "location_id": location, **bulk},
            transport=httpx.ASGITransport(app=sim),
            clock=time.clock,
            sleep=time.sleep,
            now=time.now,
            rng=random.Random(7),
        )
    )
    try:
        time.t += 3600  # past the connector's hold-back window
        orders: list[Order] = []
        async for page in connector.pull_orders(None):
            orders.extend(page.items)
        assert len(orders) >= 3
        skipped = orders[len(orders) // 2]
        with sessions.begin() as session:  # an import that lost one order
            for order in orders:
                if order.external_id != skipped.external_id:
                    upsert_order(session, order, now=time.now())
        cancelled = {
            o.external_id
            for o in orders
            if o.channel_state is ChannelOrderState.CANCELLED and o is not skipped
        }

        report = await reconcile_sales_channel(sessions, connector, now=time.now(), repair=True)
        found = {
            (d.discrepancy_class, d.subject_text, d.repair_status)
            for d in report.discrepancies
            if d.discrepancy_class != "quantity_edited_on_channel"
        }
        assert found == {("order_missing_in_hub", skipped.external_id, "applied")} | {
            ("cancelled_on_channel", external_id, "applied") for external_id in cancelled
        }
        assert report.counts["compared"]["channel_orders"] == len(orders)
        with sessions.begin() as session:
            key = OrderKey(channel="shopify", account="sim-shop", external_id=skipped.external_id)
            assert get_order_row(session, key).raw_payload_id is not None

        again = await reconcile_sales_channel(sessions, connector, now=time.now())
        assert again.counts["discrepancies"] == {}
        # the whole history is a long window: read in bulk by default, paged when off
        assert (sim.shop.calls("orders") == 0) == (not bulk)
        assert (sim.shop.calls("bulkOperationRunQuery") == 3) == (not bulk)
    finally:
        await connector.aclose()
