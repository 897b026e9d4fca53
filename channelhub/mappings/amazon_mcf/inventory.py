"""getInventorySummaries (FBA inventory v1) -> the FBA warehouse's stock levels.

What the hub counts as on hand at FBA is ``inventoryDetails.fulfillableQuantity``: the units
Amazon can pick, pack and ship now (and so what MCF orders and Amazon's own orders draw on).
Units inbound, reserved, researching or unfulfillable are not sellable and are left out;
``reserved`` carries Amazon's ``totalReservedQuantity`` for the record. A summary without
details (``details=false``) falls back to ``totalQuantity``, which includes inbound units, so
the connector always asks with details.
"""

from __future__ import annotations

from channelhub.core import strict
from channelhub.core.validation import build
from channelhub.core.warehouse_reports import StockLevel
from channelhub.mappings.amazon._wire import Wire

SOURCE = "amazon_fba"


def _count(node: Wire | None, key: str) -> int | None:
    child = node.get(key) if node is not None else None
    return child.integer(maximum=strict.MAX_STOCK) if child is not None else None


def stock_levels(payload: object) -> tuple[list[StockLevel], str | None]:
    """The levels of one page and its ``pagination.nextToken`` (None on the last page)."""
    root = Wire(payload, "", SOURCE)
    result = root.req("payload")
    levels = []
    for summary in result.req("inventorySummaries").items():
        sku = summary.req("sellerSku").nonempty_text(strict.SKU_CHARS)
        details = summary.get("inventoryDetails")
        fulfillable = _count(details, "fulfillableQuantity")
        on_hand = fulfillable if fulfillable is not None else _count(summary, "totalQuantity")
        levels.append(
            build(
                StockLevel,
                source=SOURCE,
                sku=sku,
                on_hand=on_hand or 0,
                available=on_hand or 0,
                external_id=summary.opt_text("fnSku"),
            )
        )
    pagination = root.get("pagination")
    token = pagination.opt_text("nextToken", 4096) if pagination is not None else None
    return levels, token
