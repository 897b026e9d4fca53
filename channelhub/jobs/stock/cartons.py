"""Setting the carton rules of (warehouse, SKU): one by hand or many from a CSV.

A rule is checked against what the hub knows (the warehouse registered, the SKU in the
product library) before it is kept; a CSV with bad rows keeps nothing and names every row.
CSV columns: ``warehouse,sku,units_per_carton,ships`` (``ships``: ``cartons`` or ``units``,
default ``units``).
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from channelhub.core.cartons import CartonRule, CartonShipping
from channelhub.core.errors import ChannelhubError, InvalidInput
from channelhub.store.repos.cartons import remove_carton_rule, set_carton_rule
from channelhub.store.repos.warehouses import get_warehouse
from channelhub.store.tables.products import SkuRow

COLUMNS = ("warehouse", "sku", "units_per_carton", "ships")


def carton_rule(warehouse: str, sku: str, units: object, ships: str | None) -> CartonRule:
    """A rule from what a person typed; one clear line when a value is wrong."""
    choice = (ships or "units").strip().lower()
    if choice not in {c.value for c in CartonShipping}:
        raise InvalidInput.field("ships", ships, "must be 'cartons' or 'units'")
    text = str(units).strip()
    if not text.isdigit() or int(text) < 1:
        raise InvalidInput.field("units per carton", units, "must be a whole number of 1 or more")
    try:
        return CartonRule(
            warehouse=warehouse.strip(),
            sku=sku.strip(),
            units_per_carton=int(text),
            ships=CartonShipping(choice),
        )
    except ValidationError as error:
        raise InvalidInput([str(e["msg"]) for e in error.errors()]) from None


def _check(session: Session, rule: CartonRule) -> None:
    get_warehouse(session, rule.warehouse)
    if session.scalar(select(SkuRow.id).where(SkuRow.code == rule.sku)) is None:
        raise InvalidInput.field(
            "SKU", rule.sku, "is not in the product library (see `channelhub products import`)"
        )


def set_carton(session: Session, rule: CartonRule, *, now: datetime) -> bool:
    """Keep one rule (replacing the pair's earlier one); True when the pair was new."""
    _check(session, rule)
    return set_carton_rule(session, rule, now=now)


def drop_carton(session: Session, warehouse: str, sku: str) -> None:
    if not remove_carton_rule(session, warehouse, sku):
        raise InvalidInput.field("carton rule", f"{warehouse} {sku}", "does not exist")


def import_cartons(session: Session, text: str, *, now: datetime) -> int:
    """Every row of a cartons CSV, all or none; the number of rules kept."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS[:3] if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput([f"the CSV has no column {', '.join(missing)} (needs {COLUMNS})"])
    rules, problems = [], []
    for number, row in enumerate(reader, start=2):
        try:
            rule = carton_rule(
                row["warehouse"] or "", row["sku"] or "", row["units_per_carton"], row.get("ships")
            )
            _check(session, rule)
            rules.append(rule)
        except ChannelhubError as error:
            problems.append(f"row {number}: {error}")
    if problems:
        raise InvalidInput(problems, source="cartons CSV (nothing imported)")
    for rule in rules:
        set_carton_rule(session, rule, now=now)
    return len(rules)
