"""The money ledger: what every provider paid, charged and held, one row per component.

``money_lines`` is append-only: a row is never updated or deleted by an import; the unique key
(account, provider_txn_id, component) makes re-importing a period a no-op. A provider changing a
record it already sent (a deferred line released, a fee corrected) sends it under a new id or a
new component in every finance API the hub reads, so the ledger keeps both and sums them.
``money_records`` keeps each provider record's raw payload once (see
:class:`channelhub.core.settlement.ProviderRecord`). Amounts are integer millionths, so SQL sums
are exact on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from channelhub.store.base import Base
from channelhub.store.types import JsonDocument


class MoneyLineRow(Base):
    """One component of one provider record, in the hub's money types."""

    __tablename__ = "money_lines"
    __table_args__ = (
        UniqueConstraint("account", "provider_txn_id", "component", name="uq_money_lines_key"),
        Index("ix_money_lines_order", "order_ref", "account"),
        Index("ix_money_lines_payout", "account", "payout_ref"),
        Index("ix_money_lines_posted", "posted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(20))  # MoneySource
    provider_txn_id: Mapped[str] = mapped_column(String(255))
    component: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(30))  # MoneyType
    amount_micros: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    posted_at: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(10))  # MoneyStatus
    order_ref: Mapped[str | None] = mapped_column(String(255))
    order_channel: Mapped[str | None] = mapped_column(String(40))
    line_ref: Mapped[str | None] = mapped_column(String(255))
    package_ref: Mapped[str | None] = mapped_column(String(255))
    payout_ref: Mapped[str | None] = mapped_column(String(255))
    sku: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(String(255), default="")
    imported_at: Mapped[datetime] = mapped_column()


class MoneyRecordRow(Base):
    """A provider record as received, kept once, the source of its lines."""

    __tablename__ = "money_records"

    account: Mapped[str] = mapped_column(String(100), primary_key=True)
    provider_txn_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    imported_at: Mapped[datetime] = mapped_column()
