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
from channelhub.mappings.warehouse_stock import StockRows, WarehouseStock

SOURCE = "amazon_fba"


def _count(node: Wire | None, key: str) -> int | None:
    child = node.get(key) if node is not None else None
    return child.integer(maximum=strict.MAX_STOCK) if child is not None else None


#: where a getInventorySummaries page keeps its rows, and the row field naming its SKU
STOCK_ROWS = "payload.inventorySummaries"
STOCK_SKU = "sellerSku"


def inventory_rows(payload: object) -> tuple[list[object], str | None]:
    """The summaries of one page as sent (each read by :func:`stock_row`, so one bad summary
    is set aside alone) and its ``pagination.nextToken`` (None on the last page); a page
    whose own shape is wrong raises."""
    root = Wire(payload, "", SOURCE)
    summaries = root.req("payload").req("inventorySummaries")
    if not isinstance(summaries.value, list):
        raise summaries.fail("is not a list")
    pagination = root.get("pagination")
    token = pagination.opt_text("nextToken", 4096) if pagination is not None else None
    return list(summaries.value), token


def stock_level(row: object, where: str) -> StockLevel:
    """One inventory summary: on hand = available = its fulfillable quantity."""
    summary = Wire(row, where, SOURCE)
    sku = summary.req(STOCK_SKU).nonempty_text(strict.SKU_CHARS)
    details = summary.get("inventoryDetails")
    fulfillable = _count(details, "fulfillableQuantity")
    on_hand = fulfillable if fulfillable is not None else _count(summary, "totalQuantity")
    return build(
        StockLevel,
        source=SOURCE,
        sku=sku,
        on_hand=on_hand or 0,
        available=on_hand or 0,
        external_id=summary.opt_text("fnSku"),
    )


def stock_row(row: object, where: str) -> WarehouseStock:
    """One inventory summary as the stock pull reads it (see :func:`stock_level`)."""
    level = stock_level(row, where)
    return WarehouseStock(level.sku, level.on_hand, level.available or 0, 0)


#: a getInventorySummaries page, read row by row
STOCK = StockRows(STOCK_ROWS, STOCK_SKU, stock_row)
