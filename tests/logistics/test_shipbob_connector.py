"""The ShipBob Warehouse connector against the ShipBob simulator; every request is checked
against the 2026-01 spec with openapi-core."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from pydantic import SecretStr

from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.roles import Warehouse
from channelhub.connectors.shipbob import PLUGIN, ShipBobRejected, ShipBobWarehouse
from channelhub.core.fulfilment import OutboundState
from channelhub.simulators.clock import ManualClock
from channelhub.simulators.shipbob import create_app
from tests.logistics.conformance import RecordingTransport, check_exchange, openapi
from tests.logistics.specs import shipbob_spec
from tests.logistics.test_outbound_protocol import outbound_order

HOST = "https://sandbox-api.shipbob.com"


async def _no_sleep(_: float) -> None:
    return None


class Rig:
    def __init__(self) -> None:
        self.clock = ManualClock()
        self.app = create_app(clock=self.clock)
        self.sim = self.app.state.shipbob
        self.transport = RecordingTransport(httpx.ASGITransport(app=self.app))
        context = ConnectorContext(
            platform="shipbob",
            account="sb-main",
            base_url=HOST,
            credentials={"pat": SecretStr("pat_sim")},
            settings={"channel_id": 101, "warehouse": "shipbob-il"},
            transport=self.transport,
            now=self.clock,
            sleep=_no_sleep,
        )
        self.connector: ShipBobWarehouse = PLUGIN.create(context)

    def check_all(self) -> None:
        spec = openapi(shipbob_spec(), check_spec=False)
        for exchange in self.transport.exchanges:
            check_exchange(spec, exchange, HOST)


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    value = Rig()
    yield value
    await value.connector.aclose()


@pytest.mark.anyio
async def test_create_is_idempotent_by_reference_and_ships(rig: Rig) -> None:
    assert isinstance(rig.connector, Warehouse)
    order = outbound_order(cash_on_delivery=None)
    first = await rig.connector.create_outbound(order)
    second = await rig.connector.create_outbound(order)
    assert first.created and not second.created
    assert first.warehouse_order_id == second.warehouse_order_id and len(rig.sim.orders) == 1

    status = await rig.connector.get_outbound(order.idempotency_key)
    assert status.state is OutboundState.ACCEPTED and status.shipments == ()
    rig.sim.advance(timedelta(hours=3))
    status = await rig.connector.get_outbound(order.idempotency_key)
    assert status.state is OutboundState.SHIPPED
    (shipment,) = status.shipments
    assert shipment.warehouse == "shipbob-il" and shipment.packages[0].tracking_number.startswith(
        "1Z"
    )
    too_late = await rig.connector.cancel_outbound(order.idempotency_key, reason="buyer")
    assert too_late.state is OutboundState.CANCEL_TOO_LATE
    rig.check_all()


@pytest.mark.anyio
async def test_refusal_keeps_shipbobs_words(rig: Rig) -> None:
    order = outbound_order(cash_on_delivery=None)
    body_refusal = rig.sim.create
    rig.sim.create = lambda body: (422, {"errors": ["Invalid shipping method"]})  # type: ignore[method-assign]
    with pytest.raises(ShipBobRejected, match="Invalid shipping method"):
        await rig.connector.create_outbound(order)
    rig.sim.create = body_refusal  # type: ignore[method-assign]


@pytest.mark.anyio
async def test_one_bad_shipment_does_not_fail_the_status_read(rig: Rig) -> None:
    """Issue 18: a shipment the mapping cannot read is set aside with its body and error;
    the status and the other shipments still read. A non-ISO ``invoice_currency_code`` (the
    spec's own example says "string") is no such shipment: the status does not need it."""
    import copy
    import json

    order = outbound_order(cash_on_delivery=None)
    await rig.connector.create_outbound(order)
    rig.sim.advance(timedelta(hours=3))
    (stored,) = [o for o in rig.sim.orders.values() if o["reference_id"] == order.idempotency_key]
    good = stored["shipments"][0]
    good["invoice_amount"], good["invoice_currency_code"] = 4.2, "string"
    bad = copy.deepcopy(good)
    bad["id"] = good["id"] + 1
    bad["tracking"]["tracking_number"] = "1ZBAD0000000000001"
    bad["tracking"]["shipping_date"] = "0000-01-01T00:00:00Z"  # year 0: not a date
    stored["shipments"].append(bad)

    status = await rig.connector.get_outbound(order.idempotency_key)

    assert status.state is OutboundState.SHIPPED
    (shipment,) = status.shipments
    assert shipment.shipment_id == str(good["id"]) and shipment.costs == ()
    (failure,) = status.failures
    assert failure.raw.kind == "shipment" and failure.raw.external_id == str(bad["id"])
    assert json.loads(failure.raw.body)["tracking"]["tracking_number"] == "1ZBAD0000000000001"
    assert "shipping_date" in failure.reason
