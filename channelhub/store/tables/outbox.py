"""The transactional outbox: everything the hub sends out, written with the decision."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from channelhub.store.base import Base, Timestamps
from channelhub.store.types import JsonDocument


class OutboxState(enum.StrEnum):
    """pending -> sending -> sent; failures go back to failed (retried) or to dead."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    DEAD = "dead"


_STATES = ", ".join(f"'{state.value}'" for state in OutboxState)


class OutboxMessage(Timestamps, Base):
    """One message to send, exactly once per ``idempotency_key``."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(f"state IN ({_STATES})", name="state"),
        Index("ix_outbox_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    target: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(60))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    state: Mapped[str] = mapped_column(String(16), default=OutboxState.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return (
            f"OutboxMessage(id={self.id!r}, key={self.idempotency_key!r}, "
            f"target={self.target!r}, kind={self.kind!r}, state={self.state!r})"
        )
