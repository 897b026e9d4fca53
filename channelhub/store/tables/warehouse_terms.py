"""What a warehouse says about a SKU beyond stock: cartons.

``warehouse_cartons``: a SKU stocked in cartons of N units at a warehouse, and whether that
warehouse ships only whole cartons or breaks them into units (``channelhub warehouses
carton``). A warehouse's fees of an order go to the money ledger (``money_records`` +
``money_lines``, :mod:`channelhub.jobs.fulfilment.warehouse_extras`).
"""

from __future__ import annotations

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from channelhub.store.base import Base, Timestamps


class WarehouseCartonRow(Timestamps, Base):
    """One (warehouse, SKU) stocked in cartons; ``ships`` is ``cartons`` or ``units``."""

    __tablename__ = "warehouse_cartons"
    __table_args__ = (UniqueConstraint("warehouse", "sku"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    warehouse: Mapped[str] = mapped_column(String(64))
    sku: Mapped[str] = mapped_column(String(128))
    units_per_carton: Mapped[int] = mapped_column()
    ships: Mapped[str] = mapped_column(String(10))
