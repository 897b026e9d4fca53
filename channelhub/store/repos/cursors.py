"""Sync cursors: where each (account, job kind) resumes.

Set the cursor in the same session/transaction as the data it covers, so a crash never
skips records nor leaves the cursor behind data already stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from channelhub.store.repos._upsert import insert_for
from channelhub.store.tables.sync import SyncCursor


def get_cursor(session: Session, account: str, job_kind: str) -> dict[str, Any] | None:
    """The stored cursor, or None when the job never ran."""
    row = session.get(SyncCursor, (account, job_kind))
    return None if row is None else dict(row.cursor)


def set_cursor(
    session: Session, account: str, job_kind: str, cursor: Mapping[str, Any], *, now: datetime
) -> None:
    """Insert or replace the cursor (one atomic upsert)."""
    statement = insert_for(session, SyncCursor).values(
        account=account, job_kind=job_kind, cursor=dict(cursor), updated_at=now
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["account", "job_kind"],
            set_={"cursor": statement.excluded.cursor, "updated_at": statement.excluded.updated_at},
        )
    )
    session.expire_all()


#: A reset cursor's key for where the next run starts (``{"cursor": None, "since": ISO}``).
SINCE_KEY = "since"


def reset_cursor(
    session: Session,
    account: str,
    job_kind: str,
    *,
    now: datetime,
    since: datetime | None = None,
) -> bool:
    """Forget where (account, job kind) resumes: without ``since`` the next run is a first
    run (its initial lookback); with it the next run starts at ``since``. Returns whether a
    cursor was stored before."""
    existed = session.get(SyncCursor, (account, job_kind)) is not None
    if since is None:
        session.execute(
            delete(SyncCursor).where(SyncCursor.account == account, SyncCursor.job_kind == job_kind)
        )
        session.expire_all()
    else:
        set_cursor(
            session, account, job_kind, {"cursor": None, SINCE_KEY: since.isoformat()}, now=now
        )
    return existed


def since_of(cursor: Mapping[str, Any] | None) -> datetime | None:
    """Where a reset cursor says the next run starts (None: no such instruction)."""
    value = cursor.get(SINCE_KEY) if cursor else None
    return datetime.fromisoformat(value) if isinstance(value, str) else None
