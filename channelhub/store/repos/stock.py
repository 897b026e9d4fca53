"""Warehouses and the stock ledger: movements in, balances summed out.

The SQL sums here must agree with :meth:`channelhub.core.stock.StockMovement.deltas`;
a test folds the same ledger both ways.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from channelhub.core.errors import InvalidInput
from channelhub.core.geography import Origin
from channelhub.core.stock import Balance, MovementKind, StockMovement, Warehouse
from channelhub.store.listed import dialect_of, listed
from channelhub.store.plain import plain
from channelhub.store.repos._upsert import insert_for
from channelhub.store.repos.rollups import movement_sums, stock_rollup_add
from channelhub.store.tables.rollups import StockPositionRow
from channelhub.store.tables.stock import StockMovementRow, WarehouseRow

K = MovementKind
#: Why a movement for an unregistered warehouse is refused, and what to do (a WMS's own name
#: for a warehouse reaches the hub through reconciliation or a pull).
UNKNOWN_WAREHOUSE = (
    "is not a known warehouse (register it with `channelhub warehouses add CODE --country CC "
    "--account WMS_ACCOUNT`; give --external-id when the WMS names it differently)"
)


def upsert_warehouse(session: Session, warehouse: Warehouse, *, now: datetime) -> int:
    """Create or update a warehouse on its code."""
    values = {
        "name": warehouse.name,
        "country": warehouse.country,
        "region": warehouse.region,
        "account": warehouse.account,
        "external_id": warehouse.external_id,
        "updated_at": now,
    }
    statement = insert_for(session, WarehouseRow.__table__).values(
        code=warehouse.code, created_at=now, **values
    )
    warehouse_id: int = session.execute(
        statement.on_conflict_do_update(index_elements=["code"], set_=values).returning(
            WarehouseRow.__table__.c.id
        )
    ).scalar_one()
    session.expire_all()
    return warehouse_id


def warehouse_origins(session: Session) -> dict[str, Origin]:
    """Every warehouse's country and region: the distances allocation falls back on."""
    rows = session.execute(select(WarehouseRow.code, WarehouseRow.country, WarehouseRow.region))
    return {code: Origin(country, region) for code, country, region in rows}


def movement_row(
    movement: StockMovement, *, dedupe_key: str | None, now: datetime
) -> dict[str, Any]:
    """A movement's ledger row, as one record and the order pipeline's chunk write store it."""
    return {
        "warehouse": movement.warehouse,
        "sku": movement.sku,
        "kind": movement.kind.value,
        "quantity": movement.quantity,
        "reason": movement.reason,
        "reference": movement.reference,
        "dedupe_key": dedupe_key,
        "at": movement.at,
        "recorded_at": now,
    }


def record_movement(
    session: Session,
    movement: StockMovement,
    *,
    now: datetime,
    dedupe_key: str | None = None,
) -> bool:
    """Append one movement; with ``dedupe_key``, a second call with the same key adds nothing.

    Returns True when the movement was recorded (its SKU is then marked dirty for the stock
    push job). The warehouse must exist.
    """
    known = session.scalar(select(WarehouseRow.id).where(WarehouseRow.code == movement.warehouse))
    if known is None:
        raise InvalidInput.field("warehouse", movement.warehouse, UNKNOWN_WAREHOUSE)
    row = movement_row(movement, dedupe_key=dedupe_key, now=now)
    statement = (
        insert_for(session, StockMovementRow.__table__)
        .values(**row)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(StockMovementRow.__table__.c.id)
    )
    recorded = session.execute(statement).scalar_one_or_none() is not None
    if recorded:  # the stock push job pushes this SKU's listings again (debounced)
        stock_rollup_add(session, [row], dirty_at=now)  # its sums; its SKU marked dirty
    return recorded


def stock_balances(
    session: Session,
    *,
    warehouse: str | None = None,
    skus: Iterable[str] | None = None,
) -> dict[tuple[str, str], Balance]:
    """On hand and reserved per (warehouse, sku), summed from the ledger in the database."""
    q = StockMovementRow.quantity
    kind = StockMovementRow.kind
    on_hand_delta, reserved_delta = movement_sums(kind, q)
    on_hand, reserved = func.sum(on_hand_delta), func.sum(reserved_delta)
    query = select(StockMovementRow.warehouse, StockMovementRow.sku, on_hand, reserved).group_by(
        StockMovementRow.warehouse, StockMovementRow.sku
    )
    if warehouse is not None:
        query = query.where(StockMovementRow.warehouse == warehouse)
    if skus is not None:
        query = query.where(StockMovementRow.sku.in_(list(skus)))
    return {
        (wh, sku): Balance(warehouse=wh, sku=sku, on_hand=int(oh), reserved=int(rs))
        for wh, sku, oh, rs in session.execute(query)
    }


def positions(session: Session, skus: Iterable[str]) -> dict[tuple[str, str], Balance]:
    """On hand and reserved per (warehouse, sku) of ``skus``, read from ``stock_position``:
    the ledger's running sums, kept by every ledger write in its own statement
    (:func:`~channelhub.store.repos.rollups.stock_rollup_add`), so reading them costs the same
    with ten movements or ten million. Equal to :func:`stock_balances` (a test folds both)."""
    wanted = sorted(set(skus))
    if not wanted:
        return {}
    rows = plain(session).execute(_positions(dialect_of(session)), {"skus": wanted})
    return {
        (wh, sku): Balance(warehouse=wh, sku=sku, on_hand=int(oh), reserved=int(rs))
        for wh, sku, oh, rs in rows
    }


@cache
def _positions(dialect: str) -> Select[str, str, int, int]:
    """:func:`positions`' statement for the SKUs ``:skus``, built once per database."""
    p = StockPositionRow
    return select(p.warehouse, p.sku, p.on_hand, p.reserved).where(
        p.warehouse.in_(select(WarehouseRow.code)), listed(p.sku, "skus", dialect)
    )  # on the (warehouse, sku) primary key


def movements(session: Session, *, warehouse: str, sku: str) -> list[StockMovement]:
    """The ledger of one warehouse x SKU, oldest first: the explanation of its balance."""
    rows = session.scalars(
        select(StockMovementRow)
        .where(StockMovementRow.warehouse == warehouse, StockMovementRow.sku == sku)
        .order_by(StockMovementRow.at, StockMovementRow.id)
    )
    return [
        StockMovement(
            warehouse=row.warehouse,
            sku=row.sku,
            kind=MovementKind(row.kind),
            quantity=row.quantity,
            reason=row.reason,
            reference=row.reference,
            at=row.at,
        )
        for row in rows
    ]


def mark_stock_known(session: Session, code: str, now: datetime) -> None:
    """Record that the hub now knows ``code``'s stock (set, imported or pulled).

    Until then no listing the warehouse serves is pushed from it (a push from an unknown
    position would zero the seller's listings).
    """
    found = session.execute(
        update(WarehouseRow)
        .where(WarehouseRow.code == code)
        .values(stock_known_at=now, updated_at=now)
        .returning(WarehouseRow.id)
    ).scalar_one_or_none()
    if found is None:
        raise InvalidInput.field("warehouse", code, "is not a known warehouse")


def set_on_hand(
    session: Session,
    warehouse: str,
    sku: str,
    on_hand: int,
    *,
    reason: str,
    now: datetime,
    reference: str | None = None,
) -> int:
    """Bring ``warehouse`` x ``sku`` to ``on_hand`` with one ADJUST movement of the difference.

    Returns the difference recorded (0: already there, nothing recorded). The balance is read
    from the ledger in this transaction, so the adjustment explains the new count.
    """
    if on_hand < 0:
        raise InvalidInput.field("on_hand", on_hand, "must be a whole number >= 0")
    current = stock_balances(session, warehouse=warehouse, skus=[sku]).get((warehouse, sku))
    difference = on_hand - (current.on_hand if current else 0)
    if difference == 0:
        return 0
    record_movement(
        session,
        StockMovement(
            warehouse=warehouse,
            sku=sku,
            kind=MovementKind.ADJUST,
            quantity=difference,
            reason=reason,
            reference=reference,
            at=now,
        ),
        now=now,
    )
    return difference
