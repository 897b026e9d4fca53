"""Stock back-sync (库存同步): the sellable quantity of a listing, and every reason for it.

For a listing bound to ``multiplier`` x SKU, in this order:

1. per stock SKU (the SKU itself for a single or kit; a combo's components, recursively):
   available = sum over the allowed warehouses of max(on hand - reserved, 0);
2. the safety buffer is held back per stock SKU, in base units: pool = max(available - buffer, 0);
3. bundle units = min over stock SKUs of floor(pool / qty per unit) (a combo is as short as its
   shortest component; a kit counts only its own stock, never its loose components);
4. listing units = floor(bundle units / multiplier) (a 2-pack sells floor(n / 2));
5. x the channel's share, rounded down; 6. capped at the maximum; 7. 0 at or below the minimum.

Rules come from config: defaults, overridden per account (``"channel:account"``), overridden
per listing (its key, ``"channel:account:listing_id[/variation]"``); each field inherits
separately, and the explanation says which level set it. Pure: balances are passed in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import ROUND_DOWN, Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from channelhub.core.cartons import CartonView, listing_note, usable_for_listing
from channelhub.core.catalog import Catalog
from channelhub.core.products import SkuKind
from channelhub.core.stock import Balance
from channelhub.core.types import VALUE_CONFIG, AsTuple

_RULE_FIELDS = ("buffer", "share", "maximum", "minimum", "warehouses")


class StockRule(BaseModel):
    """Sellable-quantity settings; a field left out inherits from the level below."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    buffer: int | None = Field(default=None, ge=0)
    share: Decimal | None = Field(default=None, ge=0, le=1)
    maximum: int | None = Field(default=None, ge=0)
    minimum: int | None = Field(default=None, ge=0)
    warehouses: Annotated[tuple[str, ...], AsTuple] | None = None

    @field_validator("share", mode="before")
    @classmethod
    def _exact_share(cls, value: object) -> object:
        return Decimal(str(value)) if isinstance(value, float) else value  # 0.8 means 0.8


class StockRules(BaseModel):
    """Defaults, per-account and per-listing overrides; loaded from TOML by the caller."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    default: StockRule = StockRule()
    accounts: dict[str, StockRule] = Field(default_factory=dict)  # "channel:account"
    listings: dict[str, StockRule] = Field(default_factory=dict)  # listing key


class AppliedRule(BaseModel):
    """The settings in force for one listing, and the level that set each one."""

    model_config = VALUE_CONFIG

    buffer: int = 0
    share: Decimal = Decimal(1)
    maximum: int | None = None
    minimum: int = 0
    warehouses: Annotated[tuple[str, ...], AsTuple] | None = None
    sources: dict[str, str] = Field(default_factory=dict)  # field -> "default" / "account ..." ...


def effective_rule(rules: StockRules, *, channel: str, account: str, listing: str) -> AppliedRule:
    """Merge default < account < listing, field by field."""
    values: dict[str, object] = {}
    sources: dict[str, str] = {}
    levels = [
        ("default", rules.default),
        (f"account {channel}:{account}", rules.accounts.get(f"{channel}:{account}")),
        (f"listing {listing}", rules.listings.get(listing)),
    ]
    for label, rule in levels:
        if rule is None:
            continue
        for field in _RULE_FIELDS:
            value = getattr(rule, field)
            if value is not None:
                values[field] = value
                sources[field] = label
    return AppliedRule.model_validate({**values, "sources": sources}, strict=False)


class WarehouseStock(BaseModel):
    """One ledger balance looked at, and whether it counted."""

    model_config = VALUE_CONFIG

    warehouse: str
    sku: str
    on_hand: int
    reserved: int
    available: int
    counted: bool
    #: a carton rule limits what of ``available`` counts (:mod:`channelhub.core.cartons`)
    carton_note: str | None = None


class ComponentStock(BaseModel):
    """One stock SKU behind the listing: what is available, held back, and how many it makes."""

    model_config = VALUE_CONFIG

    sku: str
    per_unit: int
    available: int
    pool: int  # after the buffer
    units: int  # floor(pool / per_unit)


class SellableExplanation(BaseModel):
    """Every input of the formula, the rule that applied, each step, and the result."""

    model_config = VALUE_CONFIG

    listing: str
    bound_sku: str
    kind: SkuKind
    multiplier: int
    balances: Annotated[tuple[WarehouseStock, ...], AsTuple] = ()
    components: Annotated[tuple[ComponentStock, ...], AsTuple] = ()
    limiting_sku: str | None = None
    rule: AppliedRule
    steps: Annotated[tuple[str, ...], AsTuple] = ()
    quantity: int = Field(ge=0)

    def render(self) -> str:
        """A readable account of every unit, for ``channelhub stock explain``."""
        out = [
            f"listing {self.listing} -> {self.multiplier} x {self.bound_sku} ({self.kind.value})"
        ]
        for b in self.balances:
            flag = "" if b.counted else "  (not counted: warehouse not allowed)"
            flag += f"  ({b.carton_note})" if b.carton_note else ""
            out.append(
                f"  {b.warehouse} {b.sku}: on hand {b.on_hand} - reserved {b.reserved}"
                f" = {b.available}{flag}"
            )
        rule = self.rule
        for field in _RULE_FIELDS:
            out.append(
                f"  {field} = {getattr(rule, field)} ({rule.sources.get(field, 'built-in')})"
            )
        out.extend(f"  {step}" for step in self.steps)
        out.append(f"sellable: {self.quantity}")
        return "\n".join(out)


def sellable(
    *,
    listing: str,
    channel: str,
    account: str,
    sku: str,
    multiplier: int,
    catalog: Catalog,
    balances: Iterable[Balance],
    rules: StockRules,
    allowed_warehouses: Sequence[str] | None = None,
    cartons: CartonView | None = None,
) -> SellableExplanation:
    """The quantity to push for ``listing`` (bound to ``multiplier`` x ``sku``), explained.

    ``allowed_warehouses`` (from the allocation config) applies when no rule names warehouses.
    ``cartons``: a warehouse shipping a SKU only in whole cartons counts whole cartons, and
    nothing for a listing whose one sale is not whole cartons.
    """
    packs: CartonView = cartons or {}
    rule = effective_rule(rules, channel=channel, account=account, listing=listing)
    allowed = rule.warehouses if rule.warehouses is not None else allowed_warehouses
    needs = catalog.stock_units(sku)
    seen: list[WarehouseStock] = []
    available = dict.fromkeys(needs, 0)
    for b in sorted(balances, key=lambda x: (x.sku, x.warehouse)):
        if b.sku not in needs:
            continue
        counted = allowed is None or b.warehouse in allowed
        pack = packs.get((b.warehouse, b.sku))
        per_sale = needs[b.sku] * multiplier
        usable = usable_for_listing(pack, b.available, per_sale)
        seen.append(
            WarehouseStock(
                warehouse=b.warehouse,
                sku=b.sku,
                on_hand=b.on_hand,
                reserved=b.reserved,
                available=b.available,
                counted=counted,
                carton_note=listing_note(pack, b.available, per_sale),
            )
        )
        if counted:
            available[b.sku] += usable
    steps: list[str] = []
    components = []
    for stock_sku, per_unit in sorted(needs.items()):
        pool = max(available[stock_sku] - rule.buffer, 0)
        components.append(
            ComponentStock(
                sku=stock_sku,
                per_unit=per_unit,
                available=available[stock_sku],
                pool=pool,
                units=pool // per_unit,
            )
        )
        steps.append(
            f"{stock_sku}: available {available[stock_sku]} - buffer {rule.buffer} = {pool}"
            + (f"; / {per_unit} per unit = {pool // per_unit}" if per_unit != 1 else "")
        )
    limiting = min(components, key=lambda c: (c.units, c.sku))
    units = limiting.units
    if len(components) > 1:
        steps.append(f"bundle units = min over components = {units} (limited by {limiting.sku})")
    n = units // multiplier
    if multiplier != 1:
        steps.append(f"{units} / multiplier {multiplier}, rounded down = {n}")
    shared = int((Decimal(n) * rule.share).to_integral_value(rounding=ROUND_DOWN))
    if rule.share != 1:
        steps.append(f"{n} x share {rule.share}, rounded down = {shared}")
    n = shared
    if rule.maximum is not None and n > rule.maximum:
        steps.append(f"{n} capped at the maximum {rule.maximum}")
        n = rule.maximum
    if n <= rule.minimum and n > 0:
        steps.append(f"{n} is at or below the minimum {rule.minimum}: push 0")
        n = 0
    return SellableExplanation(
        listing=listing,
        bound_sku=sku,
        kind=catalog.get(sku).kind,
        multiplier=multiplier,
        balances=tuple(seen),
        components=tuple(components),
        limiting_sku=limiting.sku if len(components) > 1 else None,
        rule=rule,
        steps=tuple(steps),
        quantity=n,
    )
