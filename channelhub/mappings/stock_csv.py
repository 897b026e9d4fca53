"""Opening stock as CSV: one (warehouse, sku, on_hand) count per row.

Columns (header required, order free, extra columns refused so a typo is not silently lost):
``warehouse, sku, on_hand``. Faults are :class:`~channelhub.mappings.products_csv.RowError`
(row, column, value, why), as for the product library, so a seller fixes the whole file in one
pass. Every physical line is one row: a count never spans lines, so a quote left open is that
row's fault instead of swallowing the rest of the file. Nothing here touches the store.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field

from channelhub.mappings.products_csv import RowError

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


def _cells(line: str) -> list[str]:
    """One line's cells; csv.Error (an unterminated quote, a stray quote) propagates."""
    return next(csv.reader([line], strict=True), [])


def parse_stock_csv(text: str) -> ParsedStock:
    """Every row of a stock CSV as a count, or a RowError; nothing raised for bad rows."""
    result = ParsedStock()
    lines = text.lstrip("\ufeff").splitlines()
    try:
        header = [h.strip().lower() for h in _cells(lines[0])] if lines else []
    except csv.Error as exc:
        result.errors.append(RowError(0, "header", lines[0], f"is not CSV ({exc})"))
        return result
    unknown = [h for h in header if h not in COLUMNS]
    missing = [c for c in COLUMNS if c not in header]
    if unknown or missing:
        why = (
            f"is not a known column (known: {', '.join(COLUMNS)})"
            if unknown
            else f"lacks the column(s) {', '.join(missing)}"
        )
        result.errors.append(RowError(0, "header", ",".join(unknown or header), why))
        return result
    seen: dict[tuple[str, str], int] = {}
    for number, line in enumerate(lines[1:], start=1):
        if not line.strip():
            continue  # a blank line is not a count
        try:
            values = _cells(line)
        except csv.Error:
            result.errors.append(RowError(number, "row", line, "has a quote that is not closed"))
            continue
        if len(values) > len(header):
            extra = ",".join(values[len(header) :])
            result.errors.append(RowError(number, "row", extra, "has more cells than columns"))
            continue
        cells = dict(zip(header, (v.strip() for v in values), strict=False))
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
    return result


def _row_error(number: int, cells: dict[str, str]) -> RowError | None:
    for column in ("warehouse", "sku"):
        if not cells.get(column):
            return RowError(number, column, "", "is empty")
    on_hand = cells.get("on_hand", "")
    if not (on_hand.isascii() and on_hand.isdigit()):
        return RowError(number, "on_hand", on_hand, "is not a whole number >= 0")
    return None
