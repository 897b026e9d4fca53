"""Wire shapes of the channelhub outbound protocol: pydantic mirrors of the document's schemas.

Strict (no silent coercion) and closed (unknown fields refused), except that times are parsed
from RFC 3339 text and must carry a zone; amounts are decimal strings, never floats.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
)

from channelhub.core import strict
from channelhub.core.errors import InvalidInput
from channelhub.core.fulfilment import OutboundLine, PackageLine, Shipment
from channelhub.core.money import Money
from channelhub.core.parties import Address
from channelhub.core.types import MAX_TEXT, AsTuple, NonNegativeQty, PlatformId
from channelhub.core.warehouse_reports import InterceptResult, StockLevel
from channelhub.mappings.warehouse_stock import SnapshotRows

CallbackType = Literal[
    "shipment.confirmed", "outbound.intercept_result", "outbound.cancelled", "stock.snapshot"
]

_WIRE = ConfigDict(strict=True, frozen=True, extra="forbid", str_max_length=MAX_TEXT)


def _plausible(value: datetime) -> datetime:
    try:
        return strict.instant(value, "time")
    except InvalidInput as exc:
        raise ValueError(exc.problems[0].removeprefix("time: ")) from None


Timestamp = Annotated[AwareDatetime, Field(strict=False), AfterValidator(_plausible)]
#: A decimal amount as text: below 10^9, at most 4 places (core/strict.py's bounds).
Amount = Annotated[str, StringConstraints(pattern=r"^-?[0-9]{1,9}(\.[0-9]{1,4})?$", max_length=16)]
#: A count the wire carries (a revision, a weight): a 32-bit whole number.
Count = Annotated[int, Field(ge=1, le=2**31 - 1)]
NonEmpty = Annotated[str, StringConstraints(min_length=1)]


def iso_time(value: datetime) -> str:
    """RFC 3339 in UTC with a ``Z``, as the document's examples write times."""
    return value.isoformat().replace("+00:00", "Z")


class WireMoney(BaseModel):
    """Money on the wire: ``{"amount": "12.50", "currency": "USD"}``."""

    model_config = _WIRE
    amount: Amount
    currency: str

    def canonical(self, field: str = "amount") -> Money:
        return strict.money(
            self.amount,
            self.currency,
            amount_field=f"{field}.amount",
            currency_field=f"{field}.currency",
            signed=False,
            source="outbound protocol",
        )

    @classmethod
    def of(cls, money: Money) -> WireMoney:
        return cls(amount=str(money.amount), currency=money.currency)


class WireOutboundOrder(BaseModel):
    model_config = _WIRE
    idempotency_key: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    order_key: str
    part: Count
    revision: Count
    warehouse: str
    reference: str | None = None
    ship_to: Address
    lines: Annotated[tuple[OutboundLine, ...], AsTuple] = Field(min_length=1)
    shipping_service: str | None = None
    carrier: str | None = None
    cash_on_delivery: WireMoney | None = None
    remarks: str | None = None


class RejectReason(BaseModel):
    """One reason a warehouse refused an order, worded for the seller; ``field`` is the
    dotted path in the outbound order (``lines[0].sku``) when one field is at fault."""

    model_config = _WIRE
    code: NonEmpty
    message: NonEmpty
    field: str | None = None

    def __str__(self) -> str:
        where = f"{self.field}: " if self.field else ""
        return f"{where}{self.message} [{self.code}]"


class Accepted(BaseModel):
    model_config = _WIRE
    status: Literal["accepted"] = "accepted"
    idempotency_key: str
    warehouse_order_id: PlatformId
    accepted_at: Timestamp


class Rejected(BaseModel):
    model_config = _WIRE
    status: Literal["rejected"] = "rejected"
    idempotency_key: str
    reasons: Annotated[tuple[RejectReason, ...], AsTuple] = Field(min_length=1)


class WireInterceptResult(BaseModel):
    model_config = _WIRE
    idempotency_key: str
    warehouse_order_id: PlatformId | None = None
    outcome: Literal["succeeded", "too_late"]
    message: str | None = None
    decided_at: Timestamp


class WireCost(BaseModel):
    model_config = _WIRE
    kind: str
    amount: WireMoney


class WirePackage(BaseModel):
    model_config = _WIRE
    package_id: PlatformId | None = None
    carrier: NonEmpty
    service: str | None = None
    tracking_number: NonEmpty
    tracking_url: str | None = None
    weight_grams: Annotated[int, Field(ge=0, le=10**8)] | None = None
    lines: Annotated[tuple[PackageLine, ...], AsTuple]


class ShipmentConfirmedData(BaseModel):
    model_config = _WIRE
    idempotency_key: str
    warehouse_order_id: PlatformId
    shipment_id: PlatformId
    shipped_at: Timestamp
    packages: Annotated[tuple[WirePackage, ...], AsTuple] = Field(min_length=1)
    costs: Annotated[tuple[WireCost, ...], AsTuple] = ()


class OutboundCancelledData(BaseModel):
    model_config = _WIRE
    idempotency_key: str
    warehouse_order_id: PlatformId | None = None
    cancelled_at: Timestamp
    reason: RejectReason


class StockSnapshotData(BaseModel):
    model_config = _WIRE
    snapshot_id: NonEmpty
    taken_at: Timestamp
    complete: bool
    levels: Annotated[tuple[StockLevel, ...], AsTuple]


class StockSnapshotRows(BaseModel):
    """A ``stock.snapshot``'s data with its levels as sent, for the hub to read each on its
    own (a level it cannot read is set aside alone, never the snapshot)."""

    model_config = _WIRE
    snapshot_id: NonEmpty
    taken_at: Timestamp
    complete: bool
    levels: list[Any]


class WarehouseStockLevel(BaseModel):
    """One level of a ``GET /stock`` page: a SKU's count at one of the WMS's warehouses."""

    model_config = _WIRE
    warehouse: NonEmpty
    sku: NonEmpty
    on_hand: NonNegativeQty
    available: NonNegativeQty | None = None
    external_id: PlatformId | None = None


class StockPage(BaseModel):
    """One page of ``GET /stock``; ``next_cursor`` None on the last page."""

    model_config = _WIRE
    taken_at: Timestamp
    levels: Annotated[tuple[WarehouseStockLevel, ...], AsTuple]
    next_cursor: NonEmpty | None


class StockPageRows(BaseModel):
    """A ``GET /stock`` page with its levels as sent, for the hub to read each on its own
    (a level it cannot read is set aside alone, never the page)."""

    model_config = _WIRE
    taken_at: Timestamp
    levels: list[Any]
    next_cursor: NonEmpty | None


class CallbackEnvelope(BaseModel):
    model_config = _WIRE
    event_id: NonEmpty
    type: CallbackType
    occurred_at: Timestamp
    warehouse: NonEmpty
    data: dict[str, object]


class WarehouseCallback(BaseModel):
    """A parsed callback: its envelope plus the canonical thing it reports."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)
    event_id: str
    type: CallbackType
    occurred_at: datetime
    warehouse: str
    #: a ``stock.snapshot``'s levels are handed over as sent (SnapshotRows)
    payload: Shipment | InterceptResult | SnapshotRows
