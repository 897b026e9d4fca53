"""The warehouse behind the WINIT and 4PX simulators: orders by seller reference, stock per
warehouse code, time-driven stages, parcels with scans, fees.

Platform-neutral on purpose: each simulator speaks its own envelopes, codes and signing
around it (:mod:`channelhub.simulators.winit`, :mod:`channelhub.simulators.fourpx`). An order
moves on with the simulator's clock: accepted, picking after one ``stage``, packed after two,
shipped after three (stock leaves, a parcel gets a tracking number and a fee record), then one
scan per stage until delivered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

ACCEPTED, PICKING, PACKED, SHIPPED, CANCELLED = (
    "accepted",
    "picking",
    "packed",
    "shipped",
    "cancelled",
)
STAGES = (ACCEPTED, PICKING, PACKED, SHIPPED)
#: scans after shipping, one per stage: neutral names the simulators translate
SCANS = ("info_received", "in_transit", "out_for_delivery", "delivered")


class Refused(Exception):
    """A request the warehouse refuses: ``kind`` is neutral (the simulator picks its code)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind  # "bad_data", "duplicate", "not_found", "too_late", "stock"
        self.message = message


@dataclass
class SimOrder:
    number: str
    reference: str
    warehouse: str
    method: str
    lines: list[tuple[str, int]]
    created_at: datetime
    ship_to: dict[str, str]
    status: str = ACCEPTED
    shipped_at: datetime | None = None
    tracking: str | None = None
    fees: list[tuple[str, Decimal, str]] = field(default_factory=list)  # code, amount, currency

    def scans(self, now: datetime, stage: timedelta) -> list[tuple[str, datetime]]:
        if self.shipped_at is None:
            return []
        out = []
        for index, name in enumerate(SCANS):
            at = self.shipped_at + stage * index
            if at <= now:
                out.append((name, at))
        return out


class OverseasState:
    """Orders, stock and time of one simulated overseas warehouse account."""

    def __init__(
        self,
        *,
        clock: Callable[[], datetime],
        stock: Mapping[str, Mapping[str, int]],
        methods: Sequence[str],
        prefix: str,
        stage: timedelta = timedelta(hours=2),
        currency: str = "USD",
    ) -> None:
        self.clock = clock
        self.stock = {wh: dict(skus) for wh, skus in stock.items()}
        self.reserved: dict[str, dict[str, int]] = {wh: {} for wh in stock}
        self.methods = set(methods)
        self.prefix = prefix
        self.stage = stage
        self.currency = currency
        self.orders: dict[str, SimOrder] = {}  # by seller reference

    # --- orders --------------------------------------------------------------------------

    def create(
        self,
        *,
        reference: str,
        warehouse: str,
        method: str,
        lines: Sequence[tuple[str, int]],
        ship_to: dict[str, str],
    ) -> SimOrder:
        if not reference:
            raise Refused("bad_data", "the seller reference is required")
        if reference in self.orders:
            raise Refused("duplicate", f"seller reference {reference} already exists")
        if warehouse not in self.stock:
            raise Refused("bad_data", f"unknown warehouse {warehouse}")
        if method not in self.methods:
            raise Refused("bad_data", f"unknown shipping method {method}")
        if not lines:
            raise Refused("bad_data", "no products")
        for sku, qty in lines:
            free = self.stock[warehouse].get(sku, 0) - self.reserved[warehouse].get(sku, 0)
            if qty <= 0 or free < qty:
                raise Refused("stock", f"{sku}: {free} available, {qty} asked")
        for sku, qty in lines:
            self.reserved[warehouse][sku] = self.reserved[warehouse].get(sku, 0) + qty
        order = SimOrder(
            number=f"{self.prefix}{len(self.orders) + 1:08d}",
            reference=reference,
            warehouse=warehouse,
            method=method,
            lines=list(lines),
            created_at=self.clock(),
            ship_to=ship_to,
        )
        self.orders[reference] = order
        return order

    def find(self, *, reference: str | None = None, number: str | None = None) -> SimOrder:
        self.sync()
        for order in self.orders.values():
            if (reference and order.reference == reference) or (number and order.number == number):
                return order
        raise Refused("not_found", f"no outbound order {reference or number}")

    def cancel(self, order: SimOrder) -> None:
        self.sync()
        if order.status == CANCELLED:
            return
        if order.status != ACCEPTED:
            raise Refused("too_late", f"order {order.number} is {order.status}: too late to cancel")
        order.status = CANCELLED
        self._unreserve(order)

    def _unreserve(self, order: SimOrder) -> None:
        for sku, qty in order.lines:
            self.reserved[order.warehouse][sku] -= qty

    def sync(self) -> None:
        """Move every live order to the stage its age reaches."""
        now = self.clock()
        for order in self.orders.values():
            if order.status in (CANCELLED, SHIPPED):
                continue
            reached = min(int((now - order.created_at) / self.stage), len(STAGES) - 1)
            order.status = STAGES[max(reached, STAGES.index(order.status))]
            if order.status == SHIPPED:
                self._ship(order, order.created_at + self.stage * 3)

    def _ship(self, order: SimOrder, at: datetime) -> None:
        self._unreserve(order)
        for sku, qty in order.lines:
            self.stock[order.warehouse][sku] -= qty
        order.shipped_at = at
        order.tracking = f"1Z{order.number[-8:]}{len(order.lines):02d}"
        units = sum(q for _, q in order.lines)
        order.fees = [
            ("handling", Decimal("1.50") * units, self.currency),
            ("delivery", Decimal("6.20"), self.currency),
        ]

    # --- stock ---------------------------------------------------------------------------

    def levels(self, warehouse: str) -> list[tuple[str, int, int, int]]:
        """(sku, on hand, available, reserved) of one warehouse, by SKU."""
        self.sync()
        if warehouse not in self.stock:
            raise Refused("not_found", f"unknown warehouse {warehouse}")
        reserved = self.reserved[warehouse]
        return [
            (sku, qty, qty - reserved.get(sku, 0), reserved.get(sku, 0))
            for sku, qty in sorted(self.stock[warehouse].items())
        ]

    def sell(self, warehouse: str, sku: str, qty: int) -> None:
        """Stock leaves by another way (another channel's order, a stock take)."""
        self.stock[warehouse][sku] -= qty
