"""The product library as CSV: one SKU per row, parsed into canonical Skus and written back.

Columns (header required, order free, extra columns refused so a typo is not silently lost):

    code, kind, title, barcode, components, units, spu, attributes,
    cost, cost_currency, landed_cost

``components`` is ``SKU-A*2;SKU-B*1`` (a bare ``SKU-A`` means one), ``units`` is
``case=24`` or ``case=24@BARCODE`` separated by ``;``, ``attributes`` is ``asin=B0..;color=red``.
``cost`` and ``landed_cost`` are a
base unit's purchase and landed cost (``12.50``) in ``cost_currency`` (``USD``), for profit.
Empty cells are absent values. The file is read by :mod:`channelhub.mappings.csv_table`
(strictly: an unclosed quote is a row error, never a code holding the rest of the line).
Every fault is reported as one :class:`RowError` (row, column, value, why) so a seller can
fix the whole file in one pass; nothing here touches the store.
:func:`format_products_csv` writes what :func:`parse_products_csv` reads (round trip).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from pydantic import ValidationError

from channelhub.core.catalog import Catalog
from channelhub.core.errors import InvalidInput, excerpt
from channelhub.core.products import Sku, SkuKind
from channelhub.mappings.csv_table import RowError, read_csv_table

__all__ = [
    "COLUMNS",
    "ParsedFile",
    "ParsedRow",
    "RowError",
    "check_references",
    "dependency_order",
    "format_products_csv",
    "parse_products_csv",
]

COLUMNS: tuple[str, ...] = (
    "code",
    "kind",
    "title",
    "barcode",
    "components",
    "units",
    "spu",
    "attributes",
    "cost",
    "cost_currency",
    "landed_cost",
)
REQUIRED: frozenset[str] = frozenset({"code"})
#: Which CSV column a model field's errors belong to.
_FIELD_COLUMN = {"code": "code", "kind": "kind", "title": "title", "barcode": "barcode"}
_FIELD_COLUMN |= {"components": "components", "units": "units", "spu": "spu"}
_FIELD_COLUMN |= {"attributes": "attributes", "cost": "cost", "landed_cost": "landed_cost"}


@dataclass(frozen=True)
class ParsedRow:
    """A row that parsed into a SKU."""

    row: int
    sku: Sku


@dataclass
class ParsedFile:
    """Every good row and every fault of one file."""

    rows: list[ParsedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def skus(self) -> list[Sku]:
        """The SKUs of the good rows, in file order."""
        return [r.sku for r in self.rows]


class _CellError(ValueError):
    def __init__(self, column: str, value: str, why: str) -> None:
        super().__init__(why)
        self.column, self.value, self.why = column, value, why


def _pairs(column: str, text: str, sep: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for item in (part.strip() for part in text.split(";")):
        if not item:
            continue
        name, found, value = item.partition(sep)
        if not found and sep == "*":
            name, value = item, "1"
        if not name.strip() or not value.strip():
            why = f"has an item {excerpt(item)} that is not NAME{sep}VALUE"
            raise _CellError(column, text, why)
        out.append((name.strip(), value.strip()))
    return out


def _positive(column: str, text: str, value: str) -> int:
    # isascii: str.isdigit() accepts '²', which int() then refuses; length: no pack holds 10^7.
    if not (value.isascii() and value.isdigit() and len(value) <= 6) or int(value) < 1:
        raise _CellError(
            column, text, f"has quantity {excerpt(value)}, which is not a whole number >= 1"
        )
    return int(value)


def _amount(column: str, text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise _CellError(column, text, "is not a decimal amount (12.50)") from None
    if not value.is_finite() or value < 0:
        raise _CellError(column, text, "is not an amount >= 0")
    return value


def _components(text: str) -> list[dict[str, object]]:
    return [
        {"sku": sku, "qty": _positive("components", text, qty)}
        for sku, qty in _pairs("components", text, "*")
    ]


def _units(text: str) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for name, rest in _pairs("units", text, "="):
        count, _, barcode = rest.partition("@")
        unit: dict[str, object] = {
            "name": name,
            "base_units": _positive("units", text, count.strip()),
        }
        if barcode.strip():
            unit["barcode"] = barcode.strip()
        out.append(unit)
    return out


def _row_to_sku(cells: Mapping[str, str]) -> Sku:
    def cell(name: str) -> str | None:
        return (cells.get(name) or "").strip() or None

    data: dict[str, object] = {"code": cell("code") or ""}
    kind = cell("kind")
    if kind is not None:
        if kind.lower() not in {k.value for k in SkuKind}:
            raise _CellError("kind", kind, "is not one of single, combo, kit")
        data["kind"] = kind.lower()
    for name in ("title", "barcode", "spu"):
        if (value := cell(name)) is not None:
            data[name] = value
    if (text := cell("components")) is not None:
        data["components"] = _components(text)
    if (text := cell("units")) is not None:
        data["units"] = _units(text)
    if (text := cell("attributes")) is not None:
        data["attributes"] = dict(_pairs("attributes", text, "="))
    currency = (cell("cost_currency") or "").upper()
    for name in ("cost", "landed_cost"):
        if (text := cell(name)) is not None:
            if not currency:
                raise _CellError("cost_currency", "", f"is needed with a {name}")
            data[name] = {"amount": _amount(name, text), "currency": currency}
    try:
        return Sku.model_validate(data, strict=False)
    except ValidationError as exc:
        error = exc.errors()[0]
        why = str(error["msg"]).removeprefix("Value error, ")
        top = str(error["loc"][0]) if error["loc"] else ""
        column = _FIELD_COLUMN.get(top) or _column_of(why)
        if top and top != column:
            why = f"{'.'.join(str(p) for p in error['loc'])}: {why}"
        raise _CellError(column, (cells.get(column) or "").strip(), why) from exc


def _column_of(why: str) -> str:
    """A whole-SKU rule (e.g. a combo without components) belongs to the cell it is about."""
    for column in ("units", "component"):
        if column in why:
            return column if column == "units" else "components"
    return "kind"


def parse_products_csv(text: str) -> ParsedFile:
    """Every row of a products CSV as a SKU, or a RowError; nothing raised for bad rows."""
    table = read_csv_table(text, COLUMNS, sorted(REQUIRED))
    result = ParsedFile(errors=list(table.errors))
    seen: dict[str, int] = {}
    for record in table.records:
        number = record.row
        try:
            sku = _row_to_sku(record.cells)
        except _CellError as exc:
            result.errors.append(RowError(number, exc.column, exc.value, exc.why))
            continue
        if sku.code in seen:
            result.errors.append(
                RowError(number, "code", sku.code, f"already appears on row {seen[sku.code]}")
            )
            continue
        seen[sku.code] = number
        result.rows.append(ParsedRow(number, sku))
    result.errors.sort(key=lambda e: e.row)
    return result


def check_references(rows: Sequence[ParsedRow], existing: Iterable[Sku]) -> list[RowError]:
    """Components that name no SKU (in the file or already stored), and recipe cycles."""
    errors: list[RowError] = []
    merged = {s.code: s for s in existing} | {r.sku.code: r.sku for r in rows}
    for row in rows:
        for component in row.sku.components:
            if component.sku not in merged:
                errors.append(
                    RowError(
                        row.row,
                        "components",
                        component.sku,
                        "is not a SKU in this file or in the product library",
                    )
                )
    if errors:
        return errors
    try:
        Catalog(merged.values())
    except InvalidInput as exc:  # what is left after the unknown components: a cycle
        problem = exc.problems[0]
        first = next((r.row for r in rows if f"{r.sku.code!r}" in problem), rows[0].row)
        cycle = problem.rsplit(": ", 1)[-1]
        errors.append(RowError(first, "components", cycle, "is a cycle of components"))
    return errors


def dependency_order(skus: Iterable[Sku]) -> list[Sku]:
    """SKUs with every component before the SKUs built from it (store order)."""
    pending = {s.code: s for s in skus}
    done: list[Sku] = []
    placed: set[str] = set()
    while pending:
        ready = [
            s
            for s in pending.values()
            if all(c.sku in placed or c.sku not in pending for c in s.components)
        ]
        if not ready:  # a cycle: check_references reports it; keep the rest in file order
            ready = list(pending.values())
        for sku in ready:
            done.append(sku)
            placed.add(sku.code)
            del pending[sku.code]
    return done


def format_products_csv(skus: Iterable[Sku]) -> str:
    """The CSV :func:`parse_products_csv` reads back to the same SKUs."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for sku in skus:
        writer.writerow(
            [
                sku.code,
                sku.kind.value,
                sku.title or "",
                sku.barcode or "",
                ";".join(f"{c.sku}*{c.qty}" for c in sku.components),
                ";".join(
                    f"{u.name}={u.base_units}" + (f"@{u.barcode}" if u.barcode else "")
                    for u in sku.units
                ),
                sku.spu or "",
                ";".join(f"{k}={v}" for k, v in sorted(sku.attributes.items())),
                sku.cost.amount if sku.cost else "",
                sku.cost_currency or "",
                sku.landed_cost.amount if sku.landed_cost else "",
            ]
        )
    return out.getvalue()
