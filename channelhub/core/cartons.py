"""SKUs stocked in cartons (箱产品): what a warehouse can ship of them, in whole units.

Goods reach an overseas warehouse in cartons of N units. Some warehouses (or some SKUs at
them) never open a carton -- the stock is kept for FBA transfers or B2B and leaves only as
whole cartons; others break the cartons and ship units. The ledger always counts base units;
a :class:`CartonRule` says, per (warehouse, SKU), how those units may leave:

- ``ships=units``: every unit can ship (the carton size is informational);
- ``ships=cartons``: only whole cartons ship -- a line must be a multiple of N units, and a
  loose remainder on the shelf (a carton already opened, a count that is not a multiple of N)
  cannot be sent, so only ``floor(available / N) * N`` units are usable.

Allocation asks :func:`can_fill`; ``stock explain`` and the pushed quantity ask
:func:`usable_for_listing`; both explain themselves in words.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from pydantic import BaseModel, Field

from channelhub.core.types import VALUE_CONFIG


class CartonShipping(StrEnum):
    """How a warehouse lets a carton SKU leave."""

    CARTONS = "cartons"  # whole cartons only
    UNITS = "units"  # cartons are broken, units ship


class CartonRule(BaseModel):
    """One SKU stocked in cartons of ``units_per_carton`` at one warehouse."""

    model_config = VALUE_CONFIG

    warehouse: str = Field(min_length=1)
    sku: str = Field(min_length=1)
    units_per_carton: int = Field(ge=1, le=100_000)
    ships: CartonShipping = CartonShipping.UNITS

    @property
    def whole_cartons(self) -> bool:
        return self.ships is CartonShipping.CARTONS and self.units_per_carton > 1

    def usable(self, available: int) -> int:
        """The units of ``available`` that can actually leave the warehouse."""
        if not self.whole_cartons:
            return available
        return (max(available, 0) // self.units_per_carton) * self.units_per_carton

    def ships_quantity(self, quantity: int) -> bool:
        """Whether a line of ``quantity`` units can be shipped as the warehouse ships."""
        return not self.whole_cartons or quantity % self.units_per_carton == 0

    def describe(self) -> str:
        n = self.units_per_carton
        if self.whole_cartons:
            return f"{self.warehouse} ships {self.sku} only in whole cartons of {n}"
        return f"{self.warehouse} stocks {self.sku} in cartons of {n} and ships units"


CartonView = Mapping[tuple[str, str], CartonRule]
"""Carton rules by (warehouse, sku); a pair not listed ships units."""


def can_fill(
    need: Mapping[str, int],
    warehouse: str,
    stock: Mapping[tuple[str, str], int],
    cartons: CartonView,
) -> bool:
    """Whether ``warehouse`` can ship every (sku, units) of ``need`` from ``stock``."""
    for sku, quantity in need.items():
        have = stock.get((warehouse, sku), 0)
        rule = cartons.get((warehouse, sku))
        if rule is not None:
            if not rule.ships_quantity(quantity):
                return False
            have = rule.usable(have)
        if have < quantity:
            return False
    return True


def _refusal(rule: CartonRule | None, quantity: int, available: int) -> str | None:
    if rule is None or not rule.whole_cartons or available < quantity:
        return None
    if not rule.ships_quantity(quantity):
        return f"{rule.describe()}: {quantity} is not a multiple of {rule.units_per_carton}"
    return None  # a whole number of cartons within the units always fits: floor keeps it


def carton_refusal(
    warehouses: Iterable[str],
    sku: str,
    quantity: int,
    stock: Mapping[tuple[str, str], int],
    cartons: CartonView,
) -> str | None:
    """Why carton rules stop a line the warehouses have the units for, or None."""
    found = [
        why
        for w in warehouses
        if (why := _refusal(cartons.get((w, sku)), quantity, stock.get((w, sku), 0)))
    ]
    return "; ".join(found) or None


def usable_for_listing(rule: CartonRule | None, available: int, units_per_sale: int) -> int:
    """Units a listing selling ``units_per_sale`` base units at a time may count: all of
    ``available`` unless the warehouse ships whole cartons; then whole cartons only, and none
    when one sale is not a whole number of cartons (such a sale cannot leave that warehouse)."""
    if rule is None or not rule.whole_cartons:
        return available
    if units_per_sale % rule.units_per_carton:
        return 0
    return rule.usable(available)


def listing_note(rule: CartonRule | None, available: int, units_per_sale: int) -> str | None:
    """The words ``stock explain`` shows beside a balance a carton rule limits."""
    if rule is None:
        return None
    usable = usable_for_listing(rule, available, units_per_sale)
    if not rule.whole_cartons:
        return f"stocked in cartons of {rule.units_per_carton}, ships units"
    if usable == 0 and units_per_sale % rule.units_per_carton:
        return (
            f"ships whole cartons of {rule.units_per_carton} only: a sale of "
            f"{units_per_sale} cannot leave it, 0 counted"
        )
    return f"ships whole cartons of {rule.units_per_carton} only: {usable} counted"
