"""Channel listings (online products), keyed by (channel, account, listing_id, variation_id).

``variation_id`` is ``''`` for a listing without variations, never NULL: NULLs are all
distinct in a unique constraint, which would let the same listing in twice.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from channelhub.store.base import Base, Timestamps
from channelhub.store.types import ExactDecimal, JsonDocument


class ListingRow(Timestamps, Base):
    """One listing as last seen on its channel."""

    __tablename__ = "listings"
    __table_args__ = (
        UniqueConstraint("channel", "account", "listing_id", "variation_id"),
        Index("ix_listings_channel_sku", "channel", "account", "channel_sku"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(40))
    account: Mapped[str] = mapped_column(String(100))
    listing_id: Mapped[str] = mapped_column(String(255))
    variation_id: Mapped[str] = mapped_column(String(255), default="")
    channel_sku: Mapped[str | None] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(Text)
    price: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    currency: Mapped[str | None] = mapped_column(String(3))
    quantity: Mapped[int | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(20))
    marketplace: Mapped[str | None] = mapped_column(String(40))
    identifiers: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
    inventory_ref: Mapped[str | None] = mapped_column(String(255))
    remote_updated_at: Mapped[datetime | None] = mapped_column()
