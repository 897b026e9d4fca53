"""What the sync jobs need: raw payload archive, resumable cursors and job leases.

``account`` is the account *name* (the natural key connectors and jobs know), kept without
a foreign key so that history outlives a removed account.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Float, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from channelhub.store.base import Base
from channelhub.store.types import JsonDocument


class RawPayload(Base):
    """A payload exactly as received, kept for replay, audit and reconciliation."""

    __tablename__ = "raw_payloads"
    __table_args__ = (
        UniqueConstraint("platform", "account", "kind", "sha256"),
        Index("ix_raw_payloads_lookup", "platform", "account", "kind", "external_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(40))
    account: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(60))
    external_id: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    body: Mapped[bytes] = mapped_column(LargeBinary)

    def __repr__(self) -> str:
        return (
            f"RawPayload(id={self.id!r}, platform={self.platform!r}, account={self.account!r}, "
            f"kind={self.kind!r}, external_id={self.external_id!r})"
        )


class SyncCursor(Base):
    """Where a job resumes; written in the same transaction as the data it covers."""

    __tablename__ = "sync_cursors"

    account: Mapped[str] = mapped_column(String(100), primary_key=True)
    job_kind: Mapped[str] = mapped_column(String(60), primary_key=True)
    cursor: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    updated_at: Mapped[datetime] = mapped_column()


class JobLease(Base):
    """Who runs (account, job kind) until when; keeps two runners off the same work.

    The row outlives its holders (a release empties ``holder``) so that ``token``, the
    fencing token, only ever grows: every change of holder adds one. ``host``, ``pid`` and
    ``started`` (the process start time, against pid reuse) name the holder's process, so a
    runner on the same host can see it is gone and take the lease over at once.
    """

    __tablename__ = "job_leases"

    account: Mapped[str] = mapped_column(String(100), primary_key=True)
    job_kind: Mapped[str] = mapped_column(String(60), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column()
    token: Mapped[int] = mapped_column(BigInteger, default=1, server_default="1")
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None] = mapped_column(Integer)
    started: Mapped[float | None] = mapped_column(Float)
