"""An in-process warehouse and a seeded order, for the dispatch, shipment and tracking tests.

The fake implements the Warehouse protocol with switchable behaviour: idempotency on the key
or not, faults raised before acting (the warehouse never saw the call) or after it accepted
(the answer is lost: a timeout, or the sender crashing), and cancel answers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from channelhub.connectors.errors import NotFoundError
from channelhub.connectors.results import (
    CancelResult,
    OutboundReceipt,
    OutboundStatus,
    PageOf,
    RawRecord,
    StockLevel,
)
from channelhub.connectors.roles import Capability
from channelhub.core.models import (
    Address,
    HubStatus,
    Money,
    Order,
    OrderLine,
    OrderTotals,
    OutboundLine,
    OutboundOrder,
    OutboundState,
    StockMovement,
    Warehouse,
)
from channelhub.core.stock import MovementKind
from channelhub.jobs.fulfilment.outbound import warehouse_target
from channelhub.jobs.orders.pipeline import OUTBOUND_CREATE
from channelhub.store.repos.orders import get_order_row, transition_order, upsert_order
from channelhub.store.repos.outbox import enqueue
from channelhub.store.repos.stock import record_movement, upsert_warehouse

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
WH = "US-EAST"
ORDER_KEY = "shopify:shop-us:5678901234567890123"


class Crash(BaseException):
    """The sender process dies here (not an Exception: nothing may catch it)."""


@dataclass
class WmsOrder:
    key: str
    warehouse_order_id: str
    state: OutboundState = OutboundState.ACCEPTED


@dataclass
class FakeWarehouse:
    """A WMS in memory. ``created`` lists every order it created, duplicates included."""

    idempotent: bool = True
    platform: str = "fakewms"
    account: str = "wms-1"
    before: list[BaseException] = field(default_factory=list)  # raised before acting
    after: list[BaseException] = field(default_factory=list)  # raised after creating
    cancel_before: list[BaseException] = field(default_factory=list)
    cancel_answer: OutboundState = OutboundState.CANCELLED
    created: list[WmsOrder] = field(default_factory=list)
    cancels: list[tuple[str, str]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)

    capabilities: frozenset[Capability] = field(init=False)

    def __post_init__(self) -> None:
        base = {Capability.CREATE_OUTBOUND, Capability.CANCEL_OUTBOUND, Capability.OUTBOUND_STATUS}
        extra = {Capability.IDEMPOTENT_OUTBOUND} if self.idempotent else set()
        self.capabilities = frozenset(base | extra)

    def orders_for(self, key: str) -> list[WmsOrder]:
        return [o for o in self.created if o.key == key]

    async def aclose(self) -> None:
        return None

    async def create_outbound(self, order: OutboundOrder) -> OutboundReceipt:
        self.calls.append(f"create {order.idempotency_key}")
        if self.before:
            raise self.before.pop(0)
        existing = self.orders_for(order.idempotency_key)
        if self.idempotent and existing:
            found = existing[0]
            return OutboundReceipt(
                order.idempotency_key, found.warehouse_order_id, found.state, False
            )
        made = WmsOrder(order.idempotency_key, f"W-{len(self.created) + 1}")
        self.created.append(made)
        if self.after:
            raise self.after.pop(0)
        return OutboundReceipt(order.idempotency_key, made.warehouse_order_id, made.state, True)

    async def cancel_outbound(self, idempotency_key: str, *, reason: str) -> CancelResult:
        self.calls.append(f"cancel {idempotency_key}")
        if self.cancel_before:
            raise self.cancel_before.pop(0)
        found = self.orders_for(idempotency_key)
        if not found:
            raise NotFoundError("no such order", status=404)
        self.cancels.append((idempotency_key, reason))
        answer = self.cancel_answer
        if answer is OutboundState.CANCELLED:
            for order in found:
                order.state = OutboundState.CANCELLED
        why = "already packed" if answer is OutboundState.CANCEL_TOO_LATE else None
        return CancelResult(idempotency_key, answer, why)

    async def get_outbound(self, idempotency_key: str) -> OutboundStatus:
        self.calls.append(f"get {idempotency_key}")
        found = self.orders_for(idempotency_key)
        if not found:
            raise NotFoundError("no such order", status=404)
        raw = RawRecord("outbound", found[0].warehouse_order_id, b"{}", T0)
        return OutboundStatus(idempotency_key, found[0].warehouse_order_id, found[0].state, (), raw)

    async def get_stock_levels(
        self, skus: Sequence[str] | None = None, cursor: str | None = None
    ) -> AsyncIterator[PageOf[StockLevel]]:
        yield PageOf(items=(), raw=(), cursor=None, done=True)


def make_order(lines: Sequence[tuple[str, int]] = (("L1", 2),)) -> Order:
    return Order.model_validate(
        {
            "channel": "shopify",
            "account": "shop-us",
            "external_id": "5678901234567890123",
            "channel_status": "paid",
            "placed_at": T0,
            "updated_at": T0,
            "ship_to": Address(name="A. Buyer", line1="1 Main St", city="New York", country="US"),
            "totals": OrderTotals(total=Money.of("39.98", "USD")),
            "lines": tuple(
                OrderLine(line_id=line_id, listing_id=line_id, quantity=qty)
                for line_id, qty in lines
            ),
        }
    )


def outbound(
    skus: Sequence[tuple[str, int]] = (("MUG", 2),), *, part: int = 1, revision: int = 1
) -> OutboundOrder:
    return OutboundOrder(
        idempotency_key=OutboundOrder.make_key(ORDER_KEY, part, revision),
        order_key=ORDER_KEY,
        part=part,
        revision=revision,
        warehouse=WH,
        ship_to=Address(name="A. Buyer", line1="1 Main St", city="New York", country="US"),
        lines=tuple(
            OutboundLine(sku=sku, quantity=qty, order_line_id=f"L{i + 1}")
            for i, (sku, qty) in enumerate(skus)
        ),
        reference="5678901234567890123",
    )


def queue_outbound(session: Session, out: OutboundOrder, *, now: datetime = T0) -> None:
    """What the pipeline writes when it allocates: reservations and the outbound in the outbox."""
    for line in out.lines:
        record_movement(
            session,
            StockMovement(
                warehouse=out.warehouse,
                sku=line.sku,
                kind=MovementKind.RESERVE,
                quantity=line.quantity,
                reason=f"reserve for line {line.order_line_id}",
                reference=f"{out.order_key}#p{out.part}",
                at=now,
            ),
            now=now,
        )
    enqueue(
        session,
        idempotency_key=out.idempotency_key,
        target=warehouse_target(out.warehouse),
        kind=OUTBOUND_CREATE,
        payload=out.model_dump(mode="json"),
        now=now,
    )


def seed_allocated(session: Session, *outs: OutboundOrder) -> int:
    """An order moved to allocated, stock received, and its outbounds queued; returns its id."""
    outs = outs or (outbound(),)
    upsert_warehouse(session, Warehouse(code=WH, country="US", region="NY"), now=T0)
    for sku in sorted({"MUG", "CUP"} | {line.sku for out in outs for line in out.lines}):
        record_movement(
            session,
            StockMovement(
                warehouse=WH, sku=sku, kind=MovementKind.RECEIVE, quantity=50, reason="in", at=T0
            ),
            now=T0,
        )
    order = make_order()
    upsert_order(session, order, now=T0)
    order_id = get_order_row(session, order.key).id
    for step in (HubStatus.APPROVED, HubStatus.ALLOCATED):
        transition_order(session, order_id, step, reason="test setup", at=T0)
    for out in outs:
        queue_outbound(session, out)
    session.commit()
    return order_id
