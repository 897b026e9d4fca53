"""Stock on its way to a warehouse: what replenishment counts as *in flight*.

Recording the same shipment (``reference``) twice adds nothing; receiving it closes it (the
goods themselves enter the ledger as a ``receive`` movement, recorded by the caller).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from channelhub.core.errors import InvalidInput
from channelhub.store.repos._upsert import insert_for
from channelhub.store.tables.stock import StockInTransitRow, WarehouseRow


def record_in_transit(
    session: Session,
    *,
    reference: str,
    warehouse: str,
    sku: str,
    quantity: int,
    shipped_at: datetime,
    expected_at: datetime | None = None,
    mode: str | None = None,
) -> bool:
    """Record goods sent to ``warehouse``; False when ``reference`` was already recorded."""
    if quantity <= 0:
        raise InvalidInput.field("quantity", str(quantity), "must be a positive number of units")
    known = session.scalar(select(WarehouseRow.id).where(WarehouseRow.code == warehouse))
    if known is None:
        # the ledger's repository says it (imported here: listing what is in transit needs
        # none of the ledger, whose rollup tables load both SQL dialects)
        from channelhub.store.repos.stock import UNKNOWN_WAREHOUSE

        raise InvalidInput.field("warehouse", warehouse, UNKNOWN_WAREHOUSE)
    statement = (
        insert_for(session, StockInTransitRow.__table__)
        .values(
            reference=reference, warehouse=warehouse, sku=sku, quantity=quantity,
            shipped_at=shipped_at, expected_at=expected_at, mode=mode,
        )
        .on_conflict_do_nothing(index_elements=["reference"])
        .returning(StockInTransitRow.__table__.c.id)
    )  # fmt: skip
    return session.execute(statement).scalar_one_or_none() is not None


def mark_received(session: Session, reference: str, *, at: datetime) -> bool:
    """Close an in-transit shipment; False when it is unknown or was already received."""
    result = session.execute(
        update(StockInTransitRow)
        .where(StockInTransitRow.reference == reference, StockInTransitRow.received_at.is_(None))
        .values(received_at=at)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def list_in_transit(session: Session, *, include_received: bool = False) -> list[StockInTransitRow]:
    """Shipments on their way (and, with ``include_received``, those already received),
    newest shipped first."""
    query = select(StockInTransitRow).order_by(
        StockInTransitRow.shipped_at.desc(), StockInTransitRow.id.desc()
    )
    if not include_received:
        query = query.where(StockInTransitRow.received_at.is_(None))
    return list(session.scalars(query))
