"""The money ledger's vocabulary: one line per amount a provider moved, in the hub's types.

Every provider (a channel's finances API, a warehouse's or carrier's invoices) reports money in
its own shape: Amazon a transaction with a breakdown tree, eBay a transaction with fee lines,
Shopify balance transactions, ShipBob invoice lines. Each mapping turns one provider record
into :class:`MoneyLine` values, one per component, so that profit and reconciliation are sums
over one table whatever the provider.

Identity: ``(account, provider_txn_id, component)`` is unique. ``provider_txn_id`` is the
provider's own id of the record; ``component`` names the part of it (a breakdown path, a fee
line's index and type). Re-importing the same record therefore never counts twice, and a
mapping must give the same components for the same record every time.

Sign convention: the seller's point of view. Money coming to the seller is positive
(principal, shipping charged, a released reserve), money going out negative (fees, labels,
refunds, a reserve held back). A ``payout`` line is the transfer to the seller's bank: negative
on the provider's balance (it leaves the balance), and the payout reconciliation checks that the
released lines it pays out sum to minus its amount.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any


class MoneySource(StrEnum):
    """Which kind of provider reported the line."""

    CHANNEL = "channel"
    WAREHOUSE = "warehouse"
    CARRIER = "carrier"


class MoneyType(StrEnum):
    """The hub's types of money movement (the provider's own type stays in the raw record)."""

    PRINCIPAL = "principal"
    SHIPPING_CHARGED = "shipping_charged"
    TAX_COLLECTED = "tax_collected"
    TAX_WITHHELD = "tax_withheld"
    CHANNEL_FEE = "channel_fee"
    FULFILMENT_FEE = "fulfilment_fee"
    WAREHOUSE_HANDLING = "warehouse_handling"
    STORAGE = "storage"
    LABEL = "label"
    ADVERTISING = "advertising"
    REFUND = "refund"
    CHARGEBACK = "chargeback"
    RESERVE = "reserve"
    PAYOUT = "payout"
    ADJUSTMENT = "adjustment"


class MoneyStatus(StrEnum):
    """Deferred: posted but not yet available to pay out; released: part of a payout's balance."""

    DEFERRED = "deferred"
    RELEASED = "released"


#: Types that are revenue of an order (before fees and costs).
REVENUE_TYPES = frozenset({MoneyType.PRINCIPAL, MoneyType.SHIPPING_CHARGED})
#: Types that are pass-through tax, neither revenue nor cost of the seller.
TAX_TYPES = frozenset({MoneyType.TAX_COLLECTED, MoneyType.TAX_WITHHELD})
#: Types that are costs not tied to one order unless the provider ties them (allocated).
PERIOD_COST_TYPES = frozenset({MoneyType.STORAGE, MoneyType.ADVERTISING})

#: Amounts are stored as integer millionths so sums are exact in SQL on every database.
MICROS = Decimal(1_000_000)


def to_micros(amount: Decimal) -> int:
    """An amount in millionths of its currency unit; refuses sub-micro precision silently lost."""
    scaled = amount * MICROS
    whole = int(scaled)
    if scaled != whole:
        raise ValueError(f"amount {amount} has more than 6 decimal places")
    return whole


def from_micros(micros: int) -> Decimal:
    """The Decimal amount of a stored millionths value."""
    return Decimal(micros) / MICROS


@dataclass(frozen=True)
class MoneyLine:
    """One amount one provider moved, typed by the hub and linked to what it concerns.

    ``order_ref`` is the channel's order id (the hub's ``orders.external_id`` on the account of
    the channel that sold it; for a warehouse or carrier line, the id of the channel order it
    served when the provider says so, else None). ``line_ref`` the channel line id, ``package_ref``
    the shipment or package id, ``payout_ref`` the provider's payout / settlement / transfer id.
    """

    source: MoneySource
    provider_txn_id: str
    component: str
    type: MoneyType
    amount: Decimal
    currency: str
    posted_at: datetime
    status: MoneyStatus = MoneyStatus.RELEASED
    order_ref: str | None = None
    order_channel: str | None = None  # the channel of order_ref when it is another account's
    line_ref: str | None = None
    package_ref: str | None = None
    payout_ref: str | None = None
    sku: str | None = None
    description: str = ""

    def __post_init__(self) -> None:
        if not self.provider_txn_id:
            raise ValueError("a money line needs the provider's transaction id")
        if len(self.currency) != 3:
            raise ValueError(f"currency {self.currency!r} is not an ISO 4217 code")
        if self.posted_at.tzinfo is None:
            raise ValueError("posted_at must carry its time zone")
        to_micros(self.amount)  # refuses what the ledger cannot hold exactly


@dataclass(frozen=True)
class ProviderRecord:
    """One record as the provider sent it, with the lines the mapping made of it.

    The raw payload is kept once per record (not per line), so any line can be traced back to
    what the provider said and a mapping fix can re-derive the lines by replay.
    """

    provider_txn_id: str
    kind: str  # the provider's record kind, e.g. "transaction", "payout", "invoice"
    payload: dict[str, Any]
    lines: tuple[MoneyLine, ...] = field(default=())


#: The provider record kind of a warehouse's fee record of one outbound order.
WAREHOUSE_FEES = "warehouse_fees"


@dataclass(frozen=True)
class WarehouseCharge:
    """One line of a warehouse's fee record for one outbound order, typed by the provider's
    mapping (its fee code -> a hub type; an unknown code is an adjustment naming it).

    ``amount`` is signed from the seller's view (a charge is negative); ``component`` names the
    line within the record, the same on every read of the same record."""

    component: str
    type: MoneyType
    amount: Decimal
    currency: str
    code: str
    description: str = ""


def warehouse_fee_record(
    *,
    record_id: str,
    payload: dict[str, Any],
    charges: tuple[WarehouseCharge, ...],
    posted_at: datetime,
    order_ref: str | None,
    order_channel: str | None,
    package_ref: str | None,
) -> ProviderRecord:
    """A warehouse's fee record of one outbound order as a ledger record: one line per charge,
    linked to the channel order the outbound served (``order_ref`` on ``order_channel``), so
    profit and the missing-warehouse-fee check find it. Every warehouse builds it the same way.
    """
    lines = tuple(
        MoneyLine(
            source=MoneySource.WAREHOUSE,
            provider_txn_id=record_id,
            component=charge.component,
            type=charge.type,
            amount=charge.amount,
            currency=charge.currency,
            posted_at=posted_at,
            order_ref=order_ref,
            order_channel=order_channel,
            package_ref=package_ref,
            description=charge.description or charge.code,
        )
        for charge in charges
    )
    return ProviderRecord(record_id, WAREHOUSE_FEES, payload, lines)
