"""Accounts: one row per connected shop, warehouse or carrier account."""

from __future__ import annotations

from typing import Any

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from channelhub.store.base import Base, Timestamps
from channelhub.store.types import JsonDocument


class Account(Timestamps, Base):
    """A platform account. ``credentials`` is a Fernet blob: see :mod:`channelhub.store.crypto`."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    base_url: Mapped[str | None] = mapped_column(String(500))
    settings: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
    credentials: Mapped[bytes] = mapped_column(LargeBinary)

    def __repr__(self) -> str:  # never the credentials blob
        return f"Account(id={self.id!r}, platform={self.platform!r}, name={self.name!r})"
