"""The dispatch loop against the reference warehouse (outbound protocol connector + simulator):
exactly one warehouse order under lost replies, shipments under duplicated and reordered
signed callbacks, and intercepts before and after packing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from channelhub.connectors.outbound_protocol import PLUGIN, OutboundProtocolWarehouse
from channelhub.connectors.plugin import ConnectorContext
from channelhub.core.fulfilment import Shipment
from channelhub.core.models import HubStatus, OrderKey
from channelhub.core.signing import SIGNATURE_HEADER, sign
from channelhub.core.warehouse_reports import InterceptResult
from channelhub.jobs.fulfilment.dispatch import dispatch_outbox
from channelhub.jobs.fulfilment.intercept import apply_intercept_result, request_intercept
from channelhub.jobs.fulfilment.shipments import apply_shipment
from channelhub.simulators.clock import ManualClock
from channelhub.simulators.warehouse import create_app
from channelhub.simulators.warehouse.engine import CallbackFaults, WarehouseSimulator
from channelhub.store.db import make_session_factory
from channelhub.store.repos.stock import stock_balances
from channelhub.store.tables.orders import OrderRow
from channelhub.store.tables.outbox import OutboxMessage
from tests.jobs.dispatch_fakes import T0, WH, outbound, seed_allocated

pytestmark = pytest.mark.anyio
SECRET = "whsec_dispatch"
OUT = outbound((("MUG-RED", 2), ("TEE-M", 1)))
OKEY = OrderKey(channel="shopify", account="shop-us", external_id="5678901234567890123")


async def _no_sleep(_: float) -> None:
    return None


@dataclass
class Hub:
    """The hub side: a database, the connector, and the callback endpoint applying reports."""

    factory: sessionmaker[Session]
    clock: ManualClock
    connector: OutboundProtocolWarehouse | None = None
    applied: list[str] = field(default_factory=list)
    warehouse_app: object = None  # the ASGI app in front of the simulator (its /_sim routes)

    async def deliver(self, url: str, headers: dict[str, str], body: bytes) -> int:
        assert self.connector is not None
        callback = self.connector.verify_callback(headers, body, now=self.clock())
        with self.factory() as session, session.begin():
            if isinstance(callback.payload, Shipment):
                apply_shipment(session, callback.payload, now=self.clock())
            elif isinstance(callback.payload, InterceptResult):
                apply_intercept_result(session, callback.payload, now=self.clock())
        self.applied.append(callback.type)
        return 200

    def status(self) -> str:
        with self.factory() as session:
            return session.scalars(select(OrderRow.hub_status)).one()


@pytest.fixture
async def rig(engine: Engine) -> AsyncIterator[tuple[Hub, WarehouseSimulator]]:
    hub = Hub(make_session_factory(engine), ManualClock(T0 + timedelta(minutes=1)))
    faults = CallbackFaults(duplicate=0.5, reorder=True)
    app = create_app(
        seed=3, secret=SECRET, clock=hub.clock, deliver=hub.deliver, faults=faults, warehouse=WH
    )
    hub.warehouse_app = app
    hub.connector = PLUGIN.create(
        ConnectorContext(
            platform="outbound_protocol",
            account=WH,
            base_url="http://wms.test",
            credentials={"secret": SecretStr(SECRET)},
            transport=httpx.ASGITransport(app=app),
            now=hub.clock,
            sleep=_no_sleep,
        )
    )
    with hub.factory() as session:
        seed_allocated(session, OUT)
    yield hub, app.state.warehouse
    await hub.connector.aclose()


async def dispatch(hub: Hub) -> None:
    assert hub.connector is not None
    await dispatch_outbox(hub.factory, warehouses={WH: hub.connector}, now=hub.clock())


async def test_order_reaches_the_warehouse_once_and_ships_with_one_push_per_package(
    rig: tuple[Hub, WarehouseSimulator],
) -> None:
    hub, sim = rig
    sim.lose_responses = 20  # every reply of this run is lost
    await dispatch(hub)
    assert hub.status() == "allocated" and len(sim.orders) == 1
    sim.lose_responses = 0
    hub.clock.tick(timedelta(hours=1))
    await dispatch(hub)
    assert hub.status() == "dispatched" and len(sim.orders) == 1
    for _ in range(8):
        await sim.advance(timedelta(hours=1))
    assert hub.applied.count("shipment.confirmed") >= 1
    assert hub.status() == "shipped"
    with hub.factory() as session:
        pushes = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.kind == "fulfilment")
        )
        assert pushes == 1  # the simulator packs one package per order
        balances = stock_balances(session, warehouse=WH)
        assert balances[(WH, "MUG-RED")].reserved == 0
        assert balances[(WH, "MUG-RED")].on_hand == 48


async def test_intercept_before_packing_releases(rig: tuple[Hub, WarehouseSimulator]) -> None:
    hub, sim = rig
    await dispatch(hub)
    with hub.factory() as session, session.begin():
        request_intercept(
            session, OKEY, then=HubStatus.ON_HOLD, reason="address typo", now=hub.clock()
        )
    await dispatch(hub)
    assert hub.status() == "on_hold"
    await sim.advance(timedelta(hours=8))
    assert hub.status() == "on_hold" and hub.applied.count("shipment.confirmed") == 0
    with hub.factory() as session:
        assert stock_balances(session, warehouse=WH)[(WH, "MUG-RED")].reserved == 0


async def test_intercept_after_packing_is_too_late(rig: tuple[Hub, WarehouseSimulator]) -> None:
    hub, sim = rig
    await dispatch(hub)
    await sim.advance(timedelta(hours=2))  # picked and packed
    with hub.factory() as session, session.begin():
        request_intercept(session, OKEY, then=HubStatus.CANCELLED, reason="late", now=hub.clock())
    await dispatch(hub)
    assert hub.status() == "dispatched"
    for _ in range(4):
        await sim.advance(timedelta(hours=1))
    assert hub.status() == "shipped"


async def test_ship_now_ships_at_once_with_callbacks_signed_at_the_real_time(
    rig: tuple[Hub, WarehouseSimulator],
) -> None:
    """``POST /_sim/ship-now`` skips the stage wait without moving the clock: the callback's
    signature is fresh, so the hub takes it and the order is shipped."""
    hub, sim = rig
    sim.faults = CallbackFaults()  # no duplicates or reordering: one callback, now
    await dispatch(hub)
    assert hub.status() == "dispatched"
    before = hub.clock()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=hub.warehouse_app),  # type: ignore[arg-type]
        base_url="http://wms.test",
    ) as client:
        answer = (await client.post("/_sim/ship-now")).json()
    assert answer == {"shipped": 1, "callbacks_pending": 0}
    assert hub.clock() == before and hub.applied == ["shipment.confirmed"]
    assert hub.status() == "shipped"
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=hub.warehouse_app),  # type: ignore[arg-type]
        base_url="http://wms.test",
    ) as client:
        again = (await client.post("/_sim/ship-now")).json()
    assert again == {"shipped": 0, "callbacks_pending": 0}  # nothing open is left


async def test_two_reads_in_the_same_second_both_pass_a_replayed_post_does_not(
    rig: tuple[Hub, WarehouseSimulator],
) -> None:
    """Two hub processes reading in the same second send the same GET signature (empty body):
    both are answered. A POST's signature is still refused the second time."""
    hub, _ = rig
    stamp = int(hub.clock().timestamp())
    headers = {SIGNATURE_HEADER: sign(SECRET, stamp, b"")}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=hub.warehouse_app),  # type: ignore[arg-type]
        base_url="http://wms.test",
    ) as client:
        first = await client.get("/stock", headers=headers)
        second = await client.get("/stock", headers=headers)
        assert (first.status_code, second.status_code) == (200, 200)
        body = b'{"not": "an order"}'
        post = {SIGNATURE_HEADER: sign(SECRET, stamp, body), "Content-Type": "application/json"}
        await client.post("/outbound-orders", headers=post, content=body)
        again = await client.post("/outbound-orders", headers=post, content=body)
        assert again.status_code == 401 and again.json()["error"]["code"] == "replayed"
