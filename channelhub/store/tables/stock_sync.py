"""Stock back-sync state: every quantity pushed to a channel, and the SKUs waiting to be.

``stock_pushes`` is append-only history: one row per listing per push, written ``pending``
before the channel is called and settled ``confirmed`` / ``rejected`` (with the channel's
words) after, so a crash in between leaves a pending row that the next run pushes again.
The last *confirmed* row is what the channel holds; only a different number is pushed.

``stock_sync_accounts`` lists the channel accounts the push job serves (registered by their
first run, which is always a full sweep) and when each was last swept; the ledger hook marks
SKUs dirty for exactly these accounts, a lookup in a table of a handful of rows.

``stock_dirty`` holds, per channel account and stock SKU, when the ledger last changed (and
when the current burst of changes began) so the push job can wait for a quiet moment
(debounce) without waiting forever (max wait).

``stock_push_blocks`` holds, per channel account, the push the mass-drop guard stopped until
the seller confirms it (``channelhub stock push ACCOUNT --confirm``) or a later run passes.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from channelhub.store.base import Base
from channelhub.store.types import JsonDocument


class PushState(enum.StrEnum):
    """pending (sent or about to be) -> confirmed by the channel, or rejected with a reason."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


_STATES = ", ".join(f"'{state.value}'" for state in PushState)


class StockPushRow(Base):
    """One quantity pushed (or being pushed) to one listing, with its full explanation."""

    __tablename__ = "stock_pushes"
    __table_args__ = (
        CheckConstraint(f"state IN ({_STATES})", name="state"),
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        Index("ix_stock_pushes_listing", "channel", "account", "listing_id", "variation_id", "id"),
        Index("ix_stock_pushes_state", "channel", "account", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(40))
    account: Mapped[str] = mapped_column(String(100))
    listing_id: Mapped[str] = mapped_column(String(255))
    variation_id: Mapped[str] = mapped_column(String(255), default="")  # '' when none
    quantity: Mapped[int] = mapped_column()
    previous: Mapped[int | None] = mapped_column()  # the last confirmed value it replaces
    explanation: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    trigger: Mapped[str] = mapped_column(String(20))  # dirty | sweep | retry
    state: Mapped[str] = mapped_column(String(16), default=PushState.PENDING.value)
    reason: Mapped[str | None] = mapped_column(Text)  # the channel's words when rejected
    retryable: Mapped[bool] = mapped_column(default=False)
    submission_id: Mapped[str | None] = mapped_column(String(200))
    pushed_at: Mapped[datetime] = mapped_column()
    answered_at: Mapped[datetime | None] = mapped_column()
    confirmed_at: Mapped[datetime | None] = mapped_column()


class StockDirtyRow(Base):
    """A stock SKU whose ledger changed since the account's last push run looked at it."""

    __tablename__ = "stock_dirty"

    channel: Mapped[str] = mapped_column(String(40), primary_key=True)
    account: Mapped[str] = mapped_column(String(100), primary_key=True)
    sku: Mapped[str] = mapped_column(String(128), primary_key=True)
    first_changed_at: Mapped[datetime] = mapped_column()
    changed_at: Mapped[datetime] = mapped_column()


class StockSyncAccountRow(Base):
    """A channel account the stock push job serves, and its last full sweep."""

    __tablename__ = "stock_sync_accounts"

    channel: Mapped[str] = mapped_column(String(40), primary_key=True)
    account: Mapped[str] = mapped_column(String(100), primary_key=True)
    registered_at: Mapped[datetime] = mapped_column()
    last_sweep_at: Mapped[datetime] = mapped_column()


class StockPushBlockRow(Base):
    """A push the mass-drop guard stopped: one row per channel account while it stands.

    Written by the push run that stopped (its reason and the listings it would have cut, as
    ``[{"listing", "before", "after"}]``), replaced by the next run that stops, deleted by a run
    that passes the guard or by ``channelhub stock push ACCOUNT --confirm``.
    """

    __tablename__ = "stock_push_blocks"

    channel: Mapped[str] = mapped_column(String(40), primary_key=True)
    account: Mapped[str] = mapped_column(String(100), primary_key=True)
    blocked_at: Mapped[datetime] = mapped_column()
    reason: Mapped[str] = mapped_column(Text)
    drops: Mapped[list[dict[str, Any]]] = mapped_column(JsonDocument)
