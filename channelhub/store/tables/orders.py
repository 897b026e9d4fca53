"""Orders as imported from the channels, their lines and their hub-status history.

The full canonical :class:`~channelhub.core.order.Order` is kept in ``document`` (lossless,
rebuilt with ``Order.model_validate``); the columns beside it are what queries filter on.
``remote_updated_at`` is the channel's own time and guards every upsert; ``hub_status`` is
owned by the hub and never overwritten by an import.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from channelhub.store.base import Base, Timestamps
from channelhub.store.tables import sync as _sync  # noqa: F401  (raw_payloads, a foreign key)
from channelhub.store.types import ExactDecimal, JsonDocument

#: The orders the pipeline looks at (open and its own to move, or open and cancelled by the
#: channel), as literal SQL: the partial indexes of :mod:`.order_queue` hold only them, and a
#: query is planned on them only when its WHERE repeats this text.
#: Must agree with ``PIPELINE_STATUSES`` and ``OPEN_STATUSES`` (a test checks it).
PENDING_SQL = (
    "hub_status IN ('approved', 'awaiting_pairing', 'new') OR "
    "(channel_state = 'cancelled' AND hub_status IN ('allocated', 'on_hold'))"
)


class OrderRow(Timestamps, Base):
    """One channel order, keyed by (channel, account, external_id)."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("channel", "account", "external_id"),
        Index("ix_orders_account_placed_at", "account", "placed_at"),  # the console's "today"
        Index(  # the console's newest-first list, and its search without reading the rows
            "ix_orders_placed_at", "placed_at", "id", "external_id", "buyer_name"
        ),
        Index(  # its filter; and any lookup by status alone (its leading column)
            "ix_orders_status_placed_at", "hub_status", "placed_at", "id"
        ),
        Index("ix_orders_external_id", "external_id"),  # a ledger line names only the id
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(40))
    account: Mapped[str] = mapped_column(String(100))
    external_id: Mapped[str] = mapped_column(String(255))
    parent_external_id: Mapped[str | None] = mapped_column(String(255))
    marketplace: Mapped[str | None] = mapped_column(String(40))
    channel_status: Mapped[str] = mapped_column(String(80))
    channel_state: Mapped[str] = mapped_column(String(40))
    hub_status: Mapped[str] = mapped_column(String(40))
    fulfilled_by: Mapped[str] = mapped_column(String(20))
    placed_at: Mapped[datetime] = mapped_column()
    remote_updated_at: Mapped[datetime] = mapped_column()
    ship_by: Mapped[datetime | None] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    total_amount: Mapped[Decimal] = mapped_column(ExactDecimal)
    ship_to_country: Mapped[str | None] = mapped_column(String(2))
    buyer_name: Mapped[str | None] = mapped_column(String(255))  # the console's search
    document: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    raw_payload_id: Mapped[int | None] = mapped_column(
        ForeignKey("raw_payloads.id", ondelete="SET NULL")
    )

    lines: Mapped[list[OrderLineRow]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLineRow.id"
    )

    def __repr__(self) -> str:
        return (
            f"OrderRow(id={self.id!r}, {self.channel}:{self.account}:{self.external_id}, "
            f"hub_status={self.hub_status!r})"
        )


class OrderLineRow(Base):
    """One order line, as columns so pairing and allocation can query it."""

    __tablename__ = "order_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "line_id"),
        Index("ix_order_lines_listing", "listing_id", "variation_id"),
        Index("ix_order_lines_channel_sku", "channel_sku"),  # the console's search by SKU
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    line_id: Mapped[str] = mapped_column(String(255))
    listing_id: Mapped[str | None] = mapped_column(String(255))
    variation_id: Mapped[str | None] = mapped_column(String(255))
    channel_sku: Mapped[str | None] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(Text)
    quantity: Mapped[int] = mapped_column()
    cancelled_quantity: Mapped[int] = mapped_column(default=0)
    shipped_quantity: Mapped[int] = mapped_column(default=0)
    unit_price: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    currency: Mapped[str | None] = mapped_column(String(3))

    order: Mapped[OrderRow] = relationship(back_populates="lines")


class OrderTransitionRow(Base):
    """One recorded move of an order's hub status, with its reason."""

    __tablename__ = "order_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str] = mapped_column(String(40))
    to_status: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column()
