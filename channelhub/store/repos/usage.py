"""Write and read ``account_tokens`` and ``api_usage`` (see :mod:`channelhub.store.tables.usage`).

Both writes are ``INSERT ... ON CONFLICT DO UPDATE``: two runs of one account finishing at
once add their counts, never overwrite or duplicate them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from channelhub.store.repos._upsert import insert_for
from channelhub.store.tables.usage import AccountToken, ApiUsage


def record_token(
    session: Session,
    *,
    account: str,
    kind: str,
    seen_at: datetime,
    expires_at: datetime | None = None,
    renews: bool = False,
    refused_status: int | None = None,
) -> None:
    """A token obtained (``expires_at``; clears an older refusal) or refused (``refused_status``;
    keeps the known expiry)."""
    table = AccountToken.__table__
    refused = refused_status is not None
    values = {
        "account": account,
        "kind": kind,
        "seen_at": seen_at,
        "expires_at": expires_at,
        "renews": renews,
        "refused_at": seen_at if refused else None,
        "refused_status": refused_status,
    }
    changes = (
        {"seen_at": seen_at, "refused_at": seen_at, "refused_status": refused_status}
        if refused
        else {"seen_at": seen_at, "expires_at": expires_at, "renews": renews, "refused_at": None,
              "refused_status": None}
    )  # fmt: skip
    session.execute(
        insert_for(session, table)
        .values(values)
        .on_conflict_do_update(index_elements=["account", "kind"], set_=changes)
    )


def add_usage(
    session: Session,
    *,
    account: str,
    operation: str,
    hour: datetime,
    calls: int,
    throttled: int,
    errors: int,
    rate: float | None = None,
) -> None:
    """Add one run's counts of one operation and hour to the stored ones (``rate``: the
    operation's allowed requests per second, newest known)."""
    table = ApiUsage.__table__
    statement = insert_for(session, table).values(
        account=account, operation=operation, hour=hour,
        calls=calls, throttled=throttled, errors=errors, rate=rate,
    )  # fmt: skip
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["account", "operation", "hour"],
            set_={
                "calls": table.c.calls + statement.excluded.calls,
                "throttled": table.c.throttled + statement.excluded.throttled,
                "errors": table.c.errors + statement.excluded.errors,
                "rate": func.coalesce(statement.excluded.rate, table.c.rate),
            },
        )
    )


def tokens_of(session: Session, account: str) -> list[AccountToken]:
    """The account's known tokens, by kind."""
    return list(
        session.scalars(
            select(AccountToken).where(AccountToken.account == account).order_by(AccountToken.kind)
        )
    )


@dataclass(frozen=True)
class OperationUsage:
    """One operation's attempts since a time."""

    operation: str
    calls: int
    throttled: int
    errors: int
    rate: float | None  # allowed requests per second, where known


def usage_since(session: Session, account: str, since: datetime) -> list[OperationUsage]:
    """Per operation since ``since`` (whole hours starting at or after it), most calls first."""
    rows = session.execute(
        select(
            ApiUsage.operation,
            func.sum(ApiUsage.calls),
            func.sum(ApiUsage.throttled),
            func.sum(ApiUsage.errors),
            func.max(ApiUsage.rate),
        )
        .where(ApiUsage.account == account, ApiUsage.hour >= since)
        .group_by(ApiUsage.operation)
    )
    found = [
        OperationUsage(op, int(c or 0), int(t or 0), int(e or 0), None if r is None else float(r))
        for op, c, t, e, r in rows
    ]
    return sorted(found, key=lambda u: (-u.calls, u.operation))
