"""What the hub learns of each account's credentials and API budget as its connectors work.

``account_tokens``: one row per account and token kind ("access", "refresh", "access
(inventory)"): when the newest one obtained expires, and when the platform last refused it.
``api_usage``: calls, 429s and errors per account, operation and hour, written once per run
from counts aggregated in memory (never a row per call).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, String
from sqlalchemy.orm import Mapped, mapped_column

from channelhub.store.base import Base


class AccountToken(Base):
    """One token of one account: its newest expiry and its newest refusal."""

    __tablename__ = "account_tokens"

    account: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(60), primary_key=True)
    expires_at: Mapped[datetime | None] = mapped_column()  # None: the platform did not say
    renews: Mapped[bool] = mapped_column(default=False)  # the connector refreshes it itself
    seen_at: Mapped[datetime] = mapped_column()  # when it was obtained or last refused
    refused_at: Mapped[datetime | None] = mapped_column()  # the newest 401, cleared by a grant
    refused_status: Mapped[int | None] = mapped_column()


class ApiUsage(Base):
    """Attempts of one operation by one account in one UTC hour."""

    __tablename__ = "api_usage"

    account: Mapped[str] = mapped_column(String(100), primary_key=True)
    operation: Mapped[str] = mapped_column(String(120), primary_key=True)
    hour: Mapped[datetime] = mapped_column(primary_key=True)  # the hour's start, UTC
    calls: Mapped[int] = mapped_column(default=0)
    throttled: Mapped[int] = mapped_column(default=0)  # 429 answers
    errors: Mapped[int] = mapped_column(default=0)  # other 4xx/5xx and no answer at all
    rate: Mapped[float | None] = mapped_column(Float)  # allowed requests per second, newest known
