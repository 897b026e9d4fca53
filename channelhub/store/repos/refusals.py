"""Refused inbound requests, kept as bounded evidence: at most ``cap`` per account, none older
than the retention period (pruned on every insert, oldest first, so the table cannot grow
with a forger's traffic)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from channelhub.store.tables.jobs import RefusedDelivery


def record_refusal(
    session: Session,
    *,
    cap: int,
    retention: timedelta,
    now: datetime,
    **fields: Any,
) -> int:
    """Insert one refusal (``fields`` are :class:`RefusedDelivery` columns), then prune the
    account's expired and surplus rows. Returns the new row's id."""
    row = RefusedDelivery(received_at=now, **fields)
    session.add(row)
    session.flush()
    session.execute(delete(RefusedDelivery).where(RefusedDelivery.received_at < now - retention))
    keep_from = session.scalar(
        select(RefusedDelivery.id)
        .where(RefusedDelivery.account == row.account)
        .order_by(RefusedDelivery.id.desc())
        .offset(cap - 1)
        .limit(1)
    )
    if keep_from is not None:
        session.execute(
            delete(RefusedDelivery).where(
                RefusedDelivery.account == row.account, RefusedDelivery.id < keep_from
            )
        )
    return row.id


def list_refusals(session: Session, account: str | None = None) -> list[RefusedDelivery]:
    """The kept refusals, newest first."""
    query = select(RefusedDelivery).order_by(RefusedDelivery.id.desc())
    if account is not None:
        query = query.where(RefusedDelivery.account == account)
    return list(session.scalars(query))


def count_refusals(session: Session, account: str) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(RefusedDelivery)
            .where(RefusedDelivery.account == account)
        )
        or 0
    )
