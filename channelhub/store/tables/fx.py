"""Exchange rates to the reporting currency, one per (currency, quote currency, day).

``day`` is a day number (days since 1970-01-01, UTC) like the report rollups, so a ledger
line's posting day finds "the latest rate on or before it" by integer comparison on both
databases. ``rate_nanos`` is the rate in billionths (1 ``currency`` = rate ``quote``): exact,
and enough digits for rates like JPY→USD 0.006712345.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from channelhub.store.base import Base


class FxRateRow(Base):
    """One day's rate of ``currency`` in ``quote`` (the reporting currency at import)."""

    __tablename__ = "fx_rates"

    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    quote: Mapped[str] = mapped_column(String(3), primary_key=True)
    day: Mapped[int] = mapped_column(primary_key=True)
    rate_nanos: Mapped[int] = mapped_column(BigInteger)
    imported_at: Mapped[datetime] = mapped_column()
