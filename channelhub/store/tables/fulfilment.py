"""What goes to the warehouses and comes back: outbound orders, shipments, packages, tracking."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from channelhub.store.base import Base, Timestamps
from channelhub.store.types import JsonDocument


class OutboundOrderRow(Timestamps, Base):
    """An instruction to a warehouse; ``document`` is the canonical OutboundOrder."""

    __tablename__ = "outbound_orders"
    __table_args__ = (UniqueConstraint("order_key", "part", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    order_key: Mapped[str] = mapped_column(String(400), index=True)
    part: Mapped[int] = mapped_column()
    revision: Mapped[int] = mapped_column()
    warehouse: Mapped[str] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(20))
    warehouse_order_id: Mapped[str | None] = mapped_column(String(255))
    document: Mapped[dict[str, Any]] = mapped_column(JsonDocument)

    lines: Mapped[list[OutboundLineRow]] = relationship(
        cascade="all, delete-orphan", order_by="OutboundLineRow.id"
    )


class OutboundLineRow(Base):
    """One SKU to pick, traced back to its order line."""

    __tablename__ = "outbound_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    outbound_id: Mapped[int] = mapped_column(
        ForeignKey("outbound_orders.id", ondelete="CASCADE"), index=True
    )
    sku: Mapped[str] = mapped_column(String(128), index=True)
    quantity: Mapped[int] = mapped_column()
    order_line_id: Mapped[str | None] = mapped_column(String(255))


class ShipmentRow(Base):
    """A warehouse's confirmation that goods left, keyed by (warehouse, shipment_id)."""

    __tablename__ = "shipments"
    __table_args__ = (UniqueConstraint("warehouse", "shipment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    warehouse: Mapped[str] = mapped_column(String(64))
    shipment_id: Mapped[str] = mapped_column(String(255))
    outbound_key: Mapped[str] = mapped_column(String(200), index=True)
    warehouse_order_id: Mapped[str | None] = mapped_column(String(255))
    shipped_at: Mapped[datetime] = mapped_column()
    costs: Mapped[list[dict[str, Any]]] = mapped_column(JsonDocument, default=list)
    recorded_at: Mapped[datetime] = mapped_column()

    packages: Mapped[list[PackageRow]] = relationship(
        cascade="all, delete-orphan", order_by="PackageRow.id"
    )


class PackageRow(Base):
    """One parcel of a shipment; ``lines`` lists what it holds."""

    __tablename__ = "packages"
    __table_args__ = (UniqueConstraint("shipment_id", "tracking_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"))
    package_id: Mapped[str | None] = mapped_column(String(255))
    tracking_number: Mapped[str] = mapped_column(String(100), index=True)
    carrier: Mapped[str] = mapped_column(String(60))
    service: Mapped[str | None] = mapped_column(String(100))
    weight_grams: Mapped[int | None] = mapped_column()
    tracking_url: Mapped[str | None] = mapped_column(Text)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JsonDocument, default=list)


class TrackingEventRow(Base):
    """One normalised tracking event; the same scan reported twice is stored once."""

    __tablename__ = "tracking_events"
    __table_args__ = (
        UniqueConstraint("carrier", "tracking_number", "occurred_at", "raw_code"),
        Index("ix_tracking_events_number", "tracking_number", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_number: Mapped[str] = mapped_column(String(100))
    carrier: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(30))
    raw_code: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column()
    recorded_at: Mapped[datetime] = mapped_column()
