"""The outbound protocol Warehouse connector against the reference warehouse simulator."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pydantic import SecretStr

from channelhub.connectors.errors import Unauthorized, WebhookRejected
from channelhub.connectors.outbound_protocol import (
    PLUGIN,
    OutboundProtocolWarehouse,
    WarehouseRejected,
)
from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.roles import Capability
from channelhub.core.errors import InvalidInput
from channelhub.core.fulfilment import OutboundLine, OutboundState, Shipment
from channelhub.core.signing import sign
from channelhub.mappings import outbound_protocol as proto
from channelhub.simulators.clock import ManualClock
from channelhub.simulators.warehouse import create_app
from tests.logistics.conformance import RecordingTransport, check_exchange, openapi
from tests.logistics.specs import schema_errors
from tests.logistics.test_outbound_protocol import document, outbound_order

SECRET = "whsec_conn"


async def _no_sleep(_: float) -> None:
    return None


class Rig:
    def __init__(self) -> None:
        self.clock = ManualClock()
        self.callbacks: list[proto.WarehouseCallback] = []
        self.refused: list[str] = []
        self.seen: set[str] = set()
        self.app = create_app(secret=SECRET, clock=self.clock, deliver=self.deliver)
        self.sim = self.app.state.warehouse
        context = ConnectorContext(
            platform="outbound_protocol",
            account="us-east",
            base_url="http://wms.test",
            credentials={"secret": SecretStr(SECRET)},
            transport=httpx.ASGITransport(app=self.app),
            now=self.clock,
            sleep=_no_sleep,
        )
        self.connector: OutboundProtocolWarehouse = PLUGIN.create(context)

    def _seen(self, signature: str) -> bool:
        if signature in self.seen:
            return True
        self.seen.add(signature)
        return False

    async def deliver(self, url: str, headers: dict[str, str], body: bytes) -> int:
        try:
            callback = self.connector.verify_callback(
                headers, body, now=self.clock(), seen=self._seen
            )
        except WebhookRejected as exc:
            self.refused.append(str(exc))
            return 401
        if all(c.event_id != callback.event_id for c in self.callbacks):
            self.callbacks.append(callback)
        return 200


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    value = Rig()
    yield value
    await value.connector.aclose()


@pytest.mark.anyio
async def test_rejection_carries_reasons_a_seller_can_act_on(rig: Rig) -> None:
    order = outbound_order(lines=(OutboundLine(sku="NOPE", quantity=1),))
    with pytest.raises(WarehouseRejected) as caught:
        await rig.connector.create_outbound(order)
    assert caught.value.reasons[0].field == "lines[0].sku"
    assert "NOPE" in str(caught.value)


@pytest.mark.anyio
async def test_intercept_status_and_callbacks(rig: Rig) -> None:
    early = outbound_order()
    late = outbound_order(order_key="shopify:acme:7", idempotency_key="shopify:acme:7#p1r1")
    await rig.connector.create_outbound(early)
    await rig.connector.create_outbound(late)
    stopped = await rig.connector.cancel_outbound(early.idempotency_key, reason="buyer cancelled")
    assert stopped.state is OutboundState.CANCELLED
    await rig.sim.advance(timedelta(hours=2))
    assert (await rig.connector.get_outbound(late.idempotency_key)).state is OutboundState.PACKED
    too_late = await rig.connector.cancel_outbound(late.idempotency_key, reason="buyer cancelled")
    assert too_late.state is OutboundState.CANCEL_TOO_LATE
    await rig.sim.advance(timedelta(hours=2))
    shipments = [c.payload for c in rig.callbacks if isinstance(c.payload, Shipment)]
    assert [s.outbound_key for s in shipments] == [late.idempotency_key]
    assert rig.refused == []


@pytest.mark.anyio
async def test_a_signed_callback_that_is_no_event_is_invalid_input(rig: Rig) -> None:
    """Signature refusal, staleness and replays: the conformance suite's webhook check."""
    body = json.dumps({"event_id": "e"}).encode()
    good = {"x-channelhub-signature": sign(SECRET, int(rig.clock().timestamp()), body)}
    with pytest.raises(InvalidInput, match="type is missing"):  # signed, but not an event
        rig.connector.verify_callback(good, body, now=rig.clock(), seen=rig._seen)


@pytest.mark.anyio
async def test_wrong_secret_is_fatal_for_orders_and_stock(rig: Rig) -> None:
    rig.sim.secret = SecretStr("rotated")
    with pytest.raises(Unauthorized):
        await rig.connector.create_outbound(outbound_order())
    with pytest.raises(Unauthorized):
        async for _ in rig.connector.get_stock_levels():
            pass


@pytest.mark.anyio
async def test_stock_levels_are_read_page_by_page_as_the_document_says() -> None:
    clock = ManualClock()
    stock = {f"SKU-{n:03d}": n for n in range(450)}  # three pages of 200
    app = create_app(secret=SECRET, clock=clock, stock=stock)
    transport = RecordingTransport(httpx.ASGITransport(app=app))
    context = ConnectorContext(
        platform="outbound_protocol",
        account="us-east",
        base_url="http://wms.test",
        credentials={"secret": SecretStr(SECRET)},
        transport=transport,
        now=clock,
        sleep=_no_sleep,
    )
    connector = PLUGIN.create(context)
    assert Capability.STOCK_LEVELS in connector.capabilities
    try:
        pages = [page async for page in connector.get_stock_levels()]
        wanted = [page async for page in connector.get_stock_levels(["SKU-001", "SKU-449"])]
    finally:
        await connector.aclose()
    assert [len(p.items) for p in pages] == [200, 200, 50]
    assert [p.done for p in pages] == [False, False, True]
    levels = {lv.sku: lv for p in pages for lv in p.items}
    assert len(levels) == 450 and levels["SKU-007"].on_hand == 7
    assert {lv.warehouse for lv in levels.values()} == {"sim-wh"}
    assert [lv.sku for p in wanted for lv in p.items] == ["SKU-001", "SKU-449"]
    spec = openapi(document())
    assert len(transport.exchanges) == 6
    for exchange in transport.exchanges:
        check_exchange(spec, exchange, "https://wms.example.com", "/channelhub")


def test_a_stock_page_conforms_and_bad_fields_are_named() -> None:
    from channelhub.core.warehouse_reports import StockLevel as Level

    body = proto.stock_page_body(
        [("US-EAST", Level(sku="MUG", on_hand=3, available=1))],
        taken_at=datetime(2026, 1, 15, tzinfo=UTC),
        next_cursor=None,
    )
    assert schema_errors(document(), "StockPage", body) == []
    assert proto.parse_stock_page(body).levels[0].on_hand == 3
    body["levels"][0]["on_hand"] = -1  # type: ignore[index]
    with pytest.raises(InvalidInput, match="on_hand"):
        proto.parse_stock_page(body)
