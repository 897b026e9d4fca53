"""Shopify Admin GraphQL rig: the Shopify simulator and ``ShopifyConnector`` on one fake clock.

Contract facts behind the minimums (contracts/README.md, Shopify's cost rules as the
simulator implements them): a query may cost at most 1000 requested points, a connection
costing ``first`` x its node, so the orders selection the hub needs (4 line slots an order)
fits 20 orders in a page (the 250-item page cap never binds); ``inventorySetQuantities``
takes at most 250 quantities; ``fulfillmentCreate`` takes fulfillment-order ids, which only
a query gives.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import cache

import httpx
from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse
from pydantic import SecretStr

from bench.channels import FakeTime, Session, TimedApp, Workload, one_package_push, push_by_id
from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.results import FulfilmentPush, QuantityUpdate
from channelhub.connectors.shopify import ShopifyConnector
from channelhub.core.models import Listing, Order
from channelhub.mappings.shopify import queries
from channelhub.mappings.shopify.requests import MAX_INPUT_ITEMS
from channelhub.simulators.shopify import create_app
from channelhub.simulators.shopify.cost import MAX_QUERY_COST, requested_cost
from channelhub.simulators.shopify.schema import load_admin_schema

SHOP_START = datetime(2026, 1, 1, tzinfo=UTC)  # the simulator's first order
ORDER_SPACING = timedelta(minutes=37)  # ... and one more at most every 37 minutes after it
MAX_PAGE = 250  # Shopify's cap on ``first``


@cache
def orders_per_page() -> int:
    """The largest ``first`` whose orders query stays within the 1000-point query limit."""
    document = parse(queries.ORDERS_QUERY)
    (operation,) = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    schema = load_admin_schema()
    fits = [
        first
        for first in range(1, MAX_PAGE + 1)
        if requested_cost(schema, operation, fragments, {"first": first}) <= MAX_QUERY_COST
    ]
    return max(fits)


class ShopifyRig:
    platform = "shopify"

    def start(self, workload: Workload) -> Session:
        # "now" is a few days after the last seeded order (and its later edits)
        time = FakeTime(SHOP_START + ORDER_SPACING * (workload.orders + 1) + timedelta(days=4))
        offset = time.monotonic()
        sim = create_app(
            seed=workload.seed,
            orders=workload.orders,
            products=max(workload.quantities // 2, 5),
            clock=lambda: time.monotonic() - offset,
            now=time.utc,
        )
        location = sim.shop.data.locations[0]["id"].rsplit("/", 1)[-1]
        timed = TimedApp(sim)
        context = ConnectorContext(
            platform="shopify",
            account="bench-shopify",
            base_url="https://channelhub-bench.myshopify.com",
            credentials={
                "access_token": SecretStr("shpat_simulator"),
                "api_secret": SecretStr("bench-webhook-secret"),
            },
            # the paged import (a window this long is read in bulk by default: the
            # "Shopify, bulk" row, bench/bench_shopify_bulk.py)
            settings={"api_version": "2025-01", "location_id": location, "bulk_after_days": 0},
            transport=httpx.ASGITransport(app=timed),
            clock=time.monotonic,
            sleep=time.sleep,
            now=time.utc,
            rng=random.Random(workload.seed),
        )
        since = SHOP_START - timedelta(days=1)
        return Session(
            sim, ShopifyConnector(context), since, time, len(sim.shop.data.orders), timed
        )

    def quantity_updates(
        self, session: Session, listings: Sequence[Listing], count: int
    ) -> list[QuantityUpdate]:
        # compare-and-set on the default location: ``expected_previous`` is the level the hub
        # last pushed, i.e. what the shop holds there now
        location = session.sim.shop.data.locations[0]["id"].rsplit("/", 1)[-1]
        levels = session.sim.shop.data.levels
        updates = []
        for listing in listings:
            current = levels.get((listing.inventory_ref, location))
            if current is None:
                continue  # not stocked at the default location
            updates.append(
                QuantityUpdate(
                    listing=listing.key,
                    quantity=current + 1 + len(updates) % 7,
                    channel_sku=listing.channel_sku,
                    inventory_ref=listing.inventory_ref,
                    expected_previous=current,
                    location=location,
                )
            )
            if len(updates) == count:
                break
        return updates

    def fulfilment_push(self, order: Order, index: int, shipped_at: datetime) -> FulfilmentPush:
        return one_package_push(order, index, shipped_at, carrier="UPS")

    send_fulfilment = staticmethod(push_by_id)

    def import_minimum(self, orders: int) -> int:
        # ceil(N / P) ``orders`` queries, P the largest page whose requested cost (Shopify's
        # rule: a connection costs first x (1 + its selection)) is at most 1000 points for
        # the fields the hub reads with 4 line slots per order: 20 orders (983 points) with
        # the 2025-01 selection, so ceil(N/20). Every slot is paid on every order, whether it
        # holds a line or not (20 slots gave 6 orders a page, 969 points); an order with
        # more lines than its slots needs one more query for the rest, and the seeded
        # shop's orders have at most 4 lines (1-3 placed, an edit adds at most one), so no
        # such query here. (The 250-per-page cap alone would allow ceil(N/250).) Access
        # tokens are static.
        return max(1, math.ceil(orders / orders_per_page()))

    def quantities_minimum(self, updates: Sequence[QuantityUpdate]) -> int:
        # ceil(M / 250) ``inventorySetQuantities`` (at most 250 quantities per call)
        return math.ceil(len(updates) / MAX_INPUT_ITEMS)

    def fulfilments_minimum(self, pushes: Sequence[FulfilmentPush]) -> int:
        # per order one query of its fulfillment orders (fulfillmentCreate needs their ids;
        # the same query reads the fulfilments already there, since fulfillmentCreate has no
        # idempotency key) and one ``fulfillmentCreate`` per package. The connector reads that
        # state again before each further package of the same order: 2 calls a package.
        return sum(1 + len(p.packages) for p in pushes)


RIG = ShopifyRig()
