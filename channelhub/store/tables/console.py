"""The seller console's users and their server-side sessions.

A password is kept only as its argon2 hash, a session only as the SHA-256 of its token: a copy
of the database logs nobody in.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from channelhub.store.base import Base, Timestamps


class ConsoleUser(Timestamps, Base):
    """One person who may log in to the console, with one role."""

    __tablename__ = "console_users"
    __table_args__ = (CheckConstraint("role IN ('owner', 'operator', 'viewer')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))


class ConsoleSession(Base):
    """A logged-in browser: the token's hash, its CSRF token, and when it lapses."""

    __tablename__ = "console_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("console_users.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column(index=True)
