"""The two settlement reconciliations: each order's money, and each payout, against the ledger.

**Order level** (one :class:`OrderMoney` per order, sums in the order's currency):

- ``revenue_mismatch``: the principal the channel paid differs from the order's lines
  (unit price x quantity not cancelled);
- ``shipping_mismatch``: the shipping it paid differs from the order's shipping charge;
- ``fee_above_schedule``: its fees exceed the channel's declared :class:`FeeSchedule`
  (percent of principal + shipping, plus per order, plus tolerance);
- ``refund_without_return``: money refunded on an order that is neither cancelled (in the hub,
  on the channel, or a line's cancelled quantity) nor refunded by the channel's own order;
- ``warehouse_fee_missing``: a merchant-fulfilled order the hub shipped that no warehouse
  charged (checked only when the ledger holds warehouse lines of the period: a seller who
  imports no warehouse invoices is not told every order lacks one).

**Warehouse charges** (one :class:`WarehouseCharge` per charge a warehouse billed): a charge
above the amount declared for its fee name (``[finance.warehouse_fees.<platform>]``) is
``fee_above_schedule`` too, named by the provider's transaction and the order it served.

**Payout level** (one :class:`PayoutSums` per payout): the released lines paid out in it sum
to minus its amount, else ``payout_mismatch`` with the lines listed; lines naming a payout the
ledger does not hold are ``payout_unmatched``. Nothing here is repaired automatically: a
person asks the provider (``review``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from channelhub.core.codes import minor_units
from channelhub.core.discrepancy import Discrepancy, DiscrepancyClass, Repair, RepairKind
from channelhub.core.profit import FeeSchedule

#: Differences smaller than this (in the currency's units) are rounding, not discrepancies.
ROUNDING = Decimal("0.01")
#: Lines listed with one payout discrepancy (the CLI lists all with ``finance payouts``).
LISTED_LINES = 50

_REVIEW = Repair(RepairKind.REVIEW, safe=False)


@dataclass(frozen=True)
class OrderMoney:
    """One order as the hub has it, with the ledger's sums tied to it (order currency).

    Ledger amounts are signed from the seller's view: fees and refunds are negative.
    ``other_currency_lines`` counts lines in another currency (their order checks are skipped:
    comparing needs no rate, and a guessed one would invent differences)."""

    channel: str
    account: str
    external_id: str
    currency: str
    cancelled: bool
    refunded_by_channel: bool
    shipped: bool
    merchant_fulfilled: bool
    expected_principal: Decimal
    expected_shipping: Decimal
    principal: Decimal
    shipping: Decimal
    channel_fees: Decimal
    refunds: Decimal
    channel_lines: int
    warehouse_lines: int
    other_currency_lines: int = 0
    #: the one currency all the channel lines are in when it is not the order's (the
    #: provider settles in the seller's currency): the sums above are then in it, and only
    #: the checks that need no rate (the fee against the revenue it was taken on) are made
    settled_in: str | None = None


def _amount(value: Decimal, currency: str) -> str:
    return f"{value.quantize(Decimal('0.01'))} {currency}"


def _found(
    kind: DiscrepancyClass, order: OrderMoney, hub: str | None, other: str | None, why: str
) -> Discrepancy:
    subject = {"channel": order.channel, "account": order.account, "external_id": order.external_id}
    return Discrepancy(kind, subject, hub, other, why, _REVIEW)


def check_order(
    order: OrderMoney, schedules: Mapping[str, FeeSchedule], *, warehouse_fees_expected: bool
) -> Iterator[Discrepancy]:
    """Every way ``order``'s money disagrees with the order and the channel's fee schedule."""
    c, name = order.currency, f"order {order.external_id}"
    same_currency = order.channel_lines and not order.other_currency_lines
    # a channel that reports the buyer's payment as one gross amount (eBay's and Shopify's
    # finances do: no shipping line) is checked on that amount: lines plus shipping
    gross = order.shipping == 0 and order.expected_shipping != 0
    expected = order.expected_principal + (order.expected_shipping if gross else 0)
    if same_currency:
        if abs(order.principal - expected) >= ROUNDING and not order.cancelled:
            what = "the lines and shipping come" if gross else "the lines come"
            yield _found(
                DiscrepancyClass.REVENUE_MISMATCH, order,
                _amount(expected, c), _amount(order.principal, c),
                f"{name}: {what} to {_amount(expected, c)}, the channel "
                f"paid {_amount(order.principal, c)} of principal",
            )  # fmt: skip
        if (
            not gross
            and abs(order.shipping - order.expected_shipping) >= ROUNDING
            and not order.cancelled
        ):
            yield _found(
                DiscrepancyClass.SHIPPING_MISMATCH, order,
                _amount(order.expected_shipping, c), _amount(order.shipping, c),
                f"{name}: the buyer was charged {_amount(order.expected_shipping, c)} of "
                f"shipping, the channel paid {_amount(order.shipping, c)}",
            )  # fmt: skip
    if same_currency or order.settled_in is not None:
        yield from _check_fee(order, schedules.get(order.channel), name)
    if order.refunds < 0 and not (order.cancelled or order.refunded_by_channel):
        yield _found(
            DiscrepancyClass.REFUND_WITHOUT_RETURN, order, None, _amount(-order.refunds, c),
            f"{name}: {_amount(-order.refunds, c)} refunded, but the order is not "
            "cancelled and the channel reports no refund or return on it",
        )  # fmt: skip
    if (
        warehouse_fees_expected
        and order.shipped
        and order.merchant_fulfilled
        and order.warehouse_lines == 0
    ):
        yield _found(
            DiscrepancyClass.WAREHOUSE_FEE_MISSING, order, "shipped", None,
            f"{name} was shipped, but no warehouse charged a fee for it (an invoice not imported "
            "yet, or a shipment the warehouse never billed)",
        )  # fmt: skip


def _check_fee(order: OrderMoney, schedule: FeeSchedule | None, name: str) -> Iterator[Discrepancy]:
    """The fee taken against the schedule, in the currency the channel's lines are in. The
    allowed fee is rounded as the provider rounds (to the currency's smallest unit: whole yen),
    so a fee rounded up is not a fee above schedule."""
    if schedule is None:
        return
    c = order.settled_in or order.currency
    quantum = Decimal(1).scaleb(-minor_units(c))
    allowed = schedule.expected_fee(order.principal + order.shipping)
    allowed = allowed.quantize(quantum, rounding=ROUND_HALF_UP)
    taken = -order.channel_fees
    if taken > allowed + schedule.tolerance:
        yield _found(
            DiscrepancyClass.FEE_ABOVE_SCHEDULE, order,
            _amount(allowed, c), _amount(taken, c),
            f"{name}: {order.channel} took {_amount(taken, c)} in fees, its schedule "
            f"({schedule.percent}% + {schedule.per_order}) allows {_amount(allowed, c)}",
        )  # fmt: skip


def check_orders(
    orders: Iterable[OrderMoney],
    schedules: Mapping[str, FeeSchedule],
    *,
    warehouse_fees_expected: bool,
) -> Iterator[Discrepancy]:
    """:func:`check_order` over a stream of orders."""
    for order in orders:
        yield from check_order(order, schedules, warehouse_fees_expected=warehouse_fees_expected)


@dataclass(frozen=True)
class WarehouseCharge:
    """One charge a warehouse billed (its amount signed from the seller's view: negative)."""

    platform: str
    account: str
    provider_txn_id: str
    fee: str  # the provider's fee name (e.g. ShipBob's "Per Pick Fee")
    amount: Decimal
    currency: str
    order_ref: str | None = None
    package_ref: str | None = None


def check_warehouse_fees(
    charges: Iterable[WarehouseCharge], schedules: Mapping[str, Mapping[str, Decimal]]
) -> Iterator[Discrepancy]:
    """A ``fee_above_schedule`` per charge above the amount declared for its fee name."""
    for charge in charges:
        allowed = schedules.get(charge.platform, {}).get(charge.fee)
        taken = -charge.amount
        if allowed is None or taken < allowed + ROUNDING:
            continue
        c = charge.currency
        subject = {"account": charge.account, "transaction": charge.provider_txn_id}
        served = f" (order {charge.order_ref})" if charge.order_ref else ""
        yield Discrepancy(
            DiscrepancyClass.FEE_ABOVE_SCHEDULE, subject, _amount(allowed, c), _amount(taken, c),
            f"{charge.platform} charged {_amount(taken, c)} of {charge.fee!r} in "
            f"{charge.provider_txn_id}{served}, its schedule allows {_amount(allowed, c)}",
            _REVIEW,
        )  # fmt: skip


@dataclass(frozen=True)
class PayoutLine:
    """One ledger line of a payout, as listed with its discrepancy."""

    provider_txn_id: str
    component: str
    type: str
    amount: Decimal
    currency: str
    order_ref: str | None

    def __str__(self) -> str:
        order = f" order {self.order_ref}" if self.order_ref else ""
        what = f"{self.provider_txn_id}/{self.component} {self.type}"
        return f"{what} {self.amount} {self.currency}{order}"


@dataclass(frozen=True)
class PayoutSums:
    """One payout (or a payout id lines name but the ledger lacks: ``amount`` None)."""

    account: str
    payout: str
    currency: str
    amount: Decimal | None  # the payout line's amount (negative: it leaves the balance)
    released: Decimal  # the released lines paid out in it
    lines: int
    posted: str = ""
    listed: Sequence[PayoutLine] = field(default_factory=tuple)

    @property
    def difference(self) -> Decimal | None:
        """What the lines and the payout disagree by (0: it reconciles)."""
        return None if self.amount is None else self.released + self.amount

    @property
    def reconciles(self) -> bool:
        return self.difference is not None and abs(self.difference) < ROUNDING


def check_payouts(payouts: Iterable[PayoutSums]) -> Iterator[Discrepancy]:
    """A discrepancy per payout that does not sum, and per payout id no payout line has."""
    for p in payouts:
        if p.reconciles:
            continue
        subject = {"account": p.account, "payout": p.payout}
        shown = tuple(str(line) for line in p.listed[:LISTED_LINES])
        if p.amount is None:
            yield Discrepancy(
                DiscrepancyClass.PAYOUT_UNMATCHED, subject, None, shown,
                f"{p.lines} released line(s) of {_amount(p.released, p.currency)} name payout "
                f"{p.payout}, which the ledger does not hold (not imported, or another account's)",
                _REVIEW,
            )  # fmt: skip
            continue
        paid = -p.amount
        yield Discrepancy(
            DiscrepancyClass.PAYOUT_MISMATCH, subject, _amount(p.released, p.currency), shown,
            f"payout {p.payout} paid {_amount(paid, p.currency)}, its {p.lines} released line(s) "
            f"sum to {_amount(p.released, p.currency)}: {_amount(p.released - paid, p.currency)} "
            "unexplained",
            _REVIEW,
        )  # fmt: skip
