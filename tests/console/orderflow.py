"""Seeded orders for the Orders, Pairing and Exceptions screens, through the real pipeline:
a small mug shop (singles, a combo), two warehouses with stock, and orders in the states a
seller meets (allocated, waiting for pairing, held, a dispatch the warehouse refused), plus a
dead tracking push. Names and amounts look real so the screenshots do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from channelhub.core.fulfilment import Package, Shipment, TrackingEvent, TrackingStatus
from channelhub.core.lifecycle import HubStatus
from channelhub.core.models import (
    Listing,
    MovementKind,
    Order,
    Sku,
    StockMovement,
    Warehouse,
)
from channelhub.core.order import OrderKey
from channelhub.jobs.fulfilment.outbound import FULFILMENT, move_order
from channelhub.jobs.orders.actions import hold_order, parse_order_key
from channelhub.jobs.orders.pipeline import PipelineSettings, process_order
from channelhub.jobs.orders.stopping import outbound_messages
from channelhub.store.repos.fulfilment import record_shipment, record_tracking_events
from channelhub.store.repos.listings import upsert_listing
from channelhub.store.repos.orders import get_order_row, upsert_order
from channelhub.store.repos.outbox import dead_letter, enqueue
from channelhub.store.repos.products import upsert_sku
from channelhub.store.repos.stock import record_movement, upsert_warehouse
from tests.jobs.fakes import ACCOUNT, PLATFORM

SETTINGS = PipelineSettings()
WHITE_GTIN = "00850001234567"
BUYERS = [
    ("Ann Lee", "10001", "New York", "NY"),
    ("Ben Ortiz", "94110", "San Francisco", "CA"),
    ("Chloé Martin", "60614", "Chicago", "IL"),
    ("Dev Patel", "98101", "Seattle", "WA"),
    ("Emma Schulz", "02116", "Boston", "MA"),
    ("Farid Haddad", "78701", "Austin", "TX"),
]


@dataclass(frozen=True)
class Seeded:
    """The keys the tests act on."""

    allocated: str  # planned and reserved at US-EAST
    unpaired: str  # waiting on listing MUG-BLK-2PK (no binding)
    held: str  # on hold by an operator
    refused: str  # the warehouse refused its order: in exception, outbox message dead
    refused_message: int  # that dead outbox message's id
    tracking_message: int  # a dead tracking push (fulfilment) to the channel
    listing: str  # the unpaired listing, as LISTING text


def _order(n: int, external_id: str, lines: list[tuple[str, int, str]], at: datetime) -> Order:
    name, postal, city, region = BUYERS[n % len(BUYERS)]
    total = sum(int(qty) * float(price) for _, qty, price in lines)
    return Order.model_validate(
        {
            "channel": PLATFORM,
            "account": ACCOUNT,
            "external_id": external_id,
            "channel_status": "paid",
            "placed_at": at,
            "updated_at": at,
            "buyer": {"name": name, "email": f"{name.split()[0].lower()}@example.com"},
            "ship_to": {
                "name": name,
                "line1": f"{10 + n % len(BUYERS)} Main St",
                "city": city,
                "region": region,
                "postal_code": postal,
                "country": "US",
            },
            "totals": {"total": {"amount": f"{total:.2f}", "currency": "USD"}},
            "lines": [
                {
                    "line_id": f"L{i + 1}",
                    "channel_sku": sku,
                    "title": sku.replace("-", " ").title(),
                    "quantity": qty,
                    "unit_price": {"amount": price, "currency": "USD"},
                }
                for i, (sku, qty, price) in enumerate(lines)
            ],
            "shipping_service": "standard",
        },
        strict=False,
    )


def _catalog(session: Session, now: datetime) -> None:
    for code, country in (("US-EAST", "US"), ("US-WEST", "US")):
        upsert_warehouse(session, Warehouse(code=code, country=country), now=now)
    for sku in (Sku(code="MUG-BLK"), Sku(code="MUG-WHT", barcode=WHITE_GTIN), Sku(code="SPOON")):
        upsert_sku(session, sku, now=now)
    upsert_sku(
        session,
        Sku.model_validate(
            {
                "code": "BREAKFAST-SET",
                "kind": "combo",
                "components": [{"sku": "MUG-WHT", "qty": 1}, {"sku": "SPOON", "qty": 2}],
            },
            strict=False,
        ),
        now=now,
    )
    for warehouse, sku, qty in (
        ("US-EAST", "MUG-BLK", 40),
        ("US-EAST", "SPOON", 120),
        ("US-WEST", "MUG-WHT", 25),
        ("US-WEST", "SPOON", 60),
    ):
        record_movement(
            session,
            StockMovement(
                warehouse=warehouse,
                sku=sku,
                kind=MovementKind.RECEIVE,
                quantity=qty,
                reason="opening count",
                at=now,
            ),
            now=now,
        )


def _listings(session: Session, now: datetime) -> None:
    """A listing the hub pulled but nothing binds yet: its GTIN names a local SKU."""
    upsert_listing(
        session,
        Listing(
            channel=PLATFORM,
            account=ACCOUNT,
            listing_id="8812001",
            channel_sku="WHITE-MUG-11OZ",
            title="White ceramic mug 11 oz",
            identifiers={"gtin": WHITE_GTIN},
        ),
        now=now,
    )


def _ship(session: Session, key: str, at: datetime) -> None:
    """The warehouse shipped the order in one parcel; the carrier has scanned it three times
    (the second scan reported twice)."""
    number = "1Z84A1E90312345678"
    record_shipment(
        session,
        Shipment(
            outbound_key=f"{key}#p1r1",
            warehouse="US-WEST",
            warehouse_order_id="WO-88120",
            shipment_id="SH-55102",
            shipped_at=at,
            packages=(Package(tracking_number=number, carrier="UPS", service="Ground"),),
        ),
        now=at,
    )
    steps = [
        (TrackingStatus.INFO_RECEIVED, "Shipper created a label", "Seattle, WA", 0),
        (TrackingStatus.IN_TRANSIT, "Departed from facility", "Kent, WA", 5),
        (TrackingStatus.IN_TRANSIT, "Departed from facility", "Kent, WA", 6),
        (TrackingStatus.OUT_FOR_DELIVERY, "Out for delivery", "Boston, MA", 30),
    ]
    record_tracking_events(
        session,
        [
            TrackingEvent(
                tracking_number=number,
                carrier="UPS",
                status=status,
                raw_code=status.value.upper(),
                description=text,
                location=where,
                occurred_at=at + timedelta(hours=hours),
            )
            for status, text, where, hours in steps
        ],
        now=at,
    )
    move_order(
        session,
        get_order_row(session, _key(key)),
        [HubStatus.DISPATCHED, HubStatus.SHIPPED],
        reason="warehouse US-WEST shipped SH-55102 (UPS 1Z84A1E90312345678)",
        now=at,
    )


def _add(session: Session, order: Order, now: datetime) -> str:
    upsert_order(session, order, now=now)
    process_order(session, order.key, settings=SETTINGS, now=now)
    return str(order.key)


def seed_orders(factory: sessionmaker[Session], now: datetime, *, extra: int = 0) -> Seeded:
    """The shop, its stock and its orders; ``extra`` more allocated orders (for paging)."""
    start = now - timedelta(hours=6)
    with factory.begin() as session:
        _catalog(session, start)
        _listings(session, start)
        allocated = _add(session, _order(0, "1001", [("MUG-BLK", 2, "14.50")], start), start)
        unpaired = _add(
            session,
            _order(1, "1002", [("MUG-BLK-2PK", 1, "26.00")], start + timedelta(minutes=20)),
            start,
        )
        held = _add(
            session,
            _order(2, "1003", [("SPOON", 4, "3.25")], start + timedelta(minutes=40)),
            start,
        )
        hold_order(
            session,
            _key(held),
            reason="buyer asked to change the address",
            now=start + timedelta(hours=1),
            actor="operator",
        )
        refused = _add(
            session,
            _order(3, "1004", [("MUG-WHT", 1, "14.50")], start + timedelta(hours=1)),
            start,
        )
        shipped = _add(
            session,
            _order(4, "1005", [("BREAKFAST-SET", 1, "24.00")], start + timedelta(hours=2)),
            start,
        )
        _ship(session, shipped, start + timedelta(hours=3))
        for i in range(extra):
            at = start - timedelta(minutes=i + 1)
            _add(session, _order(5 + i, f"9{i:04d}", [("SPOON", 1, "3.25")], at), start)
        # the warehouse refused 1004's order: as dispatch records it
        (message,) = outbound_messages(session, refused)
        message_id = message.id
        dead_letter(
            session,
            message.id,
            error="HTTP 422: item MUG-WHT is not set up at this warehouse (inventory_id missing)",
            now=now - timedelta(hours=1),
        )
        move_order(
            session,
            get_order_row(session, _key(refused)),
            [HubStatus.EXCEPTION],
            reason=f"warehouse US-WEST refused outbound {message.idempotency_key}: HTTP 422",
            now=now - timedelta(hours=1),
        )
        tracking = enqueue(
            session,
            idempotency_key=f"{allocated}#p1#fulfil",
            target=f"{PLATFORM}:{ACCOUNT}",
            kind=FULFILMENT,
            payload={"order_key": allocated, "tracking_number": "1Z999AA10123456784"},
            now=now - timedelta(minutes=30),
        )
        tracking_id = tracking.id
        dead_letter(
            session,
            tracking_id,
            error="HTTP 400: fulfillment order is closed",
            now=now - timedelta(minutes=20),
        )
    return Seeded(
        allocated=allocated,
        unpaired=unpaired,
        held=held,
        refused=refused,
        refused_message=message_id,
        tracking_message=tracking_id,
        listing=f"{PLATFORM}:{ACCOUNT}:MUG-BLK-2PK",
    )


def _key(text: str) -> OrderKey:
    return parse_order_key(text)
