"""Splitting an order (拆单) into parts, and joining the parts back, without losing a cent.

A split assigns every unit of every line to exactly one part. A part's lines keep the channel's
line id (fulfilment is reported per channel line) and carry their share of the line's money:
each part but the last gets amount x part qty / line qty rounded down to the currency's minor
unit, the last part gets the rest, so :func:`rejoin` gives back the original lines exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_DOWN, Decimal
from typing import Annotated

from pydantic import BaseModel, Field

from channelhub.core.codes import minor_units
from channelhub.core.errors import InvalidInput
from channelhub.core.money import Money
from channelhub.core.order import Order, OrderKey, OrderLine
from channelhub.core.types import VALUE_CONFIG, AsTuple, PositiveQty

_MONEY_FIELDS = ("total", "tax", "discount")


class PartLine(BaseModel):
    """``quantity`` units of the order line ``line_id`` in one part."""

    model_config = VALUE_CONFIG

    line_id: str
    quantity: PositiveQty


class SplitPart(BaseModel):
    """One part of a split order."""

    model_config = VALUE_CONFIG

    part: int = Field(ge=1)
    lines: Annotated[tuple[PartLine, ...], AsTuple] = Field(min_length=1)


class OrderSplit(BaseModel):
    """How an order is divided into parts, and why."""

    model_config = VALUE_CONFIG

    order: OrderKey
    parts: Annotated[tuple[SplitPart, ...], AsTuple] = Field(min_length=1)
    reason: str = Field(min_length=1)


def split_order(
    order: Order,
    assignment: Sequence[Sequence[tuple[str, int]]],
    *,
    reason: str,
    max_parts: int | None = None,
) -> OrderSplit:
    """Check that ``assignment`` (per part: (line id, qty) pairs) covers every unit once."""
    if max_parts is not None and len(assignment) > max_parts:
        raise InvalidInput.field("parts", len(assignment), f"exceeds the cap of {max_parts}")
    ordered = {line.line_id: line.quantity for line in order.lines}
    given: dict[str, int] = {}
    parts: list[SplitPart] = []
    for index, pairs in enumerate(assignment, start=1):
        if not pairs:
            raise InvalidInput.field(f"parts[{index}]", [], "has no lines")
        for line_id, qty in pairs:
            if line_id not in ordered:
                raise InvalidInput.field(
                    f"parts[{index}].line", line_id, "is not a line of the order"
                )
            if qty < 1:
                raise InvalidInput.field(f"parts[{index}].{line_id}", qty, "must be at least 1")
            given[line_id] = given.get(line_id, 0) + qty
        parts.append(
            SplitPart(part=index, lines=tuple(PartLine(line_id=i, quantity=q) for i, q in pairs))
        )
    for line_id, qty in ordered.items():
        if given.get(line_id, 0) != qty:
            raise InvalidInput.field(
                f"line {line_id}", given.get(line_id, 0), f"units assigned, but it has {qty}"
            )
    return OrderSplit(order=order.key, parts=tuple(parts), reason=reason)


def split_by_lines(order: Order, groups: Sequence[Sequence[str]], *, reason: str) -> OrderSplit:
    """A split that moves whole lines: each group of line ids becomes one part."""
    qty = {line.line_id: line.quantity for line in order.lines}
    return split_order(order, [[(i, qty.get(i, 0)) for i in g] for g in groups], reason=reason)


def part_lines(order: Order, split: OrderSplit) -> tuple[tuple[OrderLine, ...], ...]:
    """Each part's lines, with quantities, counts and money apportioned from the originals."""
    if split.order != order.key:
        raise InvalidInput.field("split.order", str(split.order), f"is not order {order.key}")
    shares: dict[str, list[int]] = {}
    for part in split.parts:
        for pl in part.lines:
            shares.setdefault(pl.line_id, []).append(pl.quantity)
    pieces = {line.line_id: _apportion(line, shares[line.line_id]) for line in order.lines}
    taken: dict[str, int] = {}
    out: list[tuple[OrderLine, ...]] = []
    for part in split.parts:
        lines: list[OrderLine] = []
        for pl in part.lines:
            k = taken.get(pl.line_id, 0)
            taken[pl.line_id] = k + 1
            lines.append(pieces[pl.line_id][k])
        out.append(tuple(lines))
    return tuple(out)


def rejoin(parts: Sequence[Sequence[OrderLine]]) -> tuple[OrderLine, ...]:
    """The original lines from the parts' lines: quantities, counts and money summed."""
    joined: dict[str, OrderLine] = {}
    for lines in parts:
        for line in lines:
            seen = joined.get(line.line_id)
            joined[line.line_id] = line if seen is None else _add(seen, line)
    return tuple(joined.values())


def _apportion(line: OrderLine, quantities: list[int]) -> list[OrderLine]:
    total_qty = line.quantity
    left_cancel, left_ship = line.cancelled_quantity, line.shipped_quantity
    left_money: dict[str, Decimal] = {
        f: m.amount for f in _MONEY_FIELDS if (m := getattr(line, f)) is not None
    }
    pieces: list[OrderLine] = []
    for index, qty in enumerate(quantities):
        last = index == len(quantities) - 1
        cancel = left_cancel if last else min(left_cancel, qty)
        ship = left_ship if last else min(left_ship, qty - cancel)
        left_cancel, left_ship = left_cancel - cancel, left_ship - ship
        update: dict[str, object] = {
            "quantity": qty,
            "cancelled_quantity": cancel,
            "shipped_quantity": ship,
        }
        for field, remaining in left_money.items():
            money: Money = getattr(line, field)
            share = remaining if last else _share(money, qty, total_qty)
            left_money[field] = remaining - share
            update[field] = Money(amount=share, currency=money.currency)
        pieces.append(line.model_copy(update=update))
    return pieces


def _share(money: Money, qty: int, total_qty: int) -> Decimal:
    step = Decimal(1).scaleb(-minor_units(money.currency))
    return (money.amount * qty / total_qty).quantize(step, rounding=ROUND_DOWN)


def _add(a: OrderLine, b: OrderLine) -> OrderLine:
    update: dict[str, object] = {
        "quantity": a.quantity + b.quantity,
        "cancelled_quantity": a.cancelled_quantity + b.cancelled_quantity,
        "shipped_quantity": a.shipped_quantity + b.shipped_quantity,
    }
    for field in _MONEY_FIELDS:
        x, y = getattr(a, field), getattr(b, field)
        if x is not None and y is not None:
            update[field] = x + y
    return a.model_copy(update=update)
