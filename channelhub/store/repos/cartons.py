"""Carton rules per (warehouse, SKU). (What warehouses charge per order is in the money ledger:
:mod:`channelhub.jobs.fulfilment.warehouse_extras`.)"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from channelhub.core.cartons import CartonRule, CartonShipping
from channelhub.store.tables.warehouse_terms import WarehouseCartonRow


def carton_rules(
    session: Session, *, skus: Collection[str] | None = None
) -> dict[tuple[str, str], CartonRule]:
    """Every carton rule (of ``skus`` when given), by (warehouse, sku)."""
    query = select(WarehouseCartonRow)
    if skus is not None:
        query = query.where(WarehouseCartonRow.sku.in_(sorted(skus)))
    rules = (
        stored_rule(row.warehouse, row.sku, row.ships, row.units_per_carton)
        for row in session.scalars(query)
    )
    return {(rule.warehouse, rule.sku): rule for rule in rules}


def stored_rule(warehouse: str, sku: str, ships: str, units_per_carton: int) -> CartonRule:
    """The carton rule a ``warehouse_cartons`` row's columns store (also read with the other
    warehouse facts: :mod:`~channelhub.store.repos.warehouse_facts`)."""
    return CartonRule(
        warehouse=warehouse, sku=sku, units_per_carton=units_per_carton, ships=CartonShipping(ships)
    )


def set_carton_rule(session: Session, rule: CartonRule, *, now: datetime) -> bool:
    """Add or replace the rule of (warehouse, sku); True when it was new."""
    row = session.scalar(
        select(WarehouseCartonRow).where(
            WarehouseCartonRow.warehouse == rule.warehouse, WarehouseCartonRow.sku == rule.sku
        )
    )
    new = row is None
    if row is None:
        row = WarehouseCartonRow(warehouse=rule.warehouse, sku=rule.sku, created_at=now)
        session.add(row)
    row.units_per_carton = rule.units_per_carton
    row.ships = rule.ships.value
    row.updated_at = now
    session.flush()
    return new


def remove_carton_rule(session: Session, warehouse: str, sku: str) -> bool:
    """Drop the rule; False when there was none."""
    row = session.scalar(
        select(WarehouseCartonRow).where(
            WarehouseCartonRow.warehouse == warehouse, WarehouseCartonRow.sku == sku
        )
    )
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True
