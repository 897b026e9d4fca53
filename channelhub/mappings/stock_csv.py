"""Opening stock as CSV: one (warehouse, sku, on_hand) count per row.

Columns (header required, order free, extra columns refused so a typo is not silently lost):
``warehouse, sku, on_hand``. The file is read by the shared strict reader
(:func:`~channelhub.mappings.csv_table.read_csv_table`, as for the product library), so a quote
left open is that row's fault instead of swallowing the rest of the file. Faults are
:class:`~channelhub.mappings.csv_table.RowError` (row, column, value, why), so a seller fixes the
whole file in one pass. Nothing here touches the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from channelhub.mappings.csv_table import RowError, read_csv_table

COLUMNS: tuple[str, ...] = ("warehouse", "sku", "on_hand")


@dataclass(frozen=True)
class StockCountRow:
    """A row that parsed: set ``warehouse`` x ``sku`` to ``on_hand``."""

    row: int
    warehouse: str
    sku: str
    on_hand: int


@dataclass
class ParsedStock:
    """Every good row and every fault of one file."""

    rows: list[StockCountRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def parse_stock_csv(text: str) -> ParsedStock:
    """Every row of a stock CSV as a count, or a RowError; nothing raised for bad rows."""
    table = read_csv_table(text, COLUMNS, COLUMNS)
    result = ParsedStock(errors=list(table.errors))
    seen: dict[tuple[str, str], int] = {}
    for record in table.records:
        number = record.row
        cells = {column: value.strip() for column, value in record.cells.items()}
        error = _row_error(number, cells)
        if error is not None:
            result.errors.append(error)
            continue
        key = (cells["warehouse"], cells["sku"])
        if key in seen:
            result.errors.append(
                RowError(number, "sku", key[1], f"at {key[0]} already appears on row {seen[key]}")
            )
            continue
        seen[key] = number
        result.rows.append(StockCountRow(number, key[0], key[1], int(cells["on_hand"])))
    result.errors.sort(key=lambda e: e.row)
    return result


def _row_error(number: int, cells: dict[str, str]) -> RowError | None:
    for column in ("warehouse", "sku"):
        if not cells.get(column):
            return RowError(number, column, "", "is empty")
    on_hand = cells.get("on_hand", "")
    if not (on_hand.isascii() and on_hand.isdigit()) or len(on_hand) > 9:
        return RowError(number, "on_hand", on_hand[:200], "is not a whole number >= 0")
    return None
