"""Reading a seller's CSV file into checked rows: the part every CSV import shares.

A header is required (column order free, names case-insensitive); a column the import does not
know is refused so a typo is not silently lost. Each data row comes back as its cells by
column, or as one :class:`RowError` (row, column, value, why): a row with more cells than
columns, or a quote that is never closed. The csv module, left to itself, lets an unclosed
quote swallow the rest of the file into one cell (a product whose code is the whole line);
here it is read strictly, the broken row is reported with the line it starts on, and reading
resumes on the next line so the other rows are still checked. Blank lines are skipped.
Nothing here knows what a row means (products, stock): each import maps the cells itself.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from channelhub.core.errors import excerpt

__all__ = ["CsvRecord", "CsvTable", "RowError", "read_csv_table"]


@dataclass(frozen=True)
class RowError:
    """One fault in one cell: the data row number (1 = first row after the header; 0 is the
    header itself)."""

    row: int
    column: str
    value: str
    why: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {excerpt(self.value)} {self.why}"


@dataclass(frozen=True)
class CsvRecord:
    """One data row: its number, the file line it starts on, and its cells by column (a
    column the row does not reach is ``""``)."""

    row: int
    line: int
    cells: dict[str, str]


@dataclass
class CsvTable:
    """The header (lower-cased), the readable rows and the faults, in file order. A header
    fault is the only error when the header cannot be used (no rows are read then)."""

    header: list[str] = field(default_factory=list)
    records: list[CsvRecord] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def header_failed(self) -> bool:
        return any(e.row == 0 for e in self.errors)


def read_csv_table(text: str, columns: Sequence[str], required: Sequence[str] = ()) -> CsvTable:
    """``text`` as rows of ``columns`` (``required`` must be in the header)."""
    table = CsvTable()
    lines = text.lstrip("\ufeff").splitlines(keepends=True)
    records = _records(lines)
    first = next(records, None)
    if first is None or isinstance(first[1], str):
        why = "has a quote that is never closed" if first else "is empty: a header is required"
        table.errors.append(RowError(0, "header", lines[0].rstrip("\r\n") if lines else "", why))
        return table
    header = [h.strip().lower() for h in first[1]]
    unknown = [h for h in header if h not in columns]
    missing = [c for c in required if c not in header]
    if unknown or missing or not any(header):
        why = (
            f"is not a known column (known: {', '.join(columns)})"
            if unknown
            else f"lacks the column(s) {', '.join(missing or list(required) or columns[:1])}"
        )
        table.errors.append(RowError(0, "header", ",".join(unknown or header), why))
        return table
    table.header = header
    for number, (line, cells) in enumerate(records, start=1):
        if isinstance(cells, str):
            table.errors.append(RowError(number, "row", cells, _UNCLOSED.format(line=line)))
        elif len(cells) > len(header):
            extra = ",".join(cells[len(header) :])
            table.errors.append(RowError(number, "row", extra, "has more cells than columns"))
        else:
            padded = [*cells, *[""] * (len(header) - len(cells))]
            table.records.append(CsvRecord(number, line, dict(zip(header, padded, strict=True))))
    return table


_UNCLOSED = (
    "has a quote that is never closed (line {line}); close it, or double a quote that is "
    'part of the text ("")'
)


def _records(lines: list[str]) -> Iterator[tuple[int, list[str] | str]]:
    """Non-blank records with the line each starts on; a record the csv module cannot read
    strictly comes back as the text of its first line, and reading resumes after that line."""
    start = 0
    while start < len(lines):
        reader = csv.reader(io.StringIO("".join(lines[start:])), strict=True)
        consumed = 0  # lines of this reader already returned as records
        try:
            for cells in reader:
                line = start + consumed + 1
                consumed = reader.line_num
                if any(cell.strip() for cell in cells):
                    yield line, cells
            return
        except csv.Error:
            broken = start + consumed
            yield broken + 1, lines[broken].rstrip("\r\n")
            start = broken + 1
