"""What goes to a warehouse and what comes back: outbound orders, shipments, tracking.

The tracking vocabulary is the one in the contracts README; the carrier's own code is
always kept beside it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field

from channelhub.core.money import Money
from channelhub.core.parties import Address
from channelhub.core.types import VALUE_CONFIG, AsTuple, PositiveQty, SkuCode, UtcDatetime


class OutboundLine(BaseModel):
    """One SKU and quantity to pick, in base units, traced back to its order line."""

    model_config = VALUE_CONFIG

    sku: SkuCode
    quantity: PositiveQty
    order_line_id: str | None = None


class OutboundOrder(BaseModel):
    """An instruction to a warehouse to ship. Sent exactly once per idempotency key.

    The key is channel order + split part + revision: a modified order gets a new revision,
    and the old one is cancelled at the warehouse.
    """

    model_config = VALUE_CONFIG

    idempotency_key: str = Field(min_length=1, max_length=200)
    order_key: str  # "channel:account:external_id"
    part: int = Field(default=1, ge=1)
    revision: int = Field(default=1, ge=1)
    warehouse: str
    ship_to: Address
    lines: Annotated[tuple[OutboundLine, ...], AsTuple] = Field(min_length=1)
    shipping_service: str | None = None
    carrier: str | None = None
    cash_on_delivery: Money | None = None
    remarks: str | None = None
    reference: str | None = None  # what the warehouse prints: usually the channel order number

    @staticmethod
    def make_key(order_key: str, part: int, revision: int) -> str:
        """The idempotency key for one part of one revision of an order."""
        return f"{order_key}#p{part}r{revision}"


class OutboundState(StrEnum):
    """Where an outbound order is at the warehouse."""

    PENDING = "pending"  # decided, not yet accepted by the warehouse
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    PICKING = "picking"
    PACKED = "packed"
    SHIPPED = "shipped"
    PARTIALLY_SHIPPED = "partially_shipped"
    CANCEL_REQUESTED = "cancel_requested"
    CANCELLED = "cancelled"
    CANCEL_TOO_LATE = "cancel_too_late"


class PackageLine(BaseModel):
    """What one package holds."""

    model_config = VALUE_CONFIG

    sku: SkuCode
    quantity: PositiveQty
    order_line_id: str | None = None


class Package(BaseModel):
    """One parcel with its own tracking number."""

    model_config = VALUE_CONFIG

    package_id: str | None = None
    tracking_number: str = Field(min_length=1)
    carrier: str = Field(min_length=1)
    service: str | None = None
    lines: Annotated[tuple[PackageLine, ...], AsTuple] = ()
    weight_grams: int | None = Field(default=None, ge=0)
    tracking_url: str | None = None


class Shipment(BaseModel):
    """A warehouse's confirmation that (part of) an outbound order left the building."""

    model_config = VALUE_CONFIG

    outbound_key: str  # the OutboundOrder idempotency key
    warehouse: str
    warehouse_order_id: str | None = None
    shipment_id: str
    shipped_at: UtcDatetime
    packages: Annotated[tuple[Package, ...], AsTuple] = Field(min_length=1)
    costs: Annotated[tuple[Money, ...], AsTuple] = ()


class TrackingStatus(StrEnum):
    """One vocabulary for every carrier's tracking codes."""

    INFO_RECEIVED = "info_received"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    AVAILABLE_FOR_PICKUP = "available_for_pickup"
    DELIVERY_FAILED = "delivery_failed"
    DELIVERED = "delivered"
    EXCEPTION = "exception"
    RETURNED = "returned"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


class TrackingEvent(BaseModel):
    """One scan or status change, normalised, with the carrier's raw code kept."""

    model_config = VALUE_CONFIG

    tracking_number: str = Field(min_length=1)
    carrier: str
    status: TrackingStatus
    raw_code: str
    description: str | None = None
    location: str | None = None
    occurred_at: UtcDatetime
