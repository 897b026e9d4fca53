"""One stock row of an overseas warehouse's inventory page, read by the strict rules.

WINIT and 4PX name their columns differently but mean the same four things; the connectors'
shared base (:mod:`channelhub.connectors.gateway_warehouse`) turns these rows into stock levels.
"""

from __future__ import annotations

from dataclasses import dataclass

from channelhub.core import strict


@dataclass(frozen=True)
class WarehouseStock:
    sku: str
    on_hand: int
    available: int
    reserved: int


def units(value: object, field: str, *, source: str) -> int:
    """A stock count: missing is 0, otherwise a whole number in 0..MAX_STOCK."""
    if value is None or value == "":
        return 0
    return strict.whole(value, field, maximum=strict.MAX_STOCK, source=source)
