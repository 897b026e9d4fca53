"""Job leases: at most one holder per (account, job kind) until the lease expires.

Every operation is one conditional statement, so two runners racing never both win.
Run them in a short transaction of their own and commit right away: a lease only keeps
others out once it is committed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from channelhub.store.repos._upsert import insert_for
from channelhub.store.tables.sync import JobLease


def acquire_lease(
    session: Session,
    account: str,
    job_kind: str,
    *,
    holder: str,
    now: datetime,
    ttl: timedelta,
) -> bool:
    """Take (or extend, if ``holder`` has it) the lease; False if someone else holds it."""
    statement = insert_for(session, JobLease).values(
        account=account, job_kind=job_kind, holder=holder, expires_at=now + ttl
    )
    statement = statement.on_conflict_do_update(
        index_elements=["account", "job_kind"],
        set_={"holder": statement.excluded.holder, "expires_at": statement.excluded.expires_at},
        where=(JobLease.holder == holder) | (JobLease.expires_at <= now),
    ).returning(JobLease.holder)
    won = session.execute(statement).scalar_one_or_none() is not None
    session.expire_all()
    return won


def renew_lease(
    session: Session,
    account: str,
    job_kind: str,
    *,
    holder: str,
    now: datetime,
    ttl: timedelta,
) -> bool:
    """Extend a lease still held by ``holder``; False if it expired or was taken over."""
    result = session.execute(
        update(JobLease)
        .where(
            JobLease.account == account,
            JobLease.job_kind == job_kind,
            JobLease.holder == holder,
            JobLease.expires_at > now,
        )
        .values(expires_at=now + ttl)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def release_lease(session: Session, account: str, job_kind: str, *, holder: str) -> bool:
    """Give the lease back (only the holder can); True if it was released."""
    result = session.execute(
        delete(JobLease)
        .where(
            JobLease.account == account,
            JobLease.job_kind == job_kind,
            JobLease.holder == holder,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))
