"""Fake SalesChannel and Warehouse connectors implementing the role Protocols in memory, and a
hub seeded with one injected discrepancy of every class."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from channelhub.connectors.results import (
    CancelResult,
    ChannelFulfilment,
    Fetched,
    FulfilmentPush,
    OutboundReceipt,
    OutboundStatus,
    PackagePushResult,
    PageOf,
    QuantityPushResult,
    QuantityUpdate,
    RawRecord,
    StockLevel,
    WebhookEvent,
)
from channelhub.connectors.roles import Capability
from channelhub.core.lifecycle import HubStatus
from channelhub.core.models import (
    Address,
    Listing,
    ListingKey,
    Money,
    MovementKind,
    Order,
    OrderLine,
    OrderTotals,
    OutboundLine,
    OutboundOrder,
    OutboundState,
    Package,
    Shipment,
    StockMovement,
    Warehouse,
)
from channelhub.core.order import ChannelOrderState
from channelhub.store.repos.fulfilment import record_shipment, save_outbound, set_outbound_state
from channelhub.store.repos.orders import upsert_order
from channelhub.store.repos.stock import record_movement, upsert_warehouse
from channelhub.store.repos.stock_sync import record_push, settle_push

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=2)
CHANNEL, ACCOUNT = "shopify", "shop-eu"
ADDRESS = Address(name="A. Buyer", line1="Hauptstr. 1", city="Berlin", country="DE")
CS = ChannelOrderState


def make_order(external_id: str, state: ChannelOrderState, hub: HubStatus = HubStatus.NEW) -> Order:
    return Order(
        channel=CHANNEL,
        account=ACCOUNT,
        external_id=external_id,
        channel_status=state.value,
        channel_state=state,
        hub_status=hub,
        placed_at=T0,
        updated_at=T0,
        ship_to=ADDRESS,
        totals=OrderTotals(total=Money.of("10.00", "EUR")),
        lines=(OrderLine(line_id="L1", listing_id="P1", quantity=2),),
    )


def _raw(kind: str, external_id: str) -> RawRecord:
    return RawRecord(kind, external_id, f'{{"id": "{external_id}"}}'.encode(), T0)


class FakeChannel:
    """A SalesChannel over lists; records what was asked of it."""

    platform = CHANNEL
    account = ACCOUNT

    def __init__(
        self,
        orders: Sequence[Order],
        listings: Sequence[Listing] = (),
        fulfilments: Mapping[str, Sequence[str]] | None = None,
        capabilities: frozenset[Capability] | None = None,
        page_size: int = 2,
    ) -> None:
        self.orders = list(orders)
        self.listings = list(listings)
        self.fulfilments = dict(fulfilments or {})
        self.capabilities = capabilities or frozenset(
            {
                Capability.PULL_ORDERS,
                Capability.GET_ORDER,
                Capability.PULL_LISTINGS,
                Capability.READ_FULFILMENTS,
            }
        )
        self.page_size = page_size
        self.asked_since: list[datetime | None] = []
        self.fetched: list[str] = []

    async def aclose(self) -> None:
        return None

    async def pull_orders(
        self, cursor: str | None = None, *, since: datetime | None = None
    ) -> AsyncIterator[PageOf[Order]]:
        self.asked_since.append(since)
        for start in range(0, max(len(self.orders), 1), self.page_size):
            chunk = tuple(self.orders[start : start + self.page_size])
            done = start + self.page_size >= len(self.orders)
            raw = tuple(_raw("order", o.external_id) for o in chunk)
            yield PageOf(chunk, raw, cursor=str(start), done=done)

    async def get_order(self, external_id: str) -> Fetched[Order]:
        self.fetched.append(external_id)
        order = next(o for o in self.orders if o.external_id == external_id)
        return Fetched(order, _raw("order", external_id))

    async def pull_listings(self, cursor: str | None = None) -> AsyncIterator[PageOf[Listing]]:
        yield PageOf(tuple(self.listings), (), cursor=None, done=True)

    async def push_quantities(self, updates: Sequence[QuantityUpdate]) -> list[QuantityPushResult]:
        raise AssertionError("reconcile pushes through the outbox, never directly")

    async def push_fulfilment(self, push: FulfilmentPush) -> list[PackagePushResult]:
        raise AssertionError("reconcile pushes through the outbox, never directly")

    async def get_fulfilments(self, order_external_id: str) -> list[ChannelFulfilment]:
        return [
            ChannelFulfilment(f"F{n}", number, "dhl")
            for n, number in enumerate(self.fulfilments.get(order_external_id, ()))
        ]

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, *, now: datetime
    ) -> WebhookEvent:
        raise NotImplementedError


class FakeWarehouse:
    """A Warehouse whose only data is its stock levels."""

    platform = "refwms"
    account = "wms-de"
    capabilities = frozenset({Capability.STOCK_LEVELS})

    def __init__(self, levels: Sequence[StockLevel]) -> None:
        self.levels = list(levels)

    async def aclose(self) -> None:
        return None

    async def create_outbound(self, order: OutboundOrder) -> OutboundReceipt:
        raise NotImplementedError

    async def cancel_outbound(self, idempotency_key: str, *, reason: str) -> CancelResult:
        raise NotImplementedError

    async def get_outbound(self, idempotency_key: str) -> OutboundStatus:
        raise NotImplementedError

    async def get_stock_levels(
        self, skus: Sequence[str] | None = None, cursor: str | None = None
    ) -> AsyncIterator[PageOf[StockLevel]]:
        for level in self.levels:
            yield PageOf((level,), (), cursor=None, done=False)


# --- a hub with one discrepancy of every class ---------------------------------------------


def _ship(session: Session, external_id: str, tracking: str, warehouse: str = "DE-1") -> None:
    order_key = f"{CHANNEL}:{ACCOUNT}:{external_id}"
    key = OutboundOrder.make_key(order_key, 1, 1)
    save_outbound(
        session,
        OutboundOrder(
            idempotency_key=key,
            order_key=order_key,
            warehouse=warehouse,
            ship_to=ADDRESS,
            lines=(OutboundLine(sku="MUG", quantity=2, order_line_id="L1"),),
        ),
        now=T0,
    )
    record_shipment(
        session,
        Shipment(
            outbound_key=key,
            warehouse=warehouse,
            shipment_id=f"S-{external_id}",
            shipped_at=T0 + timedelta(hours=5),
            packages=(Package(tracking_number=tracking, carrier="dhl"),),
        ),
        now=T0,
    )


def seed_channel_hub(session: Session) -> FakeChannel:
    """Orders: A agrees, B missing in hub, C cancelled on channel (hub approved, reserved),
    D cancelled in hub, E shipped but never pushed, F tracking differs, G dispatched and
    cancelled on channel (intercept, proposed). Listings: L1 agrees, L2 edited by hand."""
    upsert_warehouse(session, Warehouse(code="DE-1", country="DE", account="wms-de"), now=T0)
    hub_side = [
        make_order("A", CS.SHIPPED, HubStatus.SHIPPED),
        make_order("C", CS.UNSHIPPED, HubStatus.APPROVED),
        make_order("D", CS.UNSHIPPED, HubStatus.CANCELLED),
        make_order("E", CS.UNSHIPPED, HubStatus.SHIPPED),
        make_order("F", CS.SHIPPED, HubStatus.SHIPPED),
        make_order("G", CS.UNSHIPPED, HubStatus.DISPATCHED),
        make_order("Z-old", CS.DELIVERED, HubStatus.DELIVERED),  # outside the window
    ]
    for order in hub_side:
        upsert_order(session, order, now=T0)  # a new row takes the order's hub_status
    for external_id in ("A", "E", "F"):
        _ship(session, external_id, f"TN-{external_id}")
    for kind, qty in ((MovementKind.RECEIVE, 10), (MovementKind.RESERVE, 2)):
        record_movement(
            session,
            StockMovement(
                warehouse="DE-1",
                sku="MUG",
                kind=kind,
                quantity=qty,
                reason=kind.value,
                reference=f"{CHANNEL}:{ACCOUNT}:C#p1" if kind is MovementKind.RESERVE else None,
                at=T0,
            ),
            now=T0,
        )
    for listing_id, qty in (("L1", 5), ("L2", 7)):  # what the stock sync pushed and saw confirmed
        key = ListingKey(channel=CHANNEL, account=ACCOUNT, listing_id=listing_id)
        push_id = record_push(
            session, key, quantity=qty, previous=None, explanation={}, trigger="sweep", now=T0
        )
        settle_push(session, push_id, accepted=True, reason=None, retryable=False, now=T0)
    session.commit()
    channel_side = [
        make_order("A", CS.SHIPPED),
        make_order("B", CS.UNSHIPPED),
        make_order("C", CS.CANCELLED),
        make_order("D", CS.UNSHIPPED),
        make_order("E", CS.UNSHIPPED),
        make_order("F", CS.SHIPPED),
        make_order("G", CS.CANCELLED),
    ]
    listings = [
        Listing(channel=CHANNEL, account=ACCOUNT, listing_id="L1", quantity=5),
        Listing(channel=CHANNEL, account=ACCOUNT, listing_id="L2", quantity=3, channel_sku="SKU2"),
    ]
    return FakeChannel(
        list(reversed(channel_side)),  # the channel pages in its own order, not by id
        listings,
        fulfilments={"A": ["TN-A"], "F": ["TN-WRONG"]},
    )


def seed_stock(session: Session) -> FakeWarehouse:
    """Ledger: MUG 10 on hand; CUP 5; PEN 4 with 2 in flight; BAG 6 with 1 in flight.
    Warehouse: MUG 10 (agrees), CUP 6 (warehouse higher by 1), PEN 2 (explained in flight),
    BAG 0 (ledger higher: 6 short, 1 in flight -> adjust -5), HAT 3 (not in the ledger)."""
    upsert_warehouse(
        session, Warehouse(code="DE-1", country="DE", account="wms-de", external_id="W1"), now=T0
    )
    for sku, qty in (("MUG", 10), ("CUP", 5), ("PEN", 4), ("BAG", 6)):
        record_movement(
            session,
            StockMovement(
                warehouse="DE-1",
                sku=sku,
                kind=MovementKind.RECEIVE,
                quantity=qty,
                reason="in",
                at=T0,
            ),
            now=T0,
        )
    for n, (sku, qty) in enumerate((("PEN", 2), ("BAG", 1))):
        key = f"o{n}#p1r1"
        save_outbound(
            session,
            OutboundOrder(
                idempotency_key=key,
                order_key=f"o{n}",
                warehouse="DE-1",
                ship_to=ADDRESS,
                lines=(OutboundLine(sku=sku, quantity=qty),),
            ),
            now=T0,
        )
        set_outbound_state(session, key, OutboundState.PICKING, now=T0)
    session.commit()
    levels = [
        StockLevel("W1", sku, on_hand=qty, available=qty)
        for sku, qty in (("MUG", 10), ("HAT", 3), ("CUP", 6), ("PEN", 2), ("BAG", 0))
    ]
    return FakeWarehouse(levels)
