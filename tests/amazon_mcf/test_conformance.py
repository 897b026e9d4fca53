"""Amazon MCF runs the connector conformance suite (channelhub.testing) against its simulator."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import SecretStr

from channelhub.connectors.amazon_mcf import PLUGIN, AmazonMcfWarehouse
from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.results import OutboundStatus
from channelhub.core.fulfilment import OutboundLine, OutboundOrder, TrackingEvent
from channelhub.mappings.amazon_mcf import fulfillment_order_id
from channelhub.simulators.amazon.app import DEFAULT_CREDENTIALS
from channelhub.simulators.amazon_mcf import create_app
from channelhub.simulators.amazon_mcf.app import BASE
from channelhub.testing import ConformanceSuite, FakeTime, LossyTransport, Rig, WarehouseHarness
from tests.amazon_mcf.harness import SETTINGS
from tests.amazon_mcf.test_connector import SHIP_TO

STAGE_SECONDS = 2 * 3600  # the simulator moves an order one status every two hours


class McfHarness(WarehouseHarness):
    plugin = PLUGIN
    create_path = f"{BASE}/fulfillmentOrders"

    def rig(self, *, seed: int) -> Rig:
        time = FakeTime()
        sim = create_app(seed=seed, clock=time.now, page_size=self.stock_page_size)
        transport = LossyTransport.to(sim)

        def connect() -> AmazonMcfWarehouse:
            return AmazonMcfWarehouse(
                ConnectorContext(
                    platform="amazon_mcf",
                    account="fba-us",
                    base_url="http://sp.sim",
                    credentials={k: SecretStr(v) for k, v in DEFAULT_CREDENTIALS.items()},
                    settings=SETTINGS,
                    transport=transport,
                    clock=time.monotonic,
                    sleep=time.sleep,
                    now=time.now,
                )
            )

        return Rig(sim, time, connect, state=sim.state, transport=transport)

    def outbound(self, rig: Rig, n: int, sku: str = "MUG-RED") -> OutboundOrder:
        key = f"shopify:shop-us:{7000 + n}#p1r1"
        return OutboundOrder(
            idempotency_key=key,
            order_key=key.split("#")[0],
            warehouse="FBA-US",
            ship_to=SHIP_TO,
            lines=(OutboundLine(sku=sku, quantity=1),),
            reference=f"#{7000 + n}",
        )

    def refused_outbound(self, rig: Rig) -> OutboundOrder:
        return self.outbound(rig, 99, sku="NOPE")

    def orders_on_platform(self, rig: Rig, idempotency_key: str) -> int:
        return int(fulfillment_order_id(idempotency_key) in rig.state.orders)

    async def ship(self, rig: Rig, idempotency_key: str) -> None:
        rig.time.advance(3.5 * STAGE_SECONDS)
        rig.state.sync()

    async def tracking_events(
        self, rig: Rig, connector: Any, status: OutboundStatus
    ) -> list[TrackingEvent] | None:
        rig.time.advance(8 * 3600)  # the carrier's scans unfold after shipping
        events: list[TrackingEvent] = []
        for shipment in status.shipments:
            for package in shipment.packages:
                assert package.package_id is not None
                events += await connector.package_tracking(int(package.package_id))
        return events

    def set_stock(self, rig: Rig, levels: Mapping[str, int]) -> None:
        for sku, quantity in levels.items():
            rig.state.set_stock(sku, quantity)

    def unreadable_stock(self, rig: Rig, sku: str) -> None:
        rig.state.garbled[sku] = -3  # inventoryDetails.fulfillableQuantity -3

    def stock_calls(self, rig: Rig) -> int:
        return rig.sim.journal.count("GET", "/fba/inventory")


class TestMcfConformance(ConformanceSuite):
    harness = McfHarness()
