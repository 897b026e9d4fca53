"""The rate-limit buckets several worker processes share (``[engine] kind = "procrastinate"``
on PostgreSQL): one row per (account, bucket), updated atomically by each reservation
(:mod:`channelhub.store.shared_buckets`). Times are epoch seconds of the database's clock,
so every host reads the same one; ``plan_*`` is the configured plan the row was seeded from
(a changed plan resets ``rate`` and ``burst``, which platform feedback corrects in between).
"""

from __future__ import annotations

from sqlalchemy import Float, String
from sqlalchemy.orm import Mapped, mapped_column

from channelhub.store.base import Base


class RateBucket(Base):
    """One token bucket's state: ``tokens`` at ``at`` (negative while reservations wait)."""

    __tablename__ = "rate_buckets"

    account: Mapped[str] = mapped_column(String(100), primary_key=True)
    bucket: Mapped[str] = mapped_column(String(120), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    rate: Mapped[float] = mapped_column(Float)
    burst: Mapped[float] = mapped_column(Float)
    plan_rate: Mapped[float] = mapped_column(Float)
    plan_burst: Mapped[float] = mapped_column(Float)
    at: Mapped[float] = mapped_column(Float)
