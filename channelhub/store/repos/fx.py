"""Exchange rates in the store: imported from a CSV, replaced per (currency, quote, day)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from channelhub.core.fx import NANOS, FxRate, day_number, day_of
from channelhub.store.repos._upsert import insert_for
from channelhub.store.tables.fx import FxRateRow

_CHUNK = 1_000  # rows per statement (5 columns: well under SQLite's parameter bound)


def save_rates(session: Session, rates: Iterable[FxRate], *, now: datetime) -> int:
    """Store ``rates``; a rate already stored for the same currency, quote and day is replaced
    (a corrected file re-imported wins). Returns how many rows were written."""
    rows = [
        {
            "currency": r.currency,
            "quote": r.quote,
            "day": day_number(r.day),
            "rate_nanos": r.nanos,
            "imported_at": now,
        }
        for r in rates
    ]
    table = FxRateRow.__table__
    for start in range(0, len(rows), _CHUNK):
        statement = insert_for(session, table).values(rows[start : start + _CHUNK])
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["currency", "quote", "day"],
                set_={"rate_nanos": statement.excluded.rate_nanos, "imported_at": now},
            )
        )
    return len(rows)


def list_rates(session: Session, *, quote: str, currency: str | None = None) -> list[FxRate]:
    """The stored rates to ``quote``, by currency then day."""
    query = select(FxRateRow).where(FxRateRow.quote == quote)
    if currency is not None:
        query = query.where(FxRateRow.currency == currency)
    return [
        FxRate(
            day=day_of(row.day),
            currency=row.currency,
            quote=row.quote,
            rate=Decimal(row.rate_nanos) / NANOS,
        )
        for row in session.scalars(query.order_by(FxRateRow.currency, FxRateRow.day))
    ]


def rate_counts(session: Session, *, quote: str) -> dict[str, int]:
    """How many days of rates each currency has to ``quote``."""
    query = (
        select(FxRateRow.currency, func.count())
        .where(FxRateRow.quote == quote)
        .group_by(FxRateRow.currency)
    )
    return {currency: int(n) for currency, n in session.execute(query)}
