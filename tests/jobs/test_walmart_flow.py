"""Walmart through the demo's flow against its simulator: released orders imported (and
acknowledged), paired by SKU, dispatched to the reference warehouse, shipped, the tracking
pushed back per line, and the stock pushed (one inventory feed for the many SKUs)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from channelhub.simulators.walmart import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    create_simulator,
)
from channelhub.store.crypto import Vault
from tests.jobs.new_channel_flow import ChannelSetup, run_channel_flow, start_time
from tests.walmart.specs import assert_journal_matches_specs

pytestmark = pytest.mark.anyio


async def test_walmart_runs_the_demo_flow(
    session_factory: sessionmaker[Session], vault: Vault
) -> None:
    time = start_time()
    sim = create_simulator(seed=8, order_count=8, clock=time.clock, now=time.now)
    setup = ChannelSetup(
        platform="walmart",
        account="walmart-us",
        sim=sim,
        credentials={"client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET},
        settings={"stock_feed_threshold": 3},
        skus=sorted(sim.shop.items),
    )
    report = await run_channel_flow(session_factory, vault, setup, time)
    assert report.unsent == {}
    assert report.listings == 0 or report.listings == len(sim.shop.items)
    assert report.orders == 8
    assert report.dispatched == 8 and report.shipped == 8
    assert all(status == 200 for status in report.callbacks)
    assert report.statuses == {"shipped": 8}, report.statuses
    for order in sim.shop.orders.values():  # every line shipped on Walmart, with its tracking
        for line in order["orderLines"]["orderLine"]:
            statuses = line["orderLineStatuses"]["orderLineStatus"]
            assert {s["status"] for s in statuses} == {"Shipped"}, statuses
            assert all(s["trackingInfo"]["trackingNumber"] for s in statuses)
    sold = {sku: 0 for sku in sim.shop.items}
    for order in sim.shop.orders.values():
        for line in order["orderLines"]["orderLine"]:
            sold[line["item"]["sku"]] += int(line["orderLineQuantity"]["amount"])
    # the SKUs orders paired got the hub's position; listings nothing paired were left alone
    pushed = {sku: sim.shop.inventory[sku] for sku, n in sold.items() if n}
    assert pushed == {sku: 500 - n for sku, n in sold.items() if n}
    assert len(pushed) > 3
    assert sim.journal.count("POST", "/v3/feeds") == 1  # many SKUs: one bulk feed
    assert assert_journal_matches_specs(sim) == len(sim.journal)
