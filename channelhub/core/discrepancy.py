"""What reconciliation reports: one :class:`Discrepancy` per disagreement, with its repair.

Each discrepancy names its class, the subject it is about, both sides' values, one sentence
explaining it and the repair that fixes it. A repair is *safe* when applying it cannot lose or
double anything (backfilling an order by id, pushing the same fulfilment again under its
idempotency key); anything that needs judgement is only *proposed*.

These are plain frozen dataclasses rather than pydantic models because reconciliation streams
millions of rows and builds one of these only per disagreement; ``to_json`` gives the shape
the CLI prints and the store keeps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, TypeVar

from channelhub.core.errors import InvalidInput

#: A value either side reports: a status, a quantity, a list of tracking numbers, or nothing.
Value = str | int | tuple[str, ...] | None
#: Repair parameters are JSON-friendly scalars and string lists.
Parameter = str | int | tuple[str, ...]


class DiscrepancyClass(StrEnum):
    """Every kind of disagreement reconciliation finds."""

    ORDER_MISSING_IN_HUB = "order_missing_in_hub"
    CANCELLED_ON_CHANNEL = "cancelled_on_channel"  # the hub still treats it as active
    CANCELLED_IN_HUB = "cancelled_in_hub"  # the channel still treats it as active
    SHIPMENT_NOT_ON_CHANNEL = "shipment_not_on_channel"
    TRACKING_MISMATCH = "tracking_mismatch"
    WAREHOUSE_HIGHER = "warehouse_higher"
    LEDGER_HIGHER = "ledger_higher"
    STOCK_IN_FLIGHT = "stock_in_flight"  # explained by shipments not yet confirmed
    QUANTITY_EDITED_ON_CHANNEL = "quantity_edited_on_channel"
    # settlement (the money ledger against the orders and the payouts)
    REVENUE_MISMATCH = "revenue_mismatch"  # principal paid differs from the order's lines
    SHIPPING_MISMATCH = "shipping_mismatch"  # shipping paid differs from the order's
    FEE_ABOVE_SCHEDULE = "fee_above_schedule"  # the channel took more than its schedule
    REFUND_WITHOUT_RETURN = "refund_without_return"  # refunded, yet not cancelled or returned
    WAREHOUSE_FEE_MISSING = "warehouse_fee_missing"  # shipped, and no warehouse charged it
    PAYOUT_MISMATCH = "payout_mismatch"  # the released lines do not sum to the payout
    PAYOUT_UNMATCHED = "payout_unmatched"  # lines name a payout the ledger does not have


class RepairKind(StrEnum):
    """What would fix a discrepancy."""

    BACKFILL_ORDER = "backfill_order"  # fetch the order by id and store it
    CANCEL_ORDER = "cancel_order"  # cancel in the hub and release its reservations
    INTERCEPT_OUTBOUND = "intercept_outbound"  # ask the warehouse to stop it
    PUSH_FULFILMENT = "push_fulfilment"  # send the confirmed shipment to the channel again
    REVIEW = "review"  # a person must look: the sentence says what
    ADJUST_STOCK = "adjust_stock"  # an ADJUST movement of the difference
    PUSH_QUANTITY = "push_quantity"  # push the last decided quantity again
    NONE = "none"  # nothing to do: explained, it resolves by itself


@dataclass(frozen=True, slots=True)
class Repair:
    """The fix for one discrepancy; only ``safe`` ones are applied by ``--repair``."""

    kind: RepairKind
    safe: bool
    parameters: Mapping[str, Parameter] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind.value,
            "safe": self.safe,
            "parameters": {k: _jsonable(v) for k, v in self.parameters.items()},
        }


@dataclass(frozen=True, slots=True)
class Discrepancy:
    """One disagreement between the hub and a channel or warehouse."""

    discrepancy_class: DiscrepancyClass
    subject: Mapping[str, str]  # the keys that name it: external_id, or warehouse + sku, ...
    hub_value: Value
    other_value: Value
    explanation: str
    repair: Repair

    @property
    def subject_text(self) -> str:
        """The subject keys in one short string, e.g. ``DE-1/MUG``."""
        return "/".join(value for value in self.subject.values() if value)

    def to_json(self) -> dict[str, object]:
        return {
            "class": self.discrepancy_class.value,
            "subject": dict(self.subject),
            "hub_value": _jsonable(self.hub_value),
            "other_value": _jsonable(self.other_value),
            "explanation": self.explanation,
            "repair": self.repair.to_json(),
        }


def _jsonable(value: Value) -> object:
    return list(value) if isinstance(value, tuple) else value


K = TypeVar("K", str, tuple[str, str])
L = TypeVar("L")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Joined(Generic[K, L, R]):
    """One key of a merge join with the row from each side (None where a side lacks it)."""

    key: K
    left: L | None
    right: R | None


def _refuse(side: str, previous: object, current: object) -> InvalidInput:
    why = "repeats a key" if current == previous else f"comes after {previous!r}"
    return InvalidInput.field(f"{side} key", current, f"{why}: input must be sorted by key")


def merge_join(
    left: Iterable[L],
    right: Iterable[R],
    *,
    left_key: Callable[[L], K],
    right_key: Callable[[R], K],
    names: tuple[str, str] = ("left", "right"),
) -> Iterator[Joined[K, L, R]]:
    """Full outer join of two streams sorted by key, in key order, in constant memory.

    Both streams must be strictly ascending (unique keys) and hold no ``None`` rows; an
    unsorted or repeated key raises :class:`InvalidInput` naming the side, because a merge
    join over unsorted input would silently report wrong differences. (The loop is written
    out by hand: it runs once per row of a million-row reconciliation.)
    """
    lefts, rights = iter(left), iter(right)
    a, b = next(lefts, None), next(rights, None)
    a_key = left_key(a) if a is not None else None
    b_key = right_key(b) if b is not None else None
    while a is not None or b is not None:
        if b is None or (a is not None and a_key < b_key):  # type: ignore[operator]
            assert a is not None and a_key is not None
            yield Joined(a_key, a, None)
            a = next(lefts, None)
            if a is not None:
                key = left_key(a)
                if not a_key < key:
                    raise _refuse(names[0], a_key, key)
                a_key = key
            continue
        assert b_key is not None
        if a is None or b_key < a_key:  # type: ignore[operator]
            yield Joined(b_key, None, b)
        else:
            yield Joined(b_key, a, b)
            a = next(lefts, None)
            if a is not None:
                key = left_key(a)
                if not b_key < key:
                    raise _refuse(names[0], b_key, key)
                a_key = key
        b = next(rights, None)
        if b is not None:
            key = right_key(b)
            if not b_key < key:
                raise _refuse(names[1], b_key, key)
            b_key = key
