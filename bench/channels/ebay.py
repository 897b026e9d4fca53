"""eBay Sell rig: the eBay simulator and the registry's eBay connector on one fake clock.

Contract facts behind the minimums (contracts/README.md, the Sell OpenAPI specs):
``getOrders`` takes ``limit`` at most 200 and is followed by ``next``; the OAuth2
refresh-token grant gives an access token per scope set; ``bulkUpdatePriceQuantity`` takes at
most 25 items; ``createShippingFulfillment`` ships one package per call.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime

import httpx
from pydantic import SecretStr

from bench.channels import FakeTime, Session, TimedApp, Workload, one_package_push, push_by_id
from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.registry import ConnectorRegistry
from channelhub.connectors.results import FulfilmentPush, QuantityUpdate
from channelhub.core.models import Listing, Order
from channelhub.simulators.ebay import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_REFRESH_TOKEN,
    create_simulator,
)
from channelhub.simulators.ebay.data import build_shop

NOW = datetime(2026, 2, 10, 12, tzinfo=UTC)  # after every seeded order and its later edits
GET_ORDERS_LIMIT = 200
BULK_ITEMS = 25


class EbayRig:
    platform = "ebay"

    def start(self, workload: Workload) -> Session:
        time = FakeTime(NOW)
        sim = create_simulator(
            seed=workload.seed, order_count=workload.orders, now=time.utc, clock=time.monotonic
        )
        # the simulator seeds 30 inventory items; the same seeded catalogue, made longer,
        # supplies the M the benchmark pushes
        longer = build_shop(workload.seed, order_count=0, sku_count=max(workload.quantities, 30))
        sim.shop.items.update({k: v for k, v in longer.items.items() if k not in sim.shop.items})
        known = {offer["sku"] for offer in sim.shop.offers.values()}
        sim.shop.offers.update({k: v for k, v in longer.offers.items() if v["sku"] not in known})
        timed = TimedApp(sim)
        context = ConnectorContext(
            platform="ebay",
            account="bench-ebay",
            base_url="http://ebay.sim",
            credentials={
                "client_id": SecretStr(DEFAULT_CLIENT_ID),
                "client_secret": SecretStr(DEFAULT_CLIENT_SECRET),
                "refresh_token": SecretStr(DEFAULT_REFRESH_TOKEN),
            },
            transport=httpx.ASGITransport(app=timed),
            clock=time.monotonic,
            sleep=time.sleep,
            now=time.utc,
        )
        connector = ConnectorRegistry().create(context)
        since = datetime(2025, 12, 31, tzinfo=UTC)
        return Session(sim, connector, since, time, len(sim.shop.orders), timed)

    def quantity_updates(
        self, session: Session, listings: Sequence[Listing], count: int
    ) -> list[QuantityUpdate]:
        updates: list[QuantityUpdate] = []
        seen: set[str] = set()
        for listing in listings:
            sku = listing.channel_sku or listing.inventory_ref
            if sku is None or sku in seen:
                continue
            seen.add(sku)
            current = listing.quantity or 0
            updates.append(
                QuantityUpdate(
                    listing=listing.key,
                    quantity=current + 1 + len(updates) % 7,
                    channel_sku=sku,
                    inventory_ref=sku,
                    expected_previous=current,  # what the hub last pushed: never resend it
                )
            )
            if len(updates) == count:
                break
        return updates

    def fulfilment_push(self, order: Order, index: int, shipped_at: datetime) -> FulfilmentPush:
        return one_package_push(order, index, shipped_at, carrier="UPS")

    send_fulfilment = staticmethod(push_by_id)

    def import_minimum(self, orders: int) -> int:
        # 1 refresh-token grant (the fulfillment scope) + ceil(N / 200) getOrders pages
        # (limit at most 200, following ``next``)
        return 1 + max(1, math.ceil(orders / GET_ORDERS_LIMIT))

    def quantities_minimum(self, updates: Sequence[QuantityUpdate]) -> int:
        # ceil(M / 25) bulkUpdatePriceQuantity (at most 25 items per call); the inventory
        # scope's token is already held from reading the listings
        return math.ceil(len(updates) / BULK_ITEMS)

    def fulfilments_minimum(self, pushes: Sequence[FulfilmentPush]) -> int:
        # one createShippingFulfillment per package. (The connector also reads the order's
        # fulfilments first: the call has no idempotency key.)
        return sum(len(p.packages) for p in pushes)


RIG = EbayRig()
