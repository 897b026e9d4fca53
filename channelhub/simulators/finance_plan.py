"""Seeded settlement for the simulators: fees, a refund, a reserve, payouts, two injected errors.

Each channel simulator turns its own seeded orders into :class:`SeedOrder` values and asks
:func:`plan_finance` for what its finance API serves; it then renders the plan's events and
payouts in its provider's shape. One plan for every provider keeps the seeded data consistent
(the sale of an order the simulator serves, its fee, its payout) and the injected errors in the
same known places, so the reconciliations have something to find:

- **fee above schedule**: the second order (by placed time) is charged ``fee_rate + 0.10`` of
  its principal instead of ``fee_rate`` (``FinancePlan.fee_error_order``);
- **payout mismatch**: the last closed payout's amount is its released lines' sum plus
  ``PAYOUT_ERROR`` (1.00) (``FinancePlan.payout_error``); every other payout equals the sum of
  its released lines exactly.

Also seeded: the third order refunded in full two days after its sale (the fee refunded but a
20 % refund administration fee kept); a reserve held in the first closed payout (10 % of its
net, at least 5.00) and released in the second; events of the open period are deferred (no
payout yet). Payouts close every ``period_days`` (per currency); a period closes once it ended
a day before ``now``; what would post after ``now`` (less ten minutes) is left out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
PAYOUT_ERROR = Decimal("1.00")
FEE_ERROR_RATE = Decimal("0.10")
REFUND_ADMIN_SHARE = Decimal("0.20")
EPOCH = datetime(2020, 1, 6, tzinfo=UTC)  # a Monday: periods start on Mondays


#: Currencies without minor units (amounts in whole units).
WHOLE_UNITS = frozenset({"JPY", "KRW", "CLP", "VND"})


def cents(value: Decimal, currency: str = "USD") -> Decimal:
    quantum = Decimal(1) if currency in WHOLE_UNITS else CENT
    return value.quantize(quantum, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class SeedOrder:
    """What the finance plan needs of one seeded order (its first line stands for the order)."""

    order_id: str
    line_id: str
    sku: str
    placed_at: datetime
    currency: str
    principal: Decimal
    shipping: Decimal = Decimal(0)


@dataclass
class SeedEvent:
    """One money event: ``sale``, ``refund``, ``reserve_hold`` or ``reserve_release``.

    Amounts are signed from the seller's side; ``fee`` is negative on a sale, positive (the
    refunded part) on a refund. ``payout_id`` None: the event is deferred (open period).
    """

    event_id: str
    kind: str
    posted_at: datetime
    currency: str
    order: SeedOrder | None = None
    principal: Decimal = Decimal(0)
    shipping: Decimal = Decimal(0)
    fee: Decimal = Decimal(0)
    reserve: Decimal = Decimal(0)
    payout_id: str | None = None

    @property
    def net(self) -> Decimal:
        return self.principal + self.shipping + self.fee + self.reserve


@dataclass
class SeedPayout:
    """A transfer to the seller's bank: ``amount`` (positive) and the events it pays out."""

    payout_id: str
    currency: str
    period_start: datetime
    period_end: datetime
    amount: Decimal
    events: list[SeedEvent] = field(default_factory=list)

    @property
    def lines_total(self) -> Decimal:
        return sum((e.net for e in self.events), Decimal(0))


@dataclass
class FinancePlan:
    events: list[SeedEvent]
    payouts: list[SeedPayout]
    fee_error_order: str | None = None
    payout_error: str | None = None

    def in_window(self, after: datetime, before: datetime) -> list[SeedEvent]:
        return [e for e in self.events if after <= e.posted_at < before]

    def payouts_in_window(self, after: datetime, before: datetime) -> list[SeedPayout]:
        return [p for p in self.payouts if after <= p.period_end < before]


def _period(moment: datetime, days: int) -> tuple[datetime, datetime]:
    index = (moment - EPOCH) // timedelta(days=days)
    start = EPOCH + timedelta(days=days * index)
    return start, start + timedelta(days=days)


def plan_finance(
    orders: Iterable[SeedOrder],
    *,
    now: datetime,
    fee_rate: Decimal,
    prefix: str,
    period_days: int = 7,
) -> FinancePlan:
    """The settlement of ``orders`` as of ``now`` (see the module docstring)."""
    ordered = sorted(orders, key=lambda o: (o.placed_at, o.order_id))
    events: list[SeedEvent] = []
    plan = FinancePlan(events=events, payouts=[])
    for index, order in enumerate(ordered):
        rate = fee_rate + (FEE_ERROR_RATE if index == 1 else 0)
        if index == 1:
            plan.fee_error_order = order.order_id
        fee = -cents(order.principal * rate, order.currency)
        sale = SeedEvent(
            f"{prefix}S{index:05d}",
            "sale",
            order.placed_at + timedelta(hours=1),
            order.currency,
            order,
            principal=order.principal,
            shipping=order.shipping,
            fee=fee,
        )
        events.append(sale)
        if index == 2:
            events.append(
                SeedEvent(
                    f"{prefix}R{index:05d}",
                    "refund",
                    sale.posted_at + timedelta(days=2),
                    order.currency,
                    order,
                    principal=-order.principal,
                    shipping=-order.shipping,
                    fee=cents(-fee * (1 - REFUND_ADMIN_SHARE), order.currency),
                )
            )
    # what is posted in the last minutes before now is not served yet (providers post late)
    events[:] = [e for e in events if e.posted_at < now - timedelta(minutes=10)]
    closed_before = now - timedelta(days=1)
    groups: dict[tuple[str, datetime], list[SeedEvent]] = defaultdict(list)
    for event in events:
        start, end = _period(event.posted_at, period_days)
        if end <= closed_before:
            groups[(event.currency, start)].append(event)
    held: dict[str, Decimal] = {}
    for number, (currency, start) in enumerate(sorted(groups, key=lambda k: (k[1], k[0]))):
        paid = groups[(currency, start)]
        end = start + timedelta(days=period_days)
        payout_id = f"{prefix}P{number:04d}"
        moment = end - timedelta(seconds=1)
        if currency not in held:
            net = sum((e.net for e in paid), Decimal(0))
            amount = max(cents(net * Decimal("0.1"), currency), CENT * 500)
            held[currency] = amount
            paid.append(
                SeedEvent(
                    f"{prefix}H{number:04d}", "reserve_hold", moment, currency, reserve=-amount
                )
            )
        elif held[currency]:
            paid.append(
                SeedEvent(
                    f"{prefix}L{number:04d}",
                    "reserve_release",
                    moment,
                    currency,
                    reserve=held[currency],
                )
            )
            held[currency] = Decimal(0)
        for event in paid:
            event.payout_id = payout_id
        payout = SeedPayout(payout_id, currency, start, end, Decimal(0), paid)
        payout.amount = payout.lines_total
        plan.payouts.append(payout)
    events.extend(e for p in plan.payouts for e in p.events if e.kind.startswith("reserve"))
    events.sort(key=lambda e: (e.posted_at, e.event_id))
    if len(plan.payouts) >= 2:
        last = plan.payouts[-1]
        last.amount += PAYOUT_ERROR
        plan.payout_error = last.payout_id
    return plan
