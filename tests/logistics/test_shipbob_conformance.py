"""ShipBob runs the connector conformance suite (channelhub.testing) against its simulator."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping

from pydantic import SecretStr

from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.shipbob import PLUGIN, ShipBobWarehouse
from channelhub.connectors.shipbob.webhooks import webhook_signature
from channelhub.core.fulfilment import OutboundLine, OutboundOrder
from channelhub.core.money import Money
from channelhub.core.parties import Address
from channelhub.simulators.shipbob import PREFIX, create_simulator
from channelhub.testing import ConformanceSuite, FakeTime, LossyTransport, Rig, WarehouseHarness

SECRET = "whsec_" + base64.b64encode(b"conformance-shipbob-secret-24b").decode()
SHIP_TO = Address(
    name="Ann Buyer",
    line1="1 Main St",
    city="Austin",
    region="TX",
    postal_code="78701",
    country="US",
    phone="+15125550100",
)


class ShipBobHarness(WarehouseHarness):
    plugin = PLUGIN
    create_path = f"{PREFIX}/order"
    stock_count = 260  # the connector asks for pages of 250
    stock_page_size = 250

    def rig(self, *, seed: int) -> Rig:
        time = FakeTime()
        sim = create_simulator(seed=seed, clock=time.now)
        transport = LossyTransport.to(sim)

        def connect() -> ShipBobWarehouse:
            return ShipBobWarehouse(
                ConnectorContext(
                    platform="shipbob",
                    account="sb-main",
                    base_url="http://shipbob.sim",
                    credentials={"pat": SecretStr("pat_sim"), "webhook_secret": SecretStr(SECRET)},
                    settings={"channel_id": 101, "warehouse": "shipbob-il"},
                    transport=transport,
                    clock=time.monotonic,
                    sleep=time.sleep,
                    now=time.now,
                )
            )

        return Rig(sim, time, connect, state=sim.app.state.shipbob, transport=transport)

    def outbound(self, rig: Rig, n: int, **changes: object) -> OutboundOrder:
        order_key = f"shopify:acme:{6000 + n}"
        fields: dict[str, object] = {
            "idempotency_key": OutboundOrder.make_key(order_key, 1, 1),
            "order_key": order_key,
            "warehouse": "shipbob-il",
            "reference": f"#{6000 + n}",
            "ship_to": SHIP_TO,
            "lines": (OutboundLine(sku="MUG-RED", quantity=1, order_line_id="L1"),),
        }
        return OutboundOrder(**(fields | changes))  # type: ignore[arg-type]

    def refused_outbound(self, rig: Rig) -> OutboundOrder:
        return self.outbound(rig, 99, cash_on_delivery=Money.of("10.00", "USD"))

    def orders_on_platform(self, rig: Rig, idempotency_key: str) -> int:
        return sum(1 for o in rig.state.orders.values() if o["reference_id"] == idempotency_key)

    async def ship(self, rig: Rig, idempotency_key: str) -> None:
        rig.time.advance(3 * 3600)
        rig.state.advance()

    def set_stock(self, rig: Rig, levels: Mapping[str, int]) -> None:
        rig.state.inventory.update(levels)

    def unreadable_stock(self, rig: Rig, sku: str) -> None:
        rig.state.inventory[sku] = -3  # total_on_hand_quantity -3

    def webhook(self, rig: Rig, n: int) -> tuple[dict[str, str], bytes]:
        body = json.dumps({"topic": "order.shipped", "data": {"id": 5000 + n}}).encode()
        stamp = int(rig.time.now().timestamp())
        delivery = f"msg_{n}"
        return {
            "webhook-id": delivery,
            "webhook-timestamp": str(stamp),
            "webhook-signature": webhook_signature(SecretStr(SECRET), delivery, stamp, body),
            "shipbob-topic": "order.shipped",
        }, body


class TestShipBobConformance(ConformanceSuite):
    harness = ShipBobHarness()
