"""Amazon SP-API rig: the Amazon simulator and ``AmazonConnector`` on one fake clock.

Contract facts behind the minimums (contracts/README.md, the SP-API models):
searchOrders pages hold at most 100 orders and buyer/address data needs a Restricted Data
Token, which is valid for its ``expiresIn`` (3600 s) for the resources it names, so one RDT
serves every page of a run; a JSON_LISTINGS_FEED takes up to 25,000 messages; confirmShipment
confirms one package per call.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import httpx
from pydantic import SecretStr

from bench.channels import (
    FakeTime,
    Session,
    TimedApp,
    Workload,
    changed_quantity,
    one_package_push,
    push_by_id,
)
from channelhub.connectors.amazon import AmazonConnector
from channelhub.connectors.http.auth import ProcessTokens
from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.results import FulfilmentPush, QuantityUpdate
from channelhub.core.models import Listing, Order
from channelhub.mappings.amazon.requests import MAX_RESULTS_PER_PAGE
from channelhub.simulators.amazon import MARKETPLACES, create_app
from channelhub.simulators.amazon.app import DEFAULT_CREDENTIALS

FEED_POLLS_TO_DONE = 3  # the simulator reports a feed DONE on its 3rd getFeed
PATCH_THRESHOLD = 20  # the connector's default: more SKUs than this go as one feed
FEED_MAX_MESSAGES = 25_000


def amazon_context(
    time: FakeTime, sim: Any, *, tokens: ProcessTokens | None = None, **settings: Any
) -> ConnectorContext:
    """The bench's Amazon account on the simulator ``sim`` (an ASGI app) and ``time``."""
    return ConnectorContext(
        platform="amazon",
        account="bench-amazon",
        base_url="http://sp.sim",
        credentials={k: SecretStr(v) for k, v in DEFAULT_CREDENTIALS.items()},
        settings={
            "seller_id": "A1SIMSELLER",
            "marketplace_ids": [m.marketplace_id for m in MARKETPLACES],
            "lwa_url": "http://sp.sim/auth/o2/token",
            **settings,
        },
        transport=httpx.ASGITransport(app=sim),
        clock=time.monotonic,
        sleep=time.sleep,
        now=time.utc,
        tokens=tokens,
    )


class AmazonRig:
    platform = "amazon"

    def start(self, workload: Workload) -> Session:
        time = FakeTime()
        sim = create_app(
            seed=workload.seed,
            order_count=workload.orders,
            listing_count=max(workload.quantities, 1),
            now=time.utc,
            feed_polls_to_done=FEED_POLLS_TO_DONE,
        )
        timed = TimedApp(sim)
        context = amazon_context(time, timed, patch_threshold=PATCH_THRESHOLD)
        since = time.now - timedelta(days=30)
        return Session(sim, AmazonConnector(context), since, time, len(sim.state.orders), timed)

    def quantity_updates(
        self, session: Session, listings: Sequence[Listing], count: int
    ) -> list[QuantityUpdate]:
        return [
            QuantityUpdate(
                listing=listing.key,
                quantity=changed_quantity(listing, index),
                channel_sku=listing.channel_sku,
                inventory_ref=listing.inventory_ref,  # the productType: no getListingsItem
            )
            for index, listing in enumerate(listings[:count])
        ]

    def fulfilment_push(self, order: Order, index: int, shipped_at: datetime) -> FulfilmentPush:
        return one_package_push(order, index, shipped_at)

    send_fulfilment = staticmethod(push_by_id)

    def import_minimum(self, orders: int) -> int:
        # 1 LWA token grant for the run
        # + 1 createRestrictedDataToken for the run (the tokens contract: an RDT is valid for
        #   its expiresIn, 3600 s, for the method + path + dataElements it names, and every
        #   searchOrders page is the same GET on the same path; the bench runs on a fake
        #   clock, so its searchOrders pages fit inside one RDT's lifetime)
        # + ceil(N / 100) searchOrders pages (maxResultsPerPage is at most 100)
        pages = max(1, math.ceil(orders / MAX_RESULTS_PER_PAGE))
        return 1 + 1 + pages

    def quantities_minimum(self, updates: Sequence[QuantityUpdate]) -> int:
        # The cheaper of: one patchListingsItem per SKU (the token is already held from the
        # import and productType travels with the update, so no getListingsItem), or
        # ceil(M / 25,000) feeds of createFeedDocument + upload PUT + createFeed
        # + getFeed polls (the simulator finishes a feed on poll 3) + getFeedDocument
        # + report download = 5 + 3 = 8 calls per feed.
        feeds = math.ceil(len(updates) / FEED_MAX_MESSAGES) * (5 + FEED_POLLS_TO_DONE)
        return min(len(updates), feeds)

    def fulfilments_minimum(self, pushes: Sequence[FulfilmentPush]) -> int:
        # v0 confirmShipment takes one package per call. (The connector also reads the
        # order's packages once per push with getOrder, because confirmShipment has no
        # idempotency key; that read is the connector's safety, not a contract minimum.)
        return sum(len(p.packages) for p in pushes)


RIG = AmazonRig()
