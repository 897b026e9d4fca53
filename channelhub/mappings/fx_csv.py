"""Exchange rates as CSV: ``date,currency,rate`` (1 currency = rate reporting currency).

    date,currency,rate
    2026-03-01,EUR,1.0834
    2026-03-01,GBP,1.2650

Each bad row is one :class:`RowError` (row, column, value, why); nothing touches the store.
A rate of the reporting currency itself is refused (it is 1 by definition).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from channelhub.core.fx import FxRate
from channelhub.mappings.csv_table import RowError, read_csv_table

COLUMNS = ("date", "currency", "rate")


@dataclass
class ParsedRates:
    """The good rows and every fault of one file."""

    rates: list[FxRate] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _rate(row: int, cells: dict[str, str], quote: str) -> FxRate | RowError:
    text = cells.get("date", "").strip()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return RowError(row, "date", text, "is not an ISO date (2026-03-01)")
    currency = cells.get("currency", "").strip().upper()
    if currency == quote:
        return RowError(row, "currency", currency, f"is the reporting currency (always 1 {quote})")
    text = cells.get("rate", "").strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        return RowError(row, "rate", text, "is not a decimal number (1.0834)")
    try:
        return FxRate(day=day, currency=currency, quote=quote, rate=value)
    except ValueError as exc:
        column = "rate" if "rate" in str(exc) else "currency"
        return RowError(row, column, text if column == "rate" else currency, str(exc))


def parse_rates_csv(text: str, *, quote: str) -> ParsedRates:
    """Every row of a rates file as an :class:`FxRate` to ``quote``, or a RowError."""
    table = read_csv_table(text, COLUMNS, list(COLUMNS))
    parsed = ParsedRates(errors=list(table.errors))
    seen: dict[tuple[str, date], int] = {}
    for record in table.records:
        result = _rate(record.row, record.cells, quote)
        if isinstance(result, RowError):
            parsed.errors.append(result)
            continue
        key = (result.currency, result.day)
        if key in seen:
            parsed.errors.append(
                RowError(record.row, "date", str(result.day), f"repeats row {seen[key]}")
            )
            continue
        seen[key] = record.row
        parsed.rates.append(result)
    parsed.errors.sort(key=lambda e: e.row)
    return parsed
