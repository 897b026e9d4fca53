"""Walmart runs the connector conformance suite (channelhub.testing) against its simulator."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import httpx
from pydantic import SecretStr

from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.results import FulfilmentPush, QuantityUpdate
from channelhub.connectors.walmart import PLUGIN, WalmartConnector
from channelhub.core.models import ListingKey, Package, PackageLine
from channelhub.mappings.walmart import normalize_orders
from channelhub.simulators.walmart import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, create_simulator
from channelhub.simulators.walmart.data import ms
from channelhub.testing import ChannelHarness, ConformanceSuite, FakeTime, Rig
from tests.walmart.specs import assert_journal_matches_specs

ACCOUNT = "acme-wm"
HOOK_USER, HOOK_PASSWORD = "hub-hooks", "wm-hook-password-0123456789"
ORDER_LISTS = ("/v3/orders/released", "/v3/orders")


class WalmartHarness(ChannelHarness):
    plugin = PLUGIN
    page_size = 10
    quantity_count = 14  # above the feed threshold (10): one bulk inventory feed for all
    quantity_batch = 10_000  # a feed takes them all
    replay_window = None  # BASIC_AUTH deliveries carry no signed timestamp
    known_gaps = {
        "webhooks_refused_and_deduped": (
            "Walmart's BASIC_AUTH notifications authenticate the sender, not the body (the "
            "notifications spec names an HMAC option but not its algorithm, header or signed "
            "content), so a tampered body cannot be told apart; the hub re-reads the order "
            "from the API rather than trusting a notification's payload"
        )
    }

    def rig(self, *, seed: int, orders: int) -> Rig:
        time = FakeTime()
        sim = create_simulator(
            seed=seed, order_count=orders, now=time.now, clock=time.monotonic, sleep=time.sleep
        )

        def connect() -> WalmartConnector:
            context = ConnectorContext(
                platform="walmart",
                account=ACCOUNT,
                base_url="http://walmart.sim",
                credentials={
                    "client_id": SecretStr(DEFAULT_CLIENT_ID),
                    "client_secret": SecretStr(DEFAULT_CLIENT_SECRET),
                    "notification_password": SecretStr(HOOK_PASSWORD),
                },
                settings={"notification_username": HOOK_USER},
                transport=httpx.ASGITransport(app=sim),
                clock=time.monotonic,
                sleep=time.sleep,
                now=time.now,
            )
            return WalmartConnector(context, page_limit=self.page_size)

        return Rig(sim, time, connect, state=sim.shop, since=time.now() - timedelta(days=30))

    def order_ids(self, rig: Rig) -> set[str]:
        return set(rig.state.orders)

    def touch_order(self, rig: Rig, external_id: str) -> None:
        for line in rig.state.orders[external_id]["orderLines"]["orderLine"]:
            line["statusDate"] = ms(rig.time.now())

    def order_list_calls(self, rig: Rig) -> int:
        assert_journal_matches_specs(rig.sim)  # every request of every run, against the spec
        return sum(
            1 for e in rig.sim.journal.entries if e.method == "GET" and e.path in ORDER_LISTS
        )

    def map_order(self, document: Any, *, account: str, context: Mapping[str, Any]) -> list[Any]:
        return normalize_orders(document, account=account, **context)

    def quantity_updates(self, rig: Rig, count: int) -> list[QuantityUpdate]:
        skus = sorted(rig.state.items)[:count]
        return [
            QuantityUpdate(ListingKey(channel="walmart", account=ACCOUNT, listing_id=sku), 7 + i)
            for i, sku in enumerate(skus)
        ]

    def unknown_quantity_update(self, rig: Rig) -> QuantityUpdate | None:
        return QuantityUpdate(ListingKey(channel="walmart", account=ACCOUNT, listing_id="NOPE"), 3)

    def quantity_on_platform(self, rig: Rig, update: QuantityUpdate) -> int | None:
        found: int | None = rig.state.inventory.get(update.listing.listing_id)
        return found

    def quantity_calls(self, rig: Rig) -> int:
        assert_journal_matches_specs(rig.sim)
        puts = rig.sim.journal.count("PUT", "/v3/inventory")
        return puts + rig.sim.journal.count("POST", "/v3/feeds")

    async def fulfilment(self, rig: Rig) -> FulfilmentPush:
        order = next(iter(rig.state.orders.values()))
        packages = []
        for n, line in enumerate(order["orderLines"]["orderLine"]):  # one package per line
            packages.append(
                Package(
                    tracking_number=f"1Z999AA1012345678{n}",
                    carrier="ups",
                    lines=[
                        PackageLine(
                            sku=line["item"]["sku"],
                            quantity=int(line["orderLineQuantity"]["amount"]),
                            order_line_id=line["lineNumber"],
                        )
                    ],
                )
            )
        return FulfilmentPush(
            order_external_id=order["purchaseOrderId"],
            packages=tuple(packages),
            shipped_at=rig.time.now(),
        )

    def fulfilments_on_platform(self, rig: Rig, push: FulfilmentPush) -> int:
        assert_journal_matches_specs(rig.sim)
        order = rig.state.orders[push.order_external_id]
        return len(
            {
                s["trackingInfo"]["trackingNumber"]
                for line in order["orderLines"]["orderLine"]
                for s in line["orderLineStatuses"]["orderLineStatus"]
                if s["status"] == "Shipped"
            }
        )

    def webhook(self, rig: Rig, n: int) -> tuple[dict[str, str], bytes]:
        body = json.dumps(
            {"source": {"eventId": f"ev-{n}", "eventType": "PO_CREATED"}, "payload": {}},
            separators=(",", ":"),
        ).encode()
        basic = base64.b64encode(f"{HOOK_USER}:{HOOK_PASSWORD}".encode()).decode()
        return {"Authorization": f"Basic {basic}"}, body

    def unsigned(self, headers: Mapping[str, str]) -> dict[str, str]:
        return {k: v for k, v in headers.items() if k.lower() != "authorization"}


class TestWalmartConformance(ConformanceSuite):
    harness = WalmartHarness()
