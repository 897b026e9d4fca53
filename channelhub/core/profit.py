"""Per-order profit: which ledger types count as what, the fee schedules, the allocation rule.

Profit of an order, in the reporting currency:

    revenue (principal + shipping charged) + refunds (negative)
    + channel fees + fulfilment (fulfilment fees, warehouse handling) + labels + other direct
    (every amount signed from the seller's view, so costs are negative)
    - product cost (what each line really shipped: pairing, then combos and kits expanded)
    = direct profit;   direct profit + allocated = profit.

Tax collected or withheld is pass-through (neither revenue nor cost); reserves and payouts
move cash, not profit. A period cost (storage, advertising, or any cost line the provider did
not tie to an order, e.g. a subscription) is *allocated*: spread over the month's orders by a
declared :class:`AllocationRule`, and always shown apart from the direct costs.

These are the rules; :mod:`channelhub.store.repos.profit` writes them as one SQL query.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from channelhub.core.codes import CURRENCIES
from channelhub.core.settlement import MoneyType

#: The columns of a profit row, in the order they print (amounts in the reporting currency).
BUCKETS = ("revenue", "refunds", "channel_fees", "fulfilment", "labels", "other")


class Bucket(StrEnum):
    """Where a ledger line tied to an order lands in its profit."""

    REVENUE = "revenue"
    REFUNDS = "refunds"
    CHANNEL_FEES = "channel_fees"
    FULFILMENT = "fulfilment"
    LABELS = "labels"
    OTHER = "other"
    TAX = "tax"  # pass-through: shown, never in profit
    CASH = "cash"  # reserve and payout: money moving, not earned or spent


BUCKET_OF: dict[MoneyType, Bucket] = {
    MoneyType.PRINCIPAL: Bucket.REVENUE,
    MoneyType.SHIPPING_CHARGED: Bucket.REVENUE,
    MoneyType.REFUND: Bucket.REFUNDS,
    MoneyType.CHARGEBACK: Bucket.REFUNDS,
    MoneyType.CHANNEL_FEE: Bucket.CHANNEL_FEES,
    MoneyType.FULFILMENT_FEE: Bucket.FULFILMENT,
    MoneyType.WAREHOUSE_HANDLING: Bucket.FULFILMENT,
    MoneyType.LABEL: Bucket.LABELS,
    MoneyType.STORAGE: Bucket.OTHER,
    MoneyType.ADVERTISING: Bucket.OTHER,
    MoneyType.ADJUSTMENT: Bucket.OTHER,
    MoneyType.TAX_COLLECTED: Bucket.TAX,
    MoneyType.TAX_WITHHELD: Bucket.TAX,
    MoneyType.RESERVE: Bucket.CASH,
    MoneyType.PAYOUT: Bucket.CASH,
}

#: Types that, when a line names no order, are a period cost to allocate (a subscription is a
#: channel fee without an order; revenue or a refund without an order is not a cost).
ALLOCATED_TYPES = frozenset(
    {
        MoneyType.STORAGE,
        MoneyType.ADVERTISING,
        MoneyType.CHANNEL_FEE,
        MoneyType.FULFILMENT_FEE,
        MoneyType.WAREHOUSE_HANDLING,
        MoneyType.LABEL,
        MoneyType.ADJUSTMENT,
    }
)


def types_in(bucket: Bucket) -> list[str]:
    """The ledger type values of one bucket (for the SQL's CASE)."""
    return sorted(t.value for t, b in BUCKET_OF.items() if b is bucket)


class AllocationRule(StrEnum):
    """How a month's period costs are shared among that month's orders.

    A channel account's period costs go to that account's orders, a warehouse's or carrier's
    to every order of the month (they serve every channel).
    """

    REVENUE = "revenue"  # by each order's share of the month's revenue
    UNITS = "units"  # by each order's share of the month's units sold
    ORDERS = "orders"  # evenly per order


class FeeSchedule(BaseModel):
    """What a channel is expected to charge per order: ``percent`` of the revenue (principal
    plus shipping) plus ``per_order``, in the order's currency; more than ``tolerance`` above
    it is reported (``fee_above_schedule``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    percent: Decimal = Field(ge=0, le=100)
    per_order: Decimal = Field(default=Decimal(0), ge=0)
    tolerance: Decimal = Field(default=Decimal("0.01"), ge=0)

    @field_validator("percent", "per_order", "tolerance", mode="before")
    @classmethod
    def _exact(cls, value: object) -> object:
        return Decimal(str(value)) if isinstance(value, float) else value  # 15.0 means 15

    def expected_fee(self, revenue: Decimal) -> Decimal:
        """The largest fee (positive) the schedule allows on ``revenue``."""
        return revenue * self.percent / 100 + self.per_order


class FinanceConfig(BaseModel):
    """Settlement and profit (``[finance]`` in config.toml): the reporting currency, how period
    costs are allocated, and each channel's expected fees (``[finance.fees.<channel>]``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    currency: str = "USD"  # every profit figure is converted to it (channelhub fx import)
    allocation: AllocationRule = AllocationRule.REVENUE  # storage, ads, subscriptions
    fees: dict[str, FeeSchedule] = Field(default_factory=dict)  # per channel (amazon, ebay ...)
    #: per warehouse platform, per the provider's fee name, the most one charge may be
    #: (``[finance.warehouse_fees.shipbob] "Per Pick Fee" = 2.50``)
    warehouse_fees: dict[str, dict[str, Decimal]] = Field(default_factory=dict)

    @field_validator("warehouse_fees", mode="before")
    @classmethod
    def _exact_fees(cls, value: object) -> object:
        if not isinstance(value, dict):
            return value
        return {
            platform: {
                name: Decimal(str(amount)) if isinstance(amount, float) else amount
                for name, amount in fees.items()
            }
            if isinstance(fees, dict)
            else fees
            for platform, fees in value.items()
        }

    @field_validator("currency", mode="before")
    @classmethod
    def _iso_currency(cls, value: object) -> object:
        text = value.strip().upper() if isinstance(value, str) else value
        if text not in CURRENCIES:
            raise ValueError("is not an ISO 4217 currency code (e.g. 'USD', 'EUR')")
        return text
