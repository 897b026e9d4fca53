"""Wish (contract unverified) through the demo's flow against its simulator: unfulfilled
orders imported, paired by SKU, dispatched to the reference warehouse, shipped, the tracking
pushed to each order, and the variations' stock pushed per product."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from channelhub.jobs import JobKind
from channelhub.jobs.accounts.connectors import ConnectorFactory
from channelhub.jobs.engine.runner import JobOptions, run_job
from channelhub.mappings.wish.wire import wish_time
from channelhub.simulators.wish import SIMULATOR_INFO, WAREHOUSE_ID, create_simulator
from channelhub.store.crypto import Vault
from channelhub.store.repos.accounts import add_account
from channelhub.store.tables.orders import OrderRow
from tests.jobs.new_channel_flow import ChannelSetup, run_channel_flow, start_time

pytestmark = pytest.mark.anyio


async def test_wish_runs_the_demo_flow(
    session_factory: sessionmaker[Session], vault: Vault
) -> None:
    time = start_time()
    sim = create_simulator(seed=3, order_count=8, clock=time.clock, now=time.now)
    variations = {v["sku"]: v for p in sim.shop.products.values() for v in p["variations"]}
    setup = ChannelSetup(
        platform="wish",
        account="wish-main",
        sim=sim,
        credentials=dict(SIMULATOR_INFO.credentials),
        settings={"warehouse_id": WAREHOUSE_ID},
        skus=sorted(variations),
    )
    report = await run_channel_flow(session_factory, vault, setup, time)
    assert report.orders == 8
    assert report.dispatched == 8 and report.shipped == 8
    assert all(status == 200 for status in report.callbacks)
    assert report.unsent == {}
    assert report.statuses == {"shipped": 8}, report.statuses
    for order in sim.shop.orders.values():
        assert order["state"] == "SHIPPED"
        (tracking,) = order["tracking_information"]
        assert tracking["tracking_number"] and tracking["shipping_provider"]["name"]
    sold: dict[str, int] = {}
    for order in sim.shop.orders.values():
        sku = order["product_information"]["sku"]
        quantity = order["order_payment"]["general_payment_details"]["product_quantity"]
        sold[sku] = sold.get(sku, 0) + quantity
    for sku, quantity in sold.items():
        (level,) = variations[sku]["inventories"]
        assert level == {"warehouse_id": WAREHOUSE_ID, "inventory": 500 - quantity}


async def test_an_order_wish_refunds_after_the_import_reaches_the_hub_cancelled(
    session_factory: sessionmaker[Session], vault: Vault
) -> None:
    """The pull lists every state: a refund after the hub took the order arrives with the
    next pull, and the hub's order is cancelled (read while APPROVED only, it never was)."""
    time = start_time()
    sim = create_simulator(seed=3, order_count=3, clock=time.clock, now=time.now)
    with session_factory.begin() as session:
        add_account(
            session,
            vault,
            platform="wish",
            name="wish-main",
            base_url="http://wish.sim",
            credentials={k: SecretStr(v) for k, v in SIMULATOR_INFO.credentials.items()},
            settings={"warehouse_id": WAREHOUSE_ID},
            now=time.now(),
        )
    factory = ConnectorFactory(
        vault,
        transport=lambda row: httpx.ASGITransport(app=sim),
        now=time.now,
        sleep=time.sleep,
        clock=time.clock,
    )
    options = JobOptions(max_pages=1000, initial_lookback=timedelta(days=60))

    async def pull() -> None:
        result = await run_job(
            session_factory, "wish-main", JobKind.PULL_ORDERS,
            connector_factory=factory, now=time.now, options=options,
        )  # fmt: skip
        assert result.outcome == "ok" and not result.more, result.error

    def states() -> dict[str, tuple[str, str]]:
        with session_factory() as session:
            rows = session.execute(
                select(OrderRow.external_id, OrderRow.channel_state, OrderRow.hub_status)
            )
            return {external: (channel, hub) for external, channel, hub in rows}

    await pull()
    refunded = sorted(sim.shop.orders)[0]
    assert states()[refunded][0] == "unshipped"
    time.tick(timedelta(minutes=10))
    sim.shop.orders[refunded].update(state="REFUNDED", updated_at=wish_time(time.now()))
    time.tick(timedelta(minutes=10))  # past the pull's lag
    await pull()
    assert states()[refunded] == ("cancelled", "cancelled")
    assert all(s[0] == "unshipped" for oid, s in states().items() if oid != refunded)
