"""Wish (contract unverified) through the demo's flow against its simulator: unfulfilled
orders imported, paired by SKU, dispatched to the reference warehouse, shipped, the tracking
pushed to each order, and the variations' stock pushed per product."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from channelhub.simulators.wish import SIMULATOR_INFO, WAREHOUSE_ID, create_simulator
from channelhub.store.crypto import Vault
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
