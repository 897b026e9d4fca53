"""The product library: local SKUs (single, combo, kit), units of measure, optional SPU.

Stock is always counted in the base unit of a *single*. A *combo* is virtual: a recipe of
singles x qty with no stock of its own. A *kit* is physical and pre-packed with its own stock;
its components matter only for assembly and disassembly.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, model_validator

from channelhub.core.money import Money
from channelhub.core.types import VALUE_CONFIG, AsTuple, PositiveQty, SkuCode


class SkuKind(StrEnum):
    """What a local SKU is: the shelf unit, a virtual bundle, or a physical pre-packed set."""

    SINGLE = "single"
    COMBO = "combo"
    KIT = "kit"


class Component(BaseModel):
    """One ingredient of a combo or kit: ``qty`` base units of ``sku``."""

    model_config = VALUE_CONFIG

    sku: SkuCode
    qty: PositiveQty


class UnitOfMeasure(BaseModel):
    """A handling unit of a single, e.g. a case of 24: converted at the edge, never stored."""

    model_config = VALUE_CONFIG

    name: str = Field(min_length=1)
    base_units: PositiveQty
    barcode: str | None = None


class Sku(BaseModel):
    """A local stock keeping unit (库存产品)."""

    model_config = VALUE_CONFIG

    code: SkuCode
    kind: SkuKind = SkuKind.SINGLE
    title: str | None = None
    barcode: str | None = None  # GTIN / EAN / UPC on the item
    components: Annotated[tuple[Component, ...], AsTuple] = ()
    units: Annotated[tuple[UnitOfMeasure, ...], AsTuple] = ()
    spu: str | None = None
    attributes: dict[str, str] = Field(default_factory=dict)
    #: What one base unit cost the seller (purchase price), for profit; a combo has none of
    #: its own (it ships its components), a kit without one costs its components.
    cost: Money | None = None
    #: Cost delivered to the warehouse (purchase + freight + duty), in ``cost``'s currency;
    #: profit uses it instead of ``cost`` when set.
    landed_cost: Money | None = None

    @model_validator(mode="after")
    def _recipe_matches_kind(self) -> Sku:
        if self.kind is SkuKind.SINGLE and self.components:
            raise ValueError(f"SKU {self.code!r} is a single and cannot have components")
        if self.kind is not SkuKind.SINGLE and not self.components:
            raise ValueError(f"SKU {self.code!r} is a {self.kind.value} and needs components")
        codes = [c.sku for c in self.components]
        if self.code in codes:
            raise ValueError(f"SKU {self.code!r} lists itself as a component")
        if len(set(codes)) != len(codes):
            raise ValueError(f"SKU {self.code!r} lists a component twice")
        if self.units and self.kind is not SkuKind.SINGLE:
            raise ValueError(f"SKU {self.code!r}: units of measure belong to singles")
        self._cost_fits()
        return self

    def _cost_fits(self) -> None:
        if self.kind is SkuKind.COMBO and (self.cost or self.landed_cost):
            raise ValueError(f"SKU {self.code!r} is a combo: its cost is its components' costs")
        for money in (self.cost, self.landed_cost):
            if money is not None and money.amount < 0:
                raise ValueError(f"SKU {self.code!r}: cost {money} is negative")
        if self.landed_cost and self.cost and self.landed_cost.currency != self.cost.currency:
            raise ValueError(f"SKU {self.code!r}: landed cost and cost are in different currencies")

    @property
    def cost_currency(self) -> str | None:
        """The currency of the cost and landed cost (None: no cost set)."""
        money = self.cost or self.landed_cost
        return money.currency if money else None

    @property
    def is_virtual(self) -> bool:
        """A combo has no stock of its own: selling it reserves its components."""
        return self.kind is SkuKind.COMBO

    def to_base_units(self, qty: int, unit: str | None = None) -> int:
        """``qty`` of ``unit`` (None: the base unit) as base units."""
        if unit is None:
            return qty
        for uom in self.units:
            if uom.name == unit:
                return qty * uom.base_units
        raise ValueError(f"SKU {self.code!r} has no unit of measure {unit!r}")


class Spu(BaseModel):
    """An optional grouping of variant SKUs (size, colour) for display and bulk editing."""

    model_config = VALUE_CONFIG

    code: SkuCode
    title: str | None = None
    variant_axes: Annotated[tuple[str, ...], AsTuple] = ()
    skus: Annotated[tuple[SkuCode, ...], AsTuple] = ()
