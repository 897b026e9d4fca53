"""Warehouses and the stock ledger. Balances are summed from movements, never stored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from channelhub.store.base import Base, Timestamps


class WarehouseRow(Timestamps, Base):
    """A place that holds stock, served by a WMS account."""

    __tablename__ = "warehouses"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    region: Mapped[str | None] = mapped_column(String(100))
    account: Mapped[str | None] = mapped_column(String(100))
    external_id: Mapped[str | None] = mapped_column(String(255))
    #: When the hub last learned this warehouse's stock (set, imported or pulled). None: the
    #: hub does not know it, so no listing it serves may be pushed from it.
    stock_known_at: Mapped[datetime | None] = mapped_column()


class StockMovementRow(Base):
    """One ledger entry. ``dedupe_key`` (optional, unique) makes re-imports record nothing.

    ``sku`` has no foreign key on purpose: a warehouse reporting an unknown SKU is kept for
    reconciliation rather than refused.
    """

    __tablename__ = "stock_movements"
    __table_args__ = (
        # covering: balances, daily demand and receipts read the index alone, not the rows
        Index("ix_stock_movements_balance", "warehouse", "sku", "kind", "at", "quantity"),
        # covering too: the warehouse trend (consumed units and orders per day) reads no row
        Index("ix_stock_movements_kind_at", "kind", "at", "warehouse", "reference", "quantity"),
        CheckConstraint("quantity <> 0", name="quantity_nonzero"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    warehouse: Mapped[str] = mapped_column(
        ForeignKey("warehouses.code", ondelete="RESTRICT", onupdate="CASCADE")
    )
    sku: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(String(255), index=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    at: Mapped[datetime] = mapped_column()
    recorded_at: Mapped[datetime] = mapped_column()


class StockInTransitRow(Base):
    """Stock on its way to a warehouse (a purchase or a transfer), not yet received.

    Replenishment counts it as *in flight*; ``received_at`` is set when the goods arrive (the
    receipt itself is a ``receive`` movement in the ledger). ``reference`` (the seller's
    shipment or PO number) is unique, so recording the same shipment twice adds nothing.
    """

    __tablename__ = "stock_in_transit"
    __table_args__ = (
        Index("ix_stock_in_transit_open", "received_at", "sku", "warehouse"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(255), unique=True)
    warehouse: Mapped[str] = mapped_column(
        ForeignKey("warehouses.code", ondelete="RESTRICT", onupdate="CASCADE")
    )
    sku: Mapped[str] = mapped_column(String(128))
    quantity: Mapped[int] = mapped_column()
    mode: Mapped[str | None] = mapped_column(String(20))
    shipped_at: Mapped[datetime] = mapped_column()
    expected_at: Mapped[datetime | None] = mapped_column()
    received_at: Mapped[datetime | None] = mapped_column()
