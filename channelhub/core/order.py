"""The canonical order: what every channel's order becomes after its mapping.

Identity is (channel, account, external id). ``channel_status`` keeps the channel's own word;
``channel_state`` is its normalised meaning; ``hub_status`` is the hub's own lifecycle.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, model_validator

from channelhub.core.errors import InvalidInput
from channelhub.core.lifecycle import HubStatus
from channelhub.core.money import Money
from channelhub.core.parties import Address, Buyer, Payment
from channelhub.core.types import (
    VALUE_CONFIG,
    AsTuple,
    ExternalId,
    NonNegativeQty,
    UtcDatetime,
)

#: Units of one listing on one order line (the mapping boundary refuses more: core/strict.py).
MAX_LINE_QUANTITY = 100_000

#: A tag: short text (a dict's repr is refused by the mappings before it gets here).
Tag = Annotated[str, StringConstraints(min_length=1, max_length=255)]


def _never_negative(owner: str, parts: dict[str, Money | None]) -> None:
    """Prices and totals are never negative on any platform the hub reads (refunds and
    discounts are kept as positive amounts of their own)."""
    for name, money in parts.items():
        if money is not None and money.amount < 0:
            raise ValueError(f"{owner}{name} {money} is negative")


class FulfilledBy(StrEnum):
    """Who ships the order: the seller (through the hub) or the channel itself (FBA, Temu)."""

    MERCHANT = "merchant"
    CHANNEL = "channel"


class ChannelOrderState(StrEnum):
    """The channel's status, normalised. Unknown channel words map to ``unknown``, kept raw."""

    PENDING = "pending"  # placed, not yet payable / confirmed
    UNSHIPPED = "unshipped"  # paid and waiting for the seller
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"


class OrderKey(BaseModel):
    """The natural key of an order."""

    model_config = VALUE_CONFIG

    channel: str
    account: str
    external_id: ExternalId

    def __str__(self) -> str:
        return f"{self.channel}:{self.account}:{self.external_id}"


@lru_cache(maxsize=4096)
def _key(channel: str, account: str, external_id: str) -> OrderKey:
    """The key of the order with these (validated) fields: one frozen instance serves every
    caller, since planning and storing one order ask for its key many times over."""
    return OrderKey(channel=channel, account=account, external_id=external_id)


def parse_order_key(text: str) -> OrderKey:
    """``CHANNEL:ACCOUNT:ORDER_ID`` as a person types it (the order id may itself contain ':')."""
    parts = text.split(":", 2)
    if len(parts) != 3 or not all(p.strip() for p in parts):
        raise InvalidInput.field("ORDER", text, "is not CHANNEL:ACCOUNT:ORDER_ID")
    return OrderKey(channel=parts[0], account=parts[1], external_id=parts[2])


class OrderLine(BaseModel):
    """One line as the channel sold it: a listing, a quantity and its price."""

    model_config = VALUE_CONFIG

    line_id: ExternalId
    listing_id: str | None = None  # ASIN, product id, item id: what pairing keys on
    variation_id: str | None = None
    channel_sku: str | None = None
    title: str | None = None
    quantity: Annotated[int, Field(gt=0, le=MAX_LINE_QUANTITY)]
    cancelled_quantity: NonNegativeQty = 0
    shipped_quantity: NonNegativeQty = 0
    unit_price: Money | None = None
    total: Money | None = None
    tax: Money | None = None
    discount: Money | None = None

    @model_validator(mode="after")
    def _counts_fit(self) -> OrderLine:
        _never_negative(
            f"line {self.line_id}: ",
            {
                "unit price": self.unit_price,
                "total": self.total,
                "tax": self.tax,
                "discount": self.discount,
            },
        )
        if self.cancelled_quantity > self.quantity:
            raise ValueError(
                f"line {self.line_id}: cancelled quantity {self.cancelled_quantity} "
                f"exceeds ordered quantity {self.quantity}"
            )
        return self

    @property
    def open_quantity(self) -> int:
        """Units still to ship: ordered less cancelled less shipped (never negative)."""
        return max(self.quantity - self.cancelled_quantity - self.shipped_quantity, 0)


class OrderTotals(BaseModel):
    """The order's money, all in one currency."""

    model_config = VALUE_CONFIG

    subtotal: Money | None = None
    shipping: Money | None = None
    tax: Money | None = None
    discount: Money | None = None
    total: Money
    refunded: Money | None = None

    @model_validator(mode="after")
    def _one_currency(self) -> OrderTotals:
        parts = [self.subtotal, self.shipping, self.tax, self.discount, self.refunded]
        _never_negative(
            "totals: ",
            {
                "subtotal": self.subtotal,
                "shipping": self.shipping,
                "tax": self.tax,
                "discount": self.discount,
                "total": self.total,
                "refunded": self.refunded,
            },
        )
        others = {m.currency for m in parts if m is not None}
        if others - {self.total.currency}:
            raise ValueError(
                f"totals mix currencies: total is {self.total.currency}, others {sorted(others)}"
            )
        return self


class Order(BaseModel):
    """A sales order in canonical form."""

    model_config = VALUE_CONFIG

    channel: str
    account: str
    external_id: ExternalId
    parent_external_id: str | None = None  # Temu parent order, Shopify order for a split
    marketplace: str | None = None
    channel_status: str
    channel_state: ChannelOrderState = ChannelOrderState.UNKNOWN
    hub_status: HubStatus = HubStatus.NEW
    placed_at: UtcDatetime
    updated_at: UtcDatetime
    buyer: Buyer | None = None
    ship_to: Address | None = None
    payment: Payment = Field(default_factory=Payment)
    totals: OrderTotals
    lines: Annotated[tuple[OrderLine, ...], AsTuple] = Field(min_length=1)
    fulfilled_by: FulfilledBy = FulfilledBy.MERCHANT
    shipping_service: str | None = None  # the service level the buyer chose
    ship_by: UtcDatetime | None = None
    deliver_by: UtcDatetime | None = None
    remarks: str | None = None  # the buyer's note (a review rule looks at it)
    tags: Annotated[tuple[Tag, ...], AsTuple] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Order:
        currency = self.totals.total.currency
        cod = self.payment.cod_amount
        if cod is not None and cod.currency != currency:
            raise ValueError(
                f"order {self.external_id}: cash on delivery is in {cod.currency}, "
                f"the order in {currency}"
            )
        for line in self.lines:
            for name in ("unit_price", "total", "tax", "discount"):
                money = getattr(line, name)
                if money is not None and money.currency != currency:
                    raise ValueError(
                        f"line {line.line_id}: {name.replace('_', ' ')} is in {money.currency}, "
                        f"the order in {currency}"
                    )
        ids = [line.line_id for line in self.lines]
        if len(set(ids)) != len(ids):
            raise ValueError(f"order {self.external_id}: two lines share an id")
        if self.updated_at < self.placed_at:
            raise ValueError(
                f"order {self.external_id}: updated_at {self.updated_at.isoformat()} "
                f"is before placed_at {self.placed_at.isoformat()}"
            )
        return self

    @property
    def key(self) -> OrderKey:
        """The order's natural key."""
        return _key(self.channel, self.account, self.external_id)

    @property
    def currency(self) -> str:
        """The currency the order was paid in."""
        return self.totals.total.currency

    @property
    def is_channel_fulfilled(self) -> bool:
        """Orders fulfilled by the channel are imported for accounting, never dispatched."""
        return self.fulfilled_by is FulfilledBy.CHANNEL
