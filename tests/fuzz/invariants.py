"""What every canonical object a mapping returns must satisfy, checked independently of the
models' own validators: the fuzz suite's oracle for "wrong data accepted".

A violation is returned as a sentence (an empty list means the object is sound). Checked on
every model reachable from the result: quantities whole and within bounds, amounts finite,
bounded, with few decimals and (for prices and totals) not negative, one currency per order,
texts bounded and free of Python reprs, ids in ASCII, instants aware and plausible.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from pydantic import BaseModel

from channelhub.core.money import Money
from channelhub.core.order import Order
from channelhub.core.strict import EARLIEST, LATEST, MAX_AMOUNT, MAX_PLACES, MAX_STOCK

TEXT_LIMIT = 5_000
#: Field names whose text is an identifier: ASCII, no spaces, short.
ID_FIELDS = {"external_id", "line_id", "order_id", "shipment_id", "parent_external_id"}
#: Money fields that are never negative on any platform the hub reads.
NON_NEGATIVE_MONEY = {"unit_price", "total", "subtotal", "shipping", "tax", "price", "cod_amount"}
_REPR_STARTS = ("{'", '{"', "['", '["', "[{", "({", "Decimal(")


def _money(value: Money, where: str, field: str) -> list[str]:
    problems: list[str] = []
    amount = value.amount
    if not amount.is_finite():
        return [f"{where}: amount {amount} is not finite"]
    if abs(amount) >= MAX_AMOUNT:
        problems.append(f"{where}: amount {amount:.3e} is not below {MAX_AMOUNT}")
    exponent = amount.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_PLACES + 2:
        problems.append(f"{where}: amount {amount} has {-exponent} decimal places")
    if field in NON_NEGATIVE_MONEY and amount < 0:
        problems.append(f"{where}: {field} {amount} is negative")
    return problems


def _text(value: str, where: str, field: str) -> list[str]:
    problems: list[str] = []
    if len(value) > TEXT_LIMIT:
        problems.append(f"{where}: text of {len(value):,} characters")
    if value.startswith(_REPR_STARTS):
        problems.append(f"{where}: {value[:40]!r} looks like a Python repr, not text")
    if field in ID_FIELDS and (not value.isascii() or not value.isprintable() or " " in value):
        problems.append(f"{where}: id {value[:40]!r} is not printable ASCII")
    if field in ID_FIELDS and not value:
        problems.append(f"{where}: empty id")
    return problems


def _walk(value: Any, where: str, field: str) -> list[str]:
    problems: list[str] = []
    if isinstance(value, Money):
        return _money(value, where, field)
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            problems += _walk(getattr(value, name), f"{where}.{name}", name)
        return problems
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            problems += _walk(getattr(value, item.name), f"{where}.{item.name}", item.name)
        return problems
    if isinstance(value, Enum):
        return problems
    if isinstance(value, str):
        return _text(value, where, field)
    if isinstance(value, bool):
        return problems
    if isinstance(value, int):
        if not -MAX_STOCK <= value <= MAX_STOCK:
            problems.append(f"{where}: a number of {value.bit_length()} bits is out of bounds")
        if "quantity" in field and value < 0:
            problems.append(f"{where}: quantity {value} is negative")
        return problems
    if isinstance(value, Decimal):
        if not value.is_finite() or abs(value) >= MAX_AMOUNT * 1000:
            problems.append(f"{where}: number {value} is out of bounds")
        return problems
    if isinstance(value, datetime):
        if value.tzinfo is None:
            problems.append(f"{where}: naive datetime")
        elif not EARLIEST <= value.astimezone(UTC) < LATEST:
            problems.append(f"{where}: {value.isoformat()} is not a plausible instant")
        return problems
    if isinstance(value, tuple | list):
        for index, item in enumerate(value):
            problems += _walk(item, f"{where}[{index}]", field)
        return problems
    if isinstance(value, dict):
        for key, item in value.items():
            problems += _walk(item, f"{where}[{key!r}]", str(key))
    return problems


def _order(order: Order, where: str) -> list[str]:
    problems: list[str] = []
    currency = order.totals.total.currency
    for index, line in enumerate(order.lines):
        for name in ("unit_price", "total", "tax", "discount"):
            money = getattr(line, name)
            if money is not None and money.currency != currency:
                problems.append(
                    f"{where}.lines[{index}].{name}: {money.currency} in a {currency} order"
                )
        if not 0 < line.quantity <= 100_000:
            problems.append(f"{where}.lines[{index}].quantity is out of 1..100000")
        if line.shipped_quantity + line.cancelled_quantity > line.quantity:
            problems.append(f"{where}.lines[{index}]: shipped + cancelled exceed ordered")
    if order.payment.cod_amount is not None and order.payment.cod_amount.currency != currency:
        problems.append(f"{where}.payment.cod_amount in another currency than the order")
    return problems


def violations(result: object, where: str = "result") -> list[str]:
    """Every invariant ``result`` (a model, or a list/tuple of them) breaks."""
    problems = _walk(result, where, "")
    items = result if isinstance(result, list | tuple) else [result]
    for index, item in enumerate(items):
        if isinstance(item, Order):
            problems += _order(item, f"{where}[{index}]")
    return problems
