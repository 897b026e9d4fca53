"""Pairings (versioned bindings) and the decisions taken for each order, with their reasons.

A binding row is never updated in place: binding again inserts version + 1 and retires the
previous one, so every order can say which version of which pairing it was planned with.
The unique (subject, version) lets two concurrent re-binds of one listing collide instead of
both winning. Empty strings stand for "none" in the subject columns (NULLs never collide).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from channelhub.store.base import Base
from channelhub.store.tables import orders as _orders  # noqa: F401  (orders, a foreign key)
from channelhub.store.types import JsonDocument


class PairingRow(Base):
    """One version of a binding: subject (scope, channel, account, sku or listing) -> SKU."""

    __tablename__ = "pairings"
    __table_args__ = (
        UniqueConstraint(
            "scope",
            "channel",
            "account",
            "kind",
            "value",
            "variation_id",
            "version",
            name="uq_pairings_subject_version",
        ),
        Index("ix_pairings_active", "active", "kind", "value"),
        Index("ix_pairings_active_sku", "active", "sku"),  # what a stock change reaches
        CheckConstraint("scope IN ('account', 'channel', 'global')", name="scope"),
        CheckConstraint("kind IN ('sku', 'listing')", name="kind"),
        CheckConstraint("multiplier > 0", name="multiplier_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(10))
    channel: Mapped[str] = mapped_column(String(40), default="")
    account: Mapped[str] = mapped_column(String(100), default="")
    kind: Mapped[str] = mapped_column(String(10))
    value: Mapped[str] = mapped_column(String(255))
    variation_id: Mapped[str] = mapped_column(String(255), default="")
    sku: Mapped[str] = mapped_column(String(128))
    multiplier: Mapped[int] = mapped_column(default=1)
    version: Mapped[int] = mapped_column()
    source: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)
    actor: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column()
    retired_at: Mapped[datetime | None] = mapped_column()


class OrderDecisionRow(Base):
    """One decision about an order (pairing, review, allocation, reservation, merge, split)."""

    __tablename__ = "order_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column()
