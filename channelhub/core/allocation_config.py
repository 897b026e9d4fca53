"""Configuration of warehouse allocation (分仓), validated; the caller loads it from TOML.

Strategies compose: the allowed list narrows the warehouses, then the ranking strategies are
applied in the order given (the first that tells two warehouses apart decides), then the
fallback warehouses are tried when the preferred ones cannot ship the order. Costs are decimal
strings or integers, never floats.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from channelhub.core.codes import COUNTRIES, CURRENCIES
from channelhub.core.types import AsTuple

CONFIG = ConfigDict(frozen=True, extra="forbid")


class Strategy(StrEnum):
    """A way to rank warehouses that may ship an order."""

    WHOLE_ORDER = "whole_order"  # one warehouse that fills every line beats a split
    NEAREST = "nearest"  # smallest distance / zone to the destination
    CHEAPEST = "cheapest"  # lowest cost from the cost table
    PRIORITY = "priority"  # earliest in the priority list
    FASTEST = "fastest"  # earliest quoted arrival (a warehouse's live quote, e.g. MCF preview)


class AllowedWarehouses(BaseModel):
    """The warehouses one channel (or one account of it) may ship from."""

    model_config = CONFIG

    channel: str = Field(min_length=1)
    account: str | None = None
    warehouses: Annotated[tuple[str, ...], AsTuple] = Field(min_length=1)


class _Destination(BaseModel):
    model_config = CONFIG

    warehouse: str = Field(min_length=1)
    country: str
    region: str | None = None

    @field_validator("country")
    @classmethod
    def _iso(cls, value: str) -> str:
        if value not in COUNTRIES:
            raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code")
        return value


E = TypeVar("E", bound=_Destination)
V = TypeVar("V")


class ZoneEntry(_Destination):
    """Distance (or zone number) from a warehouse to a country, or one region of it."""

    distance: int = Field(ge=0)


class CostEntry(_Destination):
    """What shipping from a warehouse to a country (or region) costs, in the table's currency."""

    cost: Decimal = Field(ge=0)

    @field_validator("cost", mode="before")
    @classmethod
    def _no_float(cls, value: object) -> object:
        if isinstance(value, float):
            raise ValueError("write money as a string ('4.50'), not a float")
        return value


class SplitRule(BaseModel):
    """Lines whose SKU matches ship in a part of their own (batteries, oversize items)."""

    model_config = CONFIG

    name: str = Field(min_length=1)
    skus: Annotated[tuple[str, ...], AsTuple] = ()
    sku_pattern: str | None = None  # a regular expression the whole SKU code matches
    warehouse: str | None = None  # the part must ship from this warehouse

    @model_validator(mode="after")
    def _selects_something(self) -> SplitRule:
        if not self.skus and not self.sku_pattern:
            raise ValueError(f"split rule {self.name!r} needs skus or sku_pattern")
        if self.sku_pattern is not None:
            try:
                re.compile(self.sku_pattern)
            except re.error as exc:
                raise ValueError(f"sku_pattern {self.sku_pattern!r}: {exc}") from exc
        return self

    def selects(self, sku: str) -> bool:
        """Whether this rule takes a line of ``sku``."""
        if sku in self.skus:
            return True
        return self.sku_pattern is not None and re.fullmatch(self.sku_pattern, sku) is not None


class SplitPolicy(BaseModel):
    """Whether an order may ship in parts when no single warehouse can fill it, and how many."""

    model_config = CONFIG

    by_stock: bool = True
    max_parts: int = Field(default=2, ge=1)


class AllocationConfig(BaseModel):
    """Every allocation setting; defaults ship whole orders from the nearest warehouse."""

    model_config = CONFIG

    warehouses: Annotated[tuple[str, ...], AsTuple] = ()  # empty: every warehouse with stock
    allowed: Annotated[tuple[AllowedWarehouses, ...], AsTuple] = ()
    strategies: Annotated[tuple[Strategy, ...], AsTuple] = (
        Strategy.WHOLE_ORDER,
        Strategy.NEAREST,
        Strategy.CHEAPEST,
        Strategy.PRIORITY,
    )
    zones: Annotated[tuple[ZoneEntry, ...], AsTuple] = ()
    costs: Annotated[tuple[CostEntry, ...], AsTuple] = ()
    cost_currency: str = "USD"
    priority: Annotated[tuple[str, ...], AsTuple] = ()
    fallback: Annotated[tuple[str, ...], AsTuple] = ()
    split: SplitPolicy = SplitPolicy()
    split_rules: Annotated[tuple[SplitRule, ...], AsTuple] = ()

    @field_validator("cost_currency")
    @classmethod
    def _iso(cls, value: str) -> str:
        if value not in CURRENCIES:
            raise ValueError(f"{value!r} is not an ISO 4217 currency code")
        return value

    @field_validator("strategies")
    @classmethod
    def _once_each(cls, value: tuple[Strategy, ...]) -> tuple[Strategy, ...]:
        if len(set(value)) != len(value):
            raise ValueError("each strategy may be listed once")
        return value

    def allowed_for(self, channel: str, account: str) -> tuple[str, ...] | None:
        """The allow-list for an account (over its channel's); None when unrestricted."""
        for entry in self.allowed:
            if entry.channel == channel and entry.account == account:
                return entry.warehouses
        for entry in self.allowed:
            if entry.channel == channel and entry.account is None:
                return entry.warehouses
        return None

    def distance(self, warehouse: str, country: str, region: str | None) -> int | None:
        """The zone table's distance, a region entry over the country's; None when unknown."""
        return _lookup(self.zones, warehouse, country, region, lambda z: z.distance)

    def cost(self, warehouse: str, country: str, region: str | None) -> Decimal | None:
        """The cost table's cost, a region entry over the country's; None when unknown."""
        return _lookup(self.costs, warehouse, country, region, lambda c: c.cost)


def _lookup(
    table: Sequence[E],
    warehouse: str,
    country: str,
    region: str | None,
    get: Callable[[E], V],
) -> V | None:
    folded = (region or "").casefold()
    country_level: V | None = None
    for entry in table:
        if entry.warehouse != warehouse or entry.country != country:
            continue
        if entry.region is None:
            if country_level is None:
                country_level = get(entry)
        elif folded and entry.region.casefold() == folded:
            return get(entry)
    return country_level
