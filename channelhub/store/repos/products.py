"""The product library: SKUs with their components, upserted on the SKU code."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from channelhub.core.errors import InvalidInput, NotFound
from channelhub.core.products import Sku
from channelhub.core.settlement import from_micros, to_micros
from channelhub.store.repos._upsert import insert_for
from channelhub.store.tables.products import SkuComponentRow, SkuRow


def upsert_sku(session: Session, sku: Sku, *, now: datetime) -> int:
    """Create or replace a SKU and its recipe; components must already exist as SKUs."""
    codes = [component.sku for component in sku.components]
    known = set(session.scalars(select(SkuRow.code).where(SkuRow.code.in_(codes))))
    for code in codes:
        if code not in known:
            raise InvalidInput.field(
                f"SKU {sku.code!r} component", code, "is not a known SKU (add it first)"
            )
    values = {
        "kind": sku.kind.value,
        "title": sku.title,
        "barcode": sku.barcode,
        "spu": sku.spu,
        "units": [unit.model_dump(mode="json") for unit in sku.units],
        "attributes": dict(sku.attributes),
        **cost_columns(sku),
        "updated_at": now,
    }
    statement = insert_for(session, SkuRow.__table__).values(
        code=sku.code, created_at=now, **values
    )
    sku_id: int = session.execute(
        statement.on_conflict_do_update(index_elements=["code"], set_=values).returning(
            SkuRow.__table__.c.id
        )
    ).scalar_one()
    session.execute(delete(SkuComponentRow).where(SkuComponentRow.sku_id == sku_id))
    for component in sku.components:
        session.add(SkuComponentRow(sku_id=sku_id, component_code=component.sku, qty=component.qty))
    session.flush()
    session.expire_all()
    return sku_id


def get_sku(session: Session, code: str) -> Sku:
    """The canonical SKU ``code`` or :class:`NotFound`."""
    row = session.scalars(select(SkuRow).where(SkuRow.code == code)).one_or_none()
    if row is None:
        raise NotFound(f"SKU {code!r} is not in the product library")
    return sku_of_row(row, [{"sku": c.component_code, "qty": c.qty} for c in row.components])


def sku_of_row(row: Any, components: list[dict[str, Any]]) -> Sku:
    """The canonical SKU of a stored row (an ORM row, or the same columns read plainly) and
    its components (``{"sku", "qty"}``)."""
    return Sku.model_validate(
        {
            "code": row.code,
            "kind": row.kind,
            "title": row.title,
            "barcode": row.barcode,
            "spu": row.spu,
            "units": row.units,
            "attributes": dict(row.attributes or {}),
            "components": components,
            **cost_fields(row),
        },
        strict=False,
    )


def cost_columns(sku: Sku) -> dict[str, Any]:
    """A SKU's cost as the ``skus`` columns hold it (millionths of one currency)."""
    cost, landed = sku.cost, sku.landed_cost
    return {
        "cost_micros": to_micros(cost.amount) if cost else None,
        "landed_cost_micros": to_micros(landed.amount) if landed else None,
        "cost_currency": sku.cost_currency,
    }


def cost_fields(row: SkuRow) -> dict[str, Any]:
    """The ``cost``/``landed_cost`` model fields of a stored row (absent when unset)."""
    fields: dict[str, Any] = {}
    if row.cost_currency is None:
        return fields
    if row.cost_micros is not None:
        fields["cost"] = {"amount": from_micros(row.cost_micros), "currency": row.cost_currency}
    if row.landed_cost_micros is not None:
        fields["landed_cost"] = {
            "amount": from_micros(row.landed_cost_micros),
            "currency": row.cost_currency,
        }
    return fields
