"""Shipment confirmations and tracking: duplicated, delayed and reordered callbacks change
nothing the second time; one push per package; delivered events deliver the order."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from channelhub.connectors.errors import ServerError
from channelhub.connectors.results import Label, LabelRequest, RateQuote, RateRequest
from channelhub.connectors.roles import Capability
from channelhub.core.errors import InvalidInput, NotFound
from channelhub.core.models import (
    HubStatus,
    OutboundState,
    Package,
    PackageLine,
    Shipment,
    TrackingEvent,
    TrackingStatus,
)
from channelhub.jobs.fulfilment.dispatch import dispatch_outbox
from channelhub.jobs.fulfilment.shipments import apply_shipment
from channelhub.jobs.fulfilment.tracking import (
    apply_tracking_events,
    order_timeline,
    poll_shipments,
)
from channelhub.store.db import make_session_factory
from channelhub.store.repos.fulfilment import get_outbound, save_outbound
from channelhub.store.repos.stock import stock_balances
from channelhub.store.tables.fulfilment import PackageRow
from channelhub.store.tables.orders import OrderRow
from channelhub.store.tables.outbox import OutboxMessage
from channelhub.store.tables.stock import StockMovementRow
from tests.jobs.dispatch_fakes import ORDER_KEY, T0, WH, FakeWarehouse, outbound, seed_allocated

pytestmark = pytest.mark.anyio
OUT = outbound((("MUG", 2), ("CUP", 1)))
KEY = OUT.idempotency_key
T1 = T0 + timedelta(hours=1)


def ship(sid: str, *packages: tuple[str, tuple[tuple[str, int], ...]]) -> Shipment:
    return Shipment(
        outbound_key=KEY,
        warehouse=WH,
        warehouse_order_id="W-1",
        shipment_id=sid,
        shipped_at=T1,
        packages=tuple(
            Package(
                tracking_number=number,
                carrier="UPS",
                lines=tuple(PackageLine(sku=sku, quantity=qty) for sku, qty in lines),
            )
            for number, lines in packages
        ),
    )


SHIP_A = ship("S-A", ("1Z-A", (("MUG", 2),)))
SHIP_B = ship("S-B", ("1Z-B1", (("CUP", 1),)), ("1Z-B2", ()))


def event(number: str, status: TrackingStatus, hours: int = 30) -> TrackingEvent:
    return TrackingEvent(
        tracking_number=number,
        carrier="UPS",
        status=status,
        raw_code=status.value.upper(),
        occurred_at=T0 + timedelta(hours=hours),
    )


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


async def dispatched(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        order_id = seed_allocated(session, OUT)
    await dispatch_outbox(factory, warehouses={WH: FakeWarehouse()}, now=T0)
    return order_id


def apply(factory: sessionmaker[Session], shipment: Shipment) -> HubStatus | None:
    with factory() as session, session.begin():
        return apply_shipment(session, shipment, now=T1).order_status


def pushes(factory: sessionmaker[Session]) -> list[str]:
    with factory() as session:
        return list(
            session.scalars(
                select(OutboxMessage.idempotency_key)
                .where(OutboxMessage.kind == "fulfilment")
                .order_by(OutboxMessage.idempotency_key)
            )
        )


@pytest.mark.parametrize(
    "arrivals",
    [
        [SHIP_A, SHIP_B],
        [SHIP_B, SHIP_A],  # reordered
        [SHIP_A, SHIP_A, SHIP_B, SHIP_A, SHIP_B],  # duplicated
    ],
)
async def test_one_push_per_package_whatever_the_callbacks(
    factory: sessionmaker[Session], arrivals: list[Shipment]
) -> None:
    order_id = await dispatched(factory)
    seen = [apply(factory, shipment) for shipment in arrivals]
    assert seen[0] is HubStatus.PARTIALLY_SHIPPED and seen[-1] is HubStatus.SHIPPED
    assert pushes(factory) == [f"fulfilment:{ORDER_KEY}:{n}" for n in ("1Z-A", "1Z-B1", "1Z-B2")]
    with factory() as session:
        assert session.get_one(OrderRow, order_id).hub_status == "shipped"
        balances = stock_balances(session, warehouse=WH)
        assert (balances[(WH, "MUG")].on_hand, balances[(WH, "MUG")].reserved) == (48, 0)
        assert (balances[(WH, "CUP")].on_hand, balances[(WH, "CUP")].reserved) == (49, 0)
        consumed = session.scalar(
            select(func.count())
            .select_from(StockMovementRow)
            .where(StockMovementRow.kind == "consume")
        )
        assert consumed == 2
        assert get_outbound(session, KEY)[1] is OutboundState.SHIPPED
        push = session.scalars(
            select(OutboxMessage).where(OutboxMessage.idempotency_key.endswith("1Z-A"))
        ).one()
        assert push.target == "channel:shopify:shop-us"
        assert push.payload["order_external_id"] == "5678901234567890123"


async def test_package_without_lines_ships_what_is_left(factory: sessionmaker[Session]) -> None:
    await dispatched(factory)
    assert apply(factory, ship("S-ALL", ("1Z-ALL", ()))) is HubStatus.SHIPPED
    with factory() as session:
        assert stock_balances(session, warehouse=WH)[(WH, "CUP")].reserved == 0


async def test_shipping_more_than_reserved_is_refused_and_writes_nothing(
    factory: sessionmaker[Session],
) -> None:
    await dispatched(factory)
    with pytest.raises(
        InvalidInput, match=r"shipment S-X: shipped\[US-EAST, MUG\]: 5 exceeds the 2 reserved"
    ):
        apply(factory, ship("S-X", ("1Z-X", (("MUG", 5),))))
    assert pushes(factory) == []
    with pytest.raises(NotFound):
        apply(factory, SHIP_A.model_copy(update={"outbound_key": "nope"}))


async def test_shipment_before_the_dispatch_outcome_was_recorded(
    factory: sessionmaker[Session],
) -> None:
    with factory() as session:
        order_id = seed_allocated(session, OUT)
    wms = FakeWarehouse(after=[ServerError("lost answer", status=504)])
    await dispatch_outbox(factory, warehouses={WH: wms}, now=T0)  # accepted, answer lost
    with factory() as session, session.begin():
        save_outbound(session, OUT, now=T0)
    assert apply(factory, ship("S-ALL", ("1Z-ALL", ()))) is HubStatus.SHIPPED
    with factory() as session:
        assert session.get_one(OrderRow, order_id).hub_status == "shipped"
    # the sender comes back: the warehouse already reported it, so it is not sent again
    summary = await dispatch_outbox(factory, warehouses={WH: wms}, now=T1 + timedelta(hours=1))
    assert summary.sent == [KEY] and wms.calls == [f"create {KEY}"]
    with factory() as session:
        assert get_outbound(session, KEY)[1] is OutboundState.SHIPPED
        assert session.get_one(OrderRow, order_id).hub_status == "shipped"


async def test_delivered_when_every_package_is_delivered(factory: sessionmaker[Session]) -> None:
    order_id = await dispatched(factory)
    apply(factory, SHIP_A)
    apply(factory, SHIP_B)
    with factory() as session, session.begin():
        first = apply_tracking_events(
            session,
            [event("1Z-A", TrackingStatus.IN_TRANSIT, 20), event("1Z-A", TrackingStatus.DELIVERED)],
            now=T1,
        )
        assert first.new_events == 2 and first.delivered == ()
        again = apply_tracking_events(session, [event("1Z-A", TrackingStatus.DELIVERED)], now=T1)
        assert again.new_events == 0
        rest = [event(n, TrackingStatus.DELIVERED) for n in ("1Z-B1", "1Z-B2")]
        done = apply_tracking_events(session, rest, now=T1)
        assert done.delivered == (ORDER_KEY,)
    with factory() as session:
        assert session.get_one(OrderRow, order_id).hub_status == "delivered"
        timeline = order_timeline(session, ORDER_KEY)
        assert [e.status for e in timeline["1Z-A"]] == [
            TrackingStatus.IN_TRANSIT,
            TrackingStatus.DELIVERED,
        ]


async def test_delivered_event_before_the_shipment_callback(factory: sessionmaker[Session]) -> None:
    order_id = await dispatched(factory)
    with factory() as session, session.begin():
        early = apply_tracking_events(session, [event("1Z-ALL", TrackingStatus.DELIVERED)], now=T1)
        assert early.delivered == ()
    assert apply(factory, ship("S-ALL", ("1Z-ALL", ()))) is HubStatus.DELIVERED
    with factory() as session:
        assert session.get_one(OrderRow, order_id).hub_status == "delivered"


class FakeCarrier:
    platform = "fakeups"
    account = "ups-1"
    capabilities: frozenset[Capability] = frozenset()

    def __init__(self, events: dict[str, list[TrackingEvent]]) -> None:
        self.events = events
        self.asked: list[str] = []

    async def aclose(self) -> None:
        return None

    async def quote(self, request: RateRequest) -> list[RateQuote]:
        raise NotImplementedError

    async def create_label(self, request: LabelRequest) -> Label:
        raise NotImplementedError

    async def track(self, tracking_number: str) -> list[TrackingEvent]:
        self.asked.append(tracking_number)
        if tracking_number not in self.events:
            raise ServerError("tracking unavailable", status=503)
        return self.events[tracking_number]


async def test_poll_shipments_asks_open_numbers_and_lists_failures(
    factory: sessionmaker[Session],
) -> None:
    order_id = await dispatched(factory)
    apply(factory, SHIP_A)
    apply(factory, ship("S-B", ("1Z-B1", (("CUP", 1),)), ("FX-9", ())))
    with factory() as session, session.begin():
        session.execute(
            update(OutboxMessage).values(state="sent")  # pushes are not under test
        )
        session.execute(
            update(PackageRow).where(PackageRow.tracking_number == "FX-9").values(carrier="FedEx")
        )
    ups = FakeCarrier(
        {
            "1Z-A": [event("1Z-A", TrackingStatus.DELIVERED)],
            "1Z-B1": [event("1Z-B1", TrackingStatus.IN_TRANSIT)],
        }
    )
    summary = await poll_shipments(factory, carriers={"UPS": ups}, now=T1)
    assert summary.polled == 2 and summary.new_events == 2 and summary.delivered == []
    assert summary.failures == [("FX-9", "no carrier connector for 'FedEx'")]
    ups.events["1Z-B1"].append(event("1Z-B1", TrackingStatus.DELIVERED, 40))
    ups.events.pop("1Z-A")
    later = await poll_shipments(factory, carriers={"UPS": ups, "fedex": ups}, now=T1)
    assert ups.asked == ["1Z-A", "1Z-B1", "1Z-B1", "FX-9"]  # delivered 1Z-A is not asked again
    assert later.failures and "tracking unavailable" in later.failures[0][1]
    with factory() as session:
        assert session.get_one(OrderRow, order_id).hub_status == "shipped"  # FX-9 still open
