"""The outbound protocol warehouse runs the connector conformance suite (channelhub.testing)
against the reference warehouse simulator."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import SecretStr

from channelhub.connectors.errors import WebhookRejected
from channelhub.connectors.outbound_protocol import PLUGIN, OutboundProtocolWarehouse
from channelhub.connectors.plugin import ConnectorContext
from channelhub.core.fulfilment import OutboundLine, OutboundOrder
from channelhub.core.signing import SIGNATURE_HEADER, sign
from channelhub.core.warehouse_reports import InterceptOutcome, InterceptResult
from channelhub.mappings import outbound_protocol as proto
from channelhub.simulators.warehouse import create_simulator
from channelhub.testing import ConformanceSuite, FakeTime, LossyTransport, Rig, WarehouseHarness
from tests.logistics.test_outbound_protocol import outbound_order

SECRET = "whsec_conformance"


class OutboundProtocolHarness(WarehouseHarness):
    plugin = PLUGIN
    _seen: set[str]
    create_path = "/outbound-orders"
    status_has_shipments = False  # shipments come by the shipment.confirmed callback
    stock_count = 450  # pages of proto.STOCK_PAGE_LIMIT (200)
    stock_page_size = proto.STOCK_PAGE_LIMIT
    duplicate_webhook_error = WebhookRejected  # the same signed delivery again is a replay

    @property
    def verifies_webhooks(self) -> bool:
        return True  # signed callbacks, through verify_callback

    def rig(self, *, seed: int) -> Rig:
        time = FakeTime()
        sim = create_simulator(seed=seed, secret=SECRET, clock=time.now)
        transport = LossyTransport.to(sim)
        seen: set[str] = set()

        def connect() -> OutboundProtocolWarehouse:
            return OutboundProtocolWarehouse(
                ConnectorContext(
                    platform="outbound_protocol",
                    account="us-east",
                    base_url="http://wms.sim",
                    credentials={"secret": SecretStr(SECRET)},
                    transport=transport,
                    clock=time.monotonic,
                    sleep=time.sleep,
                    now=time.now,
                )
            )

        state = sim.app.state.warehouse
        return Rig(sim, time, connect, state=state, transport=transport, extra={"seen": seen})

    def outbound(self, rig: Rig, n: int, sku: str = "MUG-RED") -> OutboundOrder:
        order_key = f"shopify:acme:{8000 + n}"
        return outbound_order(
            order_key=order_key,
            idempotency_key=OutboundOrder.make_key(order_key, 1, 1),
            lines=(OutboundLine(sku=sku, quantity=1, order_line_id="L1"),),
        )

    def refused_outbound(self, rig: Rig) -> OutboundOrder:
        return self.outbound(rig, 99, sku="NOPE")

    def orders_on_platform(self, rig: Rig, idempotency_key: str) -> int:
        return int(idempotency_key in rig.state.orders)

    async def ship(self, rig: Rig, idempotency_key: str) -> None:
        for _ in range(4):  # accepted -> picking -> packed -> shipped, an hour each
            rig.time.advance(3600)
            await rig.state.advance()

    def set_stock(self, rig: Rig, levels: Mapping[str, int]) -> None:
        rig.state.stock.update(levels)

    def unreadable_stock(self, rig: Rig, sku: str) -> None:
        rig.state.garbled[sku] = -3  # a level with on_hand -3

    def webhook(self, rig: Rig, n: int) -> tuple[dict[str, str], bytes]:
        now = rig.time.now()
        result = InterceptResult(
            outbound_key=f"shopify:acme:{n}#p1r1",
            warehouse="sim-wh",
            outcome=InterceptOutcome.SUCCEEDED,
            decided_at=now,
        )
        event = proto.intercept_result_event(result, event_id=f"evt-{n}", occurred_at=now)
        body = json.dumps(event).encode()
        return {SIGNATURE_HEADER: sign(SECRET, int(now.timestamp()), body)}, body

    async def verify(
        self, connector: Any, headers: Mapping[str, str], body: bytes, now: datetime
    ) -> Any:
        seen: set[str] = self._seen

        def replayed(signature: str) -> bool:  # the hub's replay guard, in memory
            known = signature in seen
            seen.add(signature)
            return known

        return connector.verify_callback(headers, body, now=now, seen=replayed)

    def webhook_rig(self, seed: int) -> Rig:
        rig = self.rig(seed=seed)
        self._seen = rig.extra["seen"]
        return rig


class TestOutboundProtocolConformance(ConformanceSuite):
    harness = OutboundProtocolHarness()
