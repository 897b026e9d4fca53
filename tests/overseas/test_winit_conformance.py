"""WINIT 万邑通 runs the connector conformance suite (channelhub.testing) against its
simulator: outbound once (read back by sellerOrderNo), refusals, void, status to shipped with
parcel tracking, inventory pages."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import httpx
from pydantic import SecretStr

from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.results import OutboundStatus
from channelhub.connectors.winit import PLUGIN, WinitWarehouse
from channelhub.core.fulfilment import OutboundLine, OutboundOrder, TrackingEvent
from channelhub.core.parties import Address
from channelhub.mappings.winit import wire
from channelhub.simulators.winit import DEFAULT_CREDENTIALS, METHODS, US_WAREHOUSE, create_app
from channelhub.testing import ConformanceSuite, FakeTime, LossyTransport, Rig, WarehouseHarness
from tests.logistics.conformance import RecordingTransport

STAGE = timedelta(hours=2)  # accepted, picking, packed, shipped: one stage each
SHIP_TO = Address(name="Ann Lee", line1="1 Main St", city="New York", region="NY", country="US")


class WinitHarness(WarehouseHarness):
    plugin = PLUGIN
    create_path = "/openapi/service"  # one gateway: the create is the first call of a send
    stock_count = 130  # the connector asks for pages of 100
    stock_page_size = wire.PAGE_SIZE

    def rig(self, *, seed: int) -> Rig:
        time = FakeTime()
        # one WINIT warehouse, so a SKU is one stock level (the suite counts by SKU)
        stock = {US_WAREHOUSE: {"MUG-RED": 50, "TEE-M": 20}}
        sim = create_app(seed=seed, clock=time.now, stock=stock, stage=STAGE)
        recorder = RecordingTransport(httpx.ASGITransport(app=sim))
        transport = LossyTransport(recorder)

        def connect() -> WinitWarehouse:
            return WinitWarehouse(
                ConnectorContext(
                    platform="winit",
                    account="winit-us",
                    base_url="http://winit.sim",
                    credentials={k: SecretStr(v) for k, v in DEFAULT_CREDENTIALS.items()},
                    settings={
                        "warehouse_codes": {"WINIT-US": US_WAREHOUSE},
                        "default_shipping_method": METHODS[0],
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
        """WINIT refuses for its rate in a 200 envelope (code 429, guessed):
        count those answers as well as any 429 (the check asks after its first read)."""
        return sum(
            1
            for answer in rig.extra["answers"].exchanges
            if answer.status_code == 429 or answer.json().get("code") == wire.THROTTLED
        )

    def outbound(self, rig: Rig, n: int, sku: str = "MUG-RED") -> OutboundOrder:
        order_key = f"shopify:winit-shop:{9100 + n}"
        return OutboundOrder(
            idempotency_key=OutboundOrder.make_key(order_key, 1, 1),
            order_key=order_key,
            warehouse="WINIT-US",
            reference=f"#{9100 + n}",
            ship_to=SHIP_TO,
            lines=(OutboundLine(sku=sku, quantity=1, order_line_id="L1"),),
        )

    def refused_outbound(self, rig: Rig) -> OutboundOrder:
        return self.outbound(rig, 99, sku="NOPE")

    def orders_on_platform(self, rig: Rig, idempotency_key: str) -> int:
        reference = wire.reference_of(idempotency_key)
        return sum(1 for o in rig.state.orders.values() if o.reference == reference)

    async def ship(self, rig: Rig, idempotency_key: str) -> None:
        rig.time.advance((3 * STAGE + timedelta(minutes=1)).total_seconds())
        rig.state.sync()

    async def tracking_events(
        self, rig: Rig, connector: Any, status: OutboundStatus
    ) -> list[TrackingEvent] | None:
        rig.time.advance((4 * STAGE).total_seconds())  # the carrier's scans unfold
        events: list[TrackingEvent] = []
        for shipment in status.shipments:
            for package in shipment.packages:
                events += await connector.parcel_tracking(
                    status.idempotency_key, package.tracking_number, package.carrier
                )
        return events

    def set_stock(self, rig: Rig, levels: Mapping[str, int]) -> None:
        rig.state.stock[US_WAREHOUSE].update(levels)

    def unreadable_stock(self, rig: Rig, sku: str) -> None:
        rig.state.stock[US_WAREHOUSE][sku] = -3  # inStockQty -3


class TestWinitConformance(ConformanceSuite):
    harness = WinitHarness()
