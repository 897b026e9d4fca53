"""Carton rules per (warehouse, SKU) and the fees warehouses charged per outbound order."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from channelhub.core.cartons import CartonRule, CartonShipping
from channelhub.core.money import Money
from channelhub.store.tables.warehouse_terms import WarehouseCartonRow, WarehouseFeeRow


def carton_rules(
    session: Session, *, skus: Collection[str] | None = None
) -> dict[tuple[str, str], CartonRule]:
    """Every carton rule (of ``skus`` when given), by (warehouse, sku)."""
    query = select(WarehouseCartonRow)
    if skus is not None:
        query = query.where(WarehouseCartonRow.sku.in_(sorted(skus)))
    return {
        (row.warehouse, row.sku): CartonRule(
            warehouse=row.warehouse,
            sku=row.sku,
            units_per_carton=row.units_per_carton,
            ships=CartonShipping(row.ships),
        )
        for row in session.scalars(query)
    }


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


def save_fees(
    session: Session,
    *,
    outbound_key: str,
    warehouse: str,
    warehouse_order_id: str | None,
    total: Money | None,
    raw: Mapping[str, Any],
    final: bool,
    now: datetime,
) -> bool:
    """Keep the latest fee record of one outbound order; True when it changed."""
    row = session.scalar(
        select(WarehouseFeeRow).where(WarehouseFeeRow.outbound_key == outbound_key)
    )
    if row is None:
        row = WarehouseFeeRow(outbound_key=outbound_key, warehouse=warehouse)
        session.add(row)
    changed = (
        row.raw != dict(raw) or row.final != final or row.total != (total.amount if total else None)
    )
    row.warehouse_order_id = warehouse_order_id
    row.currency = total.currency if total else None
    row.total = total.amount if total else None
    row.raw = dict(raw)
    row.final = final
    row.read_at = now
    session.flush()
    return changed


def fees_of(session: Session, outbound_key: str) -> WarehouseFeeRow | None:
    """The fee record of one outbound order (settlement reads ``raw`` and ``total``)."""
    return session.scalar(
        select(WarehouseFeeRow).where(WarehouseFeeRow.outbound_key == outbound_key)
    )
