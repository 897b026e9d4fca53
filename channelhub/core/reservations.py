"""Reservations: the ledger movements that promise, withdraw and spend stock for an order.

Given balances and an allocation, :func:`reserve` returns the RESERVE movements, one per
allocated stock line, or none at all with the shortfalls named: an order is never half
reserved and a warehouse x SKU never promises more than it has available. Combos reserve their
components because allocation works on expanded lines. :func:`release` withdraws whatever is
still promised to an order (cancel, intercept, re-allocation); :func:`consume` spends it when
the warehouse ships. Movements carry ``reference`` = ``<order>#p<part>`` so every promise is
traceable, and the store applies them under a row lock (or serialised on SQLite).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel

from channelhub.core.allocation import AllocationDecision
from channelhub.core.errors import InvalidInput
from channelhub.core.memo import remember
from channelhub.core.stock import Balance, MovementKind, StockMovement
from channelhub.core.types import (
    MAX_TEXT,
    VALUE_CONFIG,
    AsTuple,
    copies_plainly,
    rebuilt,
    replaced,
)


class Shortfall(BaseModel):
    """A warehouse x SKU that cannot cover what an order needs."""

    model_config = VALUE_CONFIG

    warehouse: str
    sku: str
    wanted: int
    available: int

    def __str__(self) -> str:
        return f"{self.warehouse} has {self.available} x {self.sku} available, {self.wanted} needed"


class ReservationPlan(BaseModel):
    """The movements to write, or (when anything is short) none and every shortfall."""

    model_config = VALUE_CONFIG

    movements: Annotated[tuple[StockMovement, ...], AsTuple] = ()
    shortfalls: Annotated[tuple[Shortfall, ...], AsTuple] = ()

    @property
    def ok(self) -> bool:
        """True when every line could be reserved."""
        return not self.shortfalls

    def reason(self) -> str:
        """Why the plan failed, in one line (empty when it did not)."""
        return "; ".join(str(s) for s in self.shortfalls)


def part_reference(order_reference: str, part: int) -> str:
    """The ledger reference of one part of an order: ``shopify:shop1:1001#p2``."""
    return f"{order_reference}#p{part}"


#: What :func:`reserve` works out of one allocation's decisions at one time: the units each
#: (warehouse, sku) needs, sorted, and a plan it made, with each movement's part reference
#: less the order's (``#p<part>``: :func:`part_reference`) and the longest of those.
_Worked = tuple[tuple[tuple[tuple[str, str], int], ...], tuple[str, ...], int, ReservationPlan]


class Reservations:
    """What :func:`reserve` works out of an allocation's decisions alone, kept per decisions
    instance and time by a caller reserving many orders (the planner): allocation shares
    its decisions between orders shipping the same lines, and their movements differ only
    in their order's reference, so each is validated once and copied with the next order's
    reference (:func:`~channelhub.core.types.replaced`). Emptied when full
    (:func:`~channelhub.core.memo.remember`)."""

    __slots__ = ("_worked",)

    def __init__(self) -> None:
        # the decisions are kept in their entry, so no other tuple can take their id
        self._worked: dict[
            tuple[int, datetime], tuple[tuple[AllocationDecision, ...], _Worked]
        ] = {}

    def reserve(
        self,
        decisions: tuple[AllocationDecision, ...],
        balances: Mapping[tuple[str, str], Balance],
        *,
        reference: str,
        at: datetime,
    ) -> ReservationPlan:
        """:func:`reserve`, from what an earlier call worked out for the same ``decisions``
        and ``at`` when every unit is available and ``reference`` fits a movement."""
        key = (id(decisions), at)
        found = self._worked.get(key)
        if found is None or found[0] is not decisions:
            plan = _reserve(decisions, balances, reference=reference, at=at)
            if plan.ok and all(copies_plainly(x, "reference") for x in plan.movements):
                tails = tuple(part_reference("", d.part) for d in decisions for _ in d.lines)
                worked = (_needed(decisions), tails, max(map(len, tails), default=0), plan)
                remember(self._worked, key, (decisions, worked))
            return plan
        needed, tails, longest, made = found[1]
        for at_key, wanted in needed:
            balance = balances.get(at_key)
            if balance is None or wanted > balance.available:
                return _reserve(decisions, balances, reference=reference, at=at)  # shortfalls
        if len(reference) + longest > MAX_TEXT:  # a reference refused as validation refuses it
            return _reserve(decisions, balances, reference=reference, at=at)
        movements = []
        for tail, movement in zip(tails, made.movements, strict=True):
            values = movement.__dict__.copy()
            values["reference"] = reference + tail
            movements.append(rebuilt(movement, values))
        return replaced(made, movements=tuple(movements))


def reserve(
    decisions: Sequence[AllocationDecision],
    balances: Mapping[tuple[str, str], Balance],
    *,
    reference: str,
    at: datetime,
    memo: Reservations | None = None,
) -> ReservationPlan:
    """RESERVE movements for every allocated line, all or nothing. ``memo``: what a caller
    reserving many orders keeps (:class:`Reservations`; used for a tuple of decisions)."""
    if memo is not None and type(decisions) is tuple:
        return memo.reserve(decisions, balances, reference=reference, at=at)
    return _reserve(decisions, balances, reference=reference, at=at)


def _needed(decisions: Sequence[AllocationDecision]) -> tuple[tuple[tuple[str, str], int], ...]:
    """The units each (warehouse, sku) of ``decisions`` needs, in (warehouse, sku) order."""
    needed: dict[tuple[str, str], int] = {}
    for decision in decisions:
        for line in decision.lines:
            key = (decision.warehouse, line.sku)
            needed[key] = needed.get(key, 0) + line.quantity
    return tuple(sorted(needed.items()))


def _reserve(
    decisions: Sequence[AllocationDecision],
    balances: Mapping[tuple[str, str], Balance],
    *,
    reference: str,
    at: datetime,
) -> ReservationPlan:
    shortfalls = []
    for (warehouse, sku), wanted in _needed(decisions):
        balance = balances.get((warehouse, sku))
        available = balance.available if balance is not None else 0
        if wanted > available:
            shortfalls.append(
                Shortfall(warehouse=warehouse, sku=sku, wanted=wanted, available=available)
            )
    if shortfalls:
        return ReservationPlan(shortfalls=tuple(shortfalls))
    movements = []
    for decision in decisions:
        part = part_reference(reference, decision.part)
        for line in decision.lines:
            via = f" via {'/'.join(line.via)}" if line.via else ""
            movements.append(
                StockMovement(
                    warehouse=decision.warehouse,
                    sku=line.sku,
                    kind=MovementKind.RESERVE,
                    quantity=line.quantity,
                    reason=f"reserve for line {line.order_line_id}{via}",
                    reference=part,
                    at=at,
                )
            )
    return ReservationPlan(movements=tuple(movements))


def _belongs(movement: StockMovement, reference: str) -> bool:
    ref = movement.reference or ""
    return ref == reference or ref.startswith(reference + "#")


def open_reservations(
    ledger: Iterable[StockMovement], reference: str
) -> dict[tuple[str, str, str], int]:
    """Units still promised to ``reference`` (an order or one part), by (ref, warehouse, sku)."""
    held: dict[tuple[str, str, str], int] = {}
    for move in ledger:
        if not _belongs(move, reference):
            continue
        key = (move.reference or "", move.warehouse, move.sku)
        if move.kind is MovementKind.RESERVE:
            held[key] = held.get(key, 0) + move.quantity
        elif move.kind in (MovementKind.RELEASE, MovementKind.CONSUME):
            held[key] = held.get(key, 0) - move.quantity
    return {key: qty for key, qty in held.items() if qty > 0}


def release(
    ledger: Iterable[StockMovement], reference: str, *, at: datetime, reason: str
) -> tuple[StockMovement, ...]:
    """RELEASE movements for everything still promised to ``reference`` (cancel, intercept)."""
    return tuple(
        StockMovement(
            warehouse=warehouse,
            sku=sku,
            kind=MovementKind.RELEASE,
            quantity=qty,
            reason=reason,
            reference=ref,
            at=at,
        )
        for (ref, warehouse, sku), qty in sorted(open_reservations(ledger, reference).items())
    )


def consume(
    ledger: Iterable[StockMovement],
    reference: str,
    shipped: Mapping[tuple[str, str], int],
    *,
    at: datetime,
    reason: str = "shipped",
) -> tuple[StockMovement, ...]:
    """CONSUME movements for units shipped against ``reference``'s reservation.

    Shipping more than was reserved is refused: the warehouse shipped something the hub never
    promised, which reconciliation must look at rather than the ledger silently absorb.
    """
    held = open_reservations(ledger, reference)
    by_item: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for (ref, warehouse, sku), qty in sorted(held.items()):
        by_item.setdefault((warehouse, sku), []).append((ref, qty))
    out: list[StockMovement] = []
    for (warehouse, sku), qty in sorted(shipped.items()):
        if qty <= 0:
            continue
        available = sum(q for _, q in by_item.get((warehouse, sku), []))
        if qty > available:
            raise InvalidInput.field(
                f"shipped[{warehouse}, {sku}]",
                qty,
                f"exceeds the {available} reserved for {reference}",
            )
        left = qty
        for ref, held_qty in by_item.get((warehouse, sku), []):
            take = min(left, held_qty)
            if take:
                out.append(
                    StockMovement(
                        warehouse=warehouse,
                        sku=sku,
                        kind=MovementKind.CONSUME,
                        quantity=take,
                        reason=reason,
                        reference=ref,
                        at=at,
                    )
                )
            left -= take
    return tuple(out)
