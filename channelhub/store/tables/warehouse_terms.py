"""What a warehouse says about a SKU and an order beyond stock: cartons and fees.

``warehouse_cartons``: a SKU stocked in cartons of N units at a warehouse, and whether that
warehouse ships only whole cartons or breaks them into units (``channelhub warehouses
carton``). ``warehouse_fees``: legacy, no longer written or read -- a warehouse's fees of an
order now go to the money ledger (``money_records`` + ``money_lines``); an outbound billed
only here is simply read again by the next poll. Left for a later migration to drop.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from channelhub.store.base import Base, Timestamps
from channelhub.store.types import ExactDecimal, JsonDocument


class WarehouseCartonRow(Timestamps, Base):
    """One (warehouse, SKU) stocked in cartons; ``ships`` is ``cartons`` or ``units``."""

    __tablename__ = "warehouse_cartons"
    __table_args__ = (UniqueConstraint("warehouse", "sku"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    warehouse: Mapped[str] = mapped_column(String(64))
    sku: Mapped[str] = mapped_column(String(128))
    units_per_carton: Mapped[int] = mapped_column()
    ships: Mapped[str] = mapped_column(String(10))


class WarehouseFeeRow(Base):
    """Legacy (see the module): a warehouse's charges for one outbound order."""

    __tablename__ = "warehouse_fees"
    __table_args__ = (UniqueConstraint("outbound_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    outbound_key: Mapped[str] = mapped_column(String(200))
    warehouse: Mapped[str] = mapped_column(String(64), index=True)
    warehouse_order_id: Mapped[str | None] = mapped_column(String(255))
    currency: Mapped[str | None] = mapped_column(String(3))
    total: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    raw: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    final: Mapped[bool] = mapped_column()
    read_at: Mapped[datetime] = mapped_column()
