"""Goodcang 谷仓 runs the connector conformance suite (channelhub.testing) against its
simulator: outbound once (read back by reference_no), refusals, cancel, status to shipped with
TMS tracking, inventory pages."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import httpx
from pydantic import SecretStr

from channelhub.connectors.goodcang import PLUGIN, GoodcangWarehouse
from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.results import OutboundStatus
from channelhub.core.fulfilment import OutboundLine, OutboundOrder, TrackingEvent
from channelhub.core.parties import Address
from channelhub.mappings.goodcang import errors as gc
from channelhub.mappings.goodcang import reference_no
from channelhub.simulators.goodcang import DEFAULT_CREDENTIALS, create_app
from channelhub.testing import ConformanceSuite, FakeTime, LossyTransport, Rig, WarehouseHarness
from tests.logistics.conformance import RecordingTransport

STAGE = timedelta(hours=2)  # the simulator moves an order one status per stage
GC_WAREHOUSE = "DEWH"
SHIP_TO = Address(
    name="Jonas Weber", line1="Hauptstr. 1", city="Berlin", postal_code="10115", country="DE"
)


class GoodcangHarness(WarehouseHarness):
    plugin = PLUGIN
    create_path = "/order/create_order"
    stock_count = 230  # the connector asks for pages of 200
    stock_page_size = 200

    def rig(self, *, seed: int) -> Rig:
        time = FakeTime()
        # one Goodcang warehouse, so a SKU is one stock level (the suite counts by SKU)
        stock = {(GC_WAREHOUSE, "MUG-RED"): 40, (GC_WAREHOUSE, "TEE-M"): 25}
        sim = create_app(seed=seed, clock=time.now, stock=stock, stage=STAGE)
        recorder = RecordingTransport(httpx.ASGITransport(app=sim))
        transport = LossyTransport(recorder)

        def connect() -> GoodcangWarehouse:
            return GoodcangWarehouse(
                ConnectorContext(
                    platform="goodcang",
                    account="gc-eu",
                    base_url="http://gc.sim",
                    credentials={k: SecretStr(v) for k, v in DEFAULT_CREDENTIALS.items()},
                    settings={
                        "warehouses": {"GC-DE": GC_WAREHOUSE},
                        "shipping_methods": {"GC-DE/default": "DHL-DE-PARCEL"},
                    },
                    transport=transport,
                    clock=time.monotonic,
                    sleep=time.sleep,
                    now=time.now,
                )
            )

        return Rig(
            sim, time, connect, state=sim.state, transport=transport, extra={"answers": recorder}
        )

    def throttled_calls(self, rig: Rig) -> int:
        """Goodcang refuses for its rate in a 200 (``ask: Failure``, code 10002, guessed):
        count those answers as well as any 429 (the check asks after its first read)."""
        return sum(
            1
            for answer in rig.extra["answers"].exchanges
            if answer.status_code == 429 or gc.read_answer(answer.json()).code == gc.TOO_FREQUENT
        )

    def outbound(self, rig: Rig, n: int, sku: str = "MUG-RED") -> OutboundOrder:
        order_key = f"shopify:gc-shop:{9000 + n}"
        return OutboundOrder(
            idempotency_key=OutboundOrder.make_key(order_key, 1, 1),
            order_key=order_key,
            warehouse="GC-DE",
            reference=f"#{9000 + n}",
            ship_to=SHIP_TO,
            lines=(OutboundLine(sku=sku, quantity=1, order_line_id="L1"),),
        )

    def refused_outbound(self, rig: Rig) -> OutboundOrder:
        return self.outbound(rig, 99, sku="NOPE")

    def orders_on_platform(self, rig: Rig, idempotency_key: str) -> int:
        reference = reference_no(idempotency_key)
        return sum(1 for o in rig.state.orders.values() if o.reference == reference)

    async def ship(self, rig: Rig, idempotency_key: str) -> None:
        rig.time.advance((2 * STAGE + timedelta(minutes=1)).total_seconds())
        rig.state.sync()

    async def tracking_events(
        self, rig: Rig, connector: Any, status: OutboundStatus
    ) -> list[TrackingEvent] | None:
        rig.time.advance((4 * STAGE).total_seconds())  # the carrier's scans unfold
        events: list[TrackingEvent] = await connector.order_tracking([status.idempotency_key])
        return events

    def set_stock(self, rig: Rig, levels: Mapping[str, int]) -> None:
        for sku, quantity in levels.items():
            rig.state.sellable[(GC_WAREHOUSE, sku)] = quantity

    def unreadable_stock(self, rig: Rig, sku: str) -> None:
        rig.state.sellable[(GC_WAREHOUSE, sku)] = -3  # "sellable": "-3"


class TestGoodcangConformance(ConformanceSuite):
    harness = GoodcangHarness()
