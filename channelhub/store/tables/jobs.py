"""The jobs' own records: the run log, the dead-letter list and webhook deliveries seen.

``account`` is the account *name*, without a foreign key, like the other sync tables: the
history of a removed account stays readable.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from channelhub.store.base import Base, Timestamps
from channelhub.store.tables import sync as _sync  # noqa: F401  (raw_payloads, a foreign key)
from channelhub.store.types import JsonDocument


class RunOutcome(enum.StrEnum):
    """running -> ok | failed | interrupted (stopped at a page boundary on shutdown) |
    abandoned (its process died; found by the next runner to take the lease)."""

    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    ABANDONED = "abandoned"


class DeadLetterState(enum.StrEnum):
    """open (waiting for an operator) -> resolved (a replay succeeded)."""

    OPEN = "open"
    RESOLVED = "resolved"


_OUTCOMES = ", ".join(f"'{o.value}'" for o in RunOutcome)
_DEAD_STATES = ", ".join(f"'{s.value}'" for s in DeadLetterState)


class JobRun(Base):
    """One run of one job for one account: when, what it did, how it ended."""

    __tablename__ = "job_runs"
    __table_args__ = (
        CheckConstraint(f"outcome IN ({_OUTCOMES})", name="outcome"),
        Index("ix_job_runs_account_kind", "account", "job_kind", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(100))
    job_kind: Mapped[str] = mapped_column(String(60))
    holder: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    outcome: Mapped[str] = mapped_column(String(16), default=RunOutcome.RUNNING.value)
    pages: Mapped[int] = mapped_column(default=0)
    new: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return (
            f"JobRun(id={self.id!r}, account={self.account!r}, job_kind={self.job_kind!r}, "
            f"outcome={self.outcome!r})"
        )


class DeadLetter(Timestamps, Base):
    """A record or a run that failed for good, with what is needed to replay it.

    Record failures point at the archived raw body (``raw_payload_id``); run failures keep the
    cursor they started from in ``payload``. ``dedupe_key`` makes a failure seen again (a
    replayed page) update the one letter instead of adding a second.
    """

    __tablename__ = "dead_letters"
    __table_args__ = (
        CheckConstraint(f"state IN ({_DEAD_STATES})", name="state"),
        Index("ix_dead_letters_state", "state", "account"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    account: Mapped[str] = mapped_column(String(100))
    platform: Mapped[str] = mapped_column(String(40))
    job_kind: Mapped[str] = mapped_column(String(60))
    subject: Mapped[str] = mapped_column(String(60))  # "order", "listing", "run", ...
    external_id: Mapped[str | None] = mapped_column(String(255))
    raw_payload_id: Mapped[int | None] = mapped_column(ForeignKey("raw_payloads.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default=DeadLetterState.OPEN.value)
    attempts: Mapped[int] = mapped_column(default=1)
    run_id: Mapped[int | None] = mapped_column()

    def __repr__(self) -> str:
        return (
            f"DeadLetter(id={self.id!r}, account={self.account!r}, job_kind={self.job_kind!r}, "
            f"subject={self.subject!r}, external_id={self.external_id!r}, state={self.state!r})"
        )


class WebhookDelivery(Base):
    """A webhook delivery already taken in: a platform's redelivery of it changes nothing.

    A sales-channel order delivery is stored by the route with ``processed_at`` empty and
    taken in by the webhook intake job (:mod:`channelhub.jobs.orders.webhook_intake`), which sets it
    in the transaction that applies it (or files the dead letter).
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("account", "event_id"),
        Index("ix_webhook_deliveries_pending", "processed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(100))
    event_id: Mapped[str] = mapped_column(String(255))
    topic: Mapped[str] = mapped_column(String(120))
    raw_payload_id: Mapped[int | None] = mapped_column(ForeignKey("raw_payloads.id"))
    received_at: Mapped[datetime] = mapped_column()
    platform: Mapped[str | None] = mapped_column(String(40))
    processed_at: Mapped[datetime | None] = mapped_column()


class RefusedDelivery(Base):
    """Bounded evidence of one refused inbound request (bad signature, too large, ...).

    Never the whole body: its size, its SHA-256, the first few KB and the headers with their
    values redacted (see :mod:`channelhub.api.evidence`). Pruned by age and per account.
    """

    __tablename__ = "refused_deliveries"
    __table_args__ = (Index("ix_refused_deliveries_account", "account", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(100))
    platform: Mapped[str] = mapped_column(String(40))
    route: Mapped[str] = mapped_column(String(60))
    source: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(String(300))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    head: Mapped[bytes] = mapped_column(LargeBinary)
    headers: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
