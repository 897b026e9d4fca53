"""4PX 递四方 runs the connector conformance suite (channelhub.testing) against its
simulator: outbound once (read back by ref_no), refusals, cancel, status to shipped with
parcel tracking, inventory pages."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import httpx
from pydantic import SecretStr

from channelhub.connectors.fourpx import PLUGIN, FourPxWarehouse
from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.results import OutboundStatus
from channelhub.core.fulfilment import OutboundLine, OutboundOrder, TrackingEvent
from channelhub.core.parties import Address
from channelhub.mappings.fourpx import wire
from channelhub.simulators.fourpx import DEFAULT_CREDENTIALS, METHODS, US_WAREHOUSE, create_app
from channelhub.testing import ConformanceSuite, FakeTime, LossyTransport, Rig, WarehouseHarness
from tests.logistics.conformance import RecordingTransport

STAGE = timedelta(hours=2)  # accepted, picking, packed, shipped: one stage each
SHIP_TO = Address(name="Ann Lee", line1="1 Main St", city="New York", region="NY", country="US")


class FourPxHarness(WarehouseHarness):
    plugin = PLUGIN
    create_path = "/router/api/service"  # one gateway: the create is the first call of a send
    stock_count = 70  # the connector asks for pages of 50
    stock_page_size = wire.PAGE_SIZE

    def rig(self, *, seed: int) -> Rig:
        time = FakeTime()
        # one 4PX warehouse, so a SKU is one stock level (the suite counts by SKU)
        stock = {US_WAREHOUSE: {"MUG-RED": 50, "TEE-M": 20}}
        sim = create_app(seed=seed, clock=time.now, stock=stock, stage=STAGE)
        recorder = RecordingTransport(httpx.ASGITransport(app=sim))
        transport = LossyTransport(recorder)

        def connect() -> FourPxWarehouse:
            return FourPxWarehouse(
                ConnectorContext(
                    platform="fourpx",
                    account="4px-us",
                    base_url="http://4px.sim",
                    credentials={k: SecretStr(v) for k, v in DEFAULT_CREDENTIALS.items()},
                    settings={
                        "warehouse_codes": {"4PX-US": US_WAREHOUSE},
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
        """4PX refuses for its rate in a 200 envelope (error_code 1001, guessed):
        count those answers as well as any 429 (the check asks after its first read)."""
        return sum(
            1
            for answer in rig.extra["answers"].exchanges
            if answer.status_code == 429
            or any(e.get("error_code") == wire.THROTTLED for e in answer.json().get("errors") or [])
        )

    def outbound(self, rig: Rig, n: int, sku: str = "MUG-RED") -> OutboundOrder:
        order_key = f"shopify:fourpx-shop:{9200 + n}"
        return OutboundOrder(
            idempotency_key=OutboundOrder.make_key(order_key, 1, 1),
            order_key=order_key,
            warehouse="4PX-US",
            reference=f"#{9200 + n}",
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
        rig.state.stock[US_WAREHOUSE][sku] = -3  # available_stock -3


class TestFourPxConformance(ConformanceSuite):
    harness = FourPxHarness()
