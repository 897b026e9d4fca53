"""Where every unit on the shelf went, for one sellable-quantity explanation.

``channelhub stock explain`` promises to account for every unit: for each stock SKU behind a
listing, the units on hand in every warehouse are split into named parts — reserved,
in warehouses the channel may not sell from, the safety buffer, loose units short of a whole
bundle, units beyond the shortest component, the multipack remainder, the share kept from
the channel, the cap, the minimum — and what is pushed. The parts always add up to the units
on hand; a part that came out negative would mean the formula and its explanation disagree,
and is reported by :attr:`UnitAccount.consistent`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from channelhub.core.sellable import SellableExplanation


@dataclass(frozen=True)
class UnitAccount:
    """The units of one stock SKU, in base units: ``sum(parts) == on_hand``."""

    sku: str
    per_listing_unit: int  # base units of this SKU one listing unit sells
    on_hand: int
    parts: tuple[tuple[str, int], ...]  # (what, units); the last one is "pushed"

    @property
    def total(self) -> int:
        return sum(units for _, units in self.parts)

    @property
    def consistent(self) -> bool:
        """The parts add up to on hand and none is negative."""
        return self.total == self.on_hand and all(units >= 0 for _, units in self.parts)

    def render(self) -> str:
        lines = [f"  {self.sku}: {self.on_hand} on hand, {self.per_listing_unit} per listing unit"]
        lines.extend(f"    {units:>8}  {what}" for what, units in self.parts if units)
        lines.append(f"    {self.total:>8}  total ({'adds up' if self.consistent else 'MISMATCH'})")
        return "\n".join(lines)


def account_for_units(explanation: SellableExplanation) -> tuple[UnitAccount, ...]:
    """Split each stock SKU's on-hand units into the reasons they are, or are not, pushed."""
    rule = explanation.rule
    components = explanation.components
    if not components:
        return ()
    bundles = min(c.units for c in components)
    listings = bundles // explanation.multiplier
    shared = int((Decimal(listings) * rule.share).to_integral_value(rounding=ROUND_DOWN))
    capped = shared if rule.maximum is None else min(shared, rule.maximum)
    accounts = []
    for c in components:
        seen = [b for b in explanation.balances if b.sku == c.sku]
        counted = [b for b in seen if b.counted]
        base = c.per_unit * explanation.multiplier  # base units per listing unit
        parts = (
            ("reserved for orders (or short)", sum(b.on_hand - b.available for b in counted)),
            (
                "in warehouses this channel may not sell from",
                sum(b.on_hand for b in seen if not b.counted),
            ),
            ("safety buffer", c.available - c.pool),
            ("loose, short of one whole bundle", c.pool - c.units * c.per_unit),
            ("beyond the shortest component", (c.units - bundles) * c.per_unit),
            ("multipack remainder", (bundles - listings * explanation.multiplier) * c.per_unit),
            ("kept back by the channel share", (listings - shared) * base),
            ("over the maximum", (shared - capped) * base),
            ("at or below the minimum", (capped - explanation.quantity) * base),
            ("pushed", explanation.quantity * base),
        )
        accounts.append(
            UnitAccount(
                sku=c.sku,
                per_listing_unit=base,
                on_hand=sum(b.on_hand for b in seen),
                parts=parts,
            )
        )
    return tuple(accounts)
