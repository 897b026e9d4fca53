"""Reconciliation runs and the discrepancies each found, with the repair made or proposed.

A run is kept even when it fails half-way (``status`` = failed with its error), so an
operator sees every attempt. ``repair_status`` says what happened to each discrepancy's
repair: ``proposed`` (needs a person), ``pending`` (safe, not applied yet), ``applied``,
``failed`` (with ``repair_note``) or ``none`` (nothing to do: explained).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from channelhub.store.base import Base
from channelhub.store.types import JsonDocument

RUN_STATUSES = ("running", "finished", "failed")
REPAIR_STATUSES = ("none", "proposed", "pending", "applied", "failed")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class ReconcileRunRow(Base):
    """One reconciliation of one account: what was compared, how many found, what repaired."""

    __tablename__ = "reconcile_runs"
    __table_args__ = (
        CheckConstraint(_in("status", RUN_STATUSES), name="status"),
        Index("ix_reconcile_runs_account", "account", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(100))
    platform: Mapped[str] = mapped_column(String(40))
    scope: Mapped[str] = mapped_column(String(60))  # "orders,listings" or "stock"
    since: Mapped[datetime | None] = mapped_column()
    repair: Mapped[bool] = mapped_column()
    status: Mapped[str] = mapped_column(String(16))
    counts: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()


class DiscrepancyRow(Base):
    """One discrepancy found by a run, as :meth:`Discrepancy.to_json` describes it."""

    __tablename__ = "discrepancies"
    __table_args__ = (
        CheckConstraint(_in("repair_status", REPAIR_STATUSES), name="repair_status"),
        Index("ix_discrepancies_class", "run_id", "discrepancy_class"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("reconcile_runs.id", ondelete="CASCADE"))
    discrepancy_class: Mapped[str] = mapped_column(String(40))
    subject: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    subject_text: Mapped[str] = mapped_column(String(400))
    hub_value: Mapped[Any] = mapped_column(JsonDocument, nullable=True)
    other_value: Mapped[Any] = mapped_column(JsonDocument, nullable=True)
    explanation: Mapped[str] = mapped_column(Text)
    repair_kind: Mapped[str] = mapped_column(String(40))
    repair_safe: Mapped[bool] = mapped_column()
    repair_parameters: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
    repair_status: Mapped[str] = mapped_column(String(16))
    repair_note: Mapped[str | None] = mapped_column(Text)
    repaired_at: Mapped[datetime | None] = mapped_column()
