"""The product library: local SKUs (single, combo, kit), their components, optional SPUs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from channelhub.store.base import Base, Timestamps
from channelhub.store.types import JsonDocument


class SkuRow(Timestamps, Base):
    """A local SKU. ``units`` holds its units of measure (name, base_units, barcode)."""

    __tablename__ = "skus"
    __table_args__ = (CheckConstraint("kind IN ('single', 'combo', 'kit')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    title: Mapped[str | None] = mapped_column(Text)
    barcode: Mapped[str | None] = mapped_column(String(64), index=True)
    spu: Mapped[str | None] = mapped_column(String(128), index=True)
    units: Mapped[list[dict[str, Any]]] = mapped_column(JsonDocument, default=list)
    attributes: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
    # product cost per base unit in millionths of cost_currency (integer: exact SQL sums)
    cost_micros: Mapped[int | None] = mapped_column(BigInteger)
    landed_cost_micros: Mapped[int | None] = mapped_column(BigInteger)
    cost_currency: Mapped[str | None] = mapped_column(String(3))

    components: Mapped[list[SkuComponentRow]] = relationship(
        cascade="all, delete-orphan",
        order_by="SkuComponentRow.id",
        foreign_keys="SkuComponentRow.sku_id",
    )


class SkuComponentRow(Base):
    """``qty`` base units of ``component_code`` inside the combo or kit ``sku_id``."""

    __tablename__ = "sku_components"
    __table_args__ = (
        UniqueConstraint("sku_id", "component_code"),
        CheckConstraint("qty > 0", name="qty_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="CASCADE"))
    component_code: Mapped[str] = mapped_column(
        ForeignKey("skus.code", ondelete="RESTRICT"), index=True
    )
    qty: Mapped[int] = mapped_column()


class SpuRow(Timestamps, Base):
    """An optional grouping of variant SKUs (display and bulk editing only)."""

    __tablename__ = "spus"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(128), unique=True)
    title: Mapped[str | None] = mapped_column(Text)
    variant_axes: Mapped[list[str]] = mapped_column(JsonDocument, default=list)
