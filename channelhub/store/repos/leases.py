"""Job leases: at most one holder per (account, job kind), fenced by a growing token.

Every operation is one conditional statement, so two runners racing never both win.
Run them in a short transaction of their own and commit right away: a lease only keeps
others out once it is committed.

A lease is taken when it is free, expired, or its holder's process is gone from this host
(pid not running, a zombie, or a pid reused by a younger process: the start time differs),
so a runner killed with SIGKILL does not lock its account for the whole lease. Each change
of holder adds one to the lease's fencing ``token``; :func:`renew_lease` with the token is the
fence a unit passes before every call that changes the world: it fails once anybody else
took the lease, even if that one has given it back since.

Process facts come from psutil (pid liveness, zombie state and start time on every OS)
rather than from parsing ``/proc`` by hand.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

import psutil
from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from channelhub.store.repos._upsert import insert_for
from channelhub.store.tables.sync import JobLease

#: ``expires_at`` of a released lease: long past, so anyone may take it.
RELEASED_AT = datetime(2000, 1, 1, tzinfo=UTC)
#: Start times (seconds) closer than this are the same process.
_SAME_START = 0.01


@dataclass(frozen=True)
class LeaseOwner:
    """The process that holds a lease: host name, pid and its start time (epoch seconds)."""

    host: str
    pid: int
    started: float | None

    @classmethod
    def this_process(cls) -> LeaseOwner:
        return _this_process()


@cache
def _this_process() -> LeaseOwner:
    pid = os.getpid()
    return LeaseOwner(host_identity(), pid, process_started(pid))


def host_identity() -> str:
    """Where a pid means one process: the host name plus, on Linux, the pid namespace (two
    containers sharing the host's name and network still have their own pids)."""
    name = socket.gethostname()
    try:
        namespace = os.readlink("/proc/self/ns/pid")  # e.g. "pid:[4026531836]"
    except OSError:
        return name
    return f"{name}/{namespace}"[:255]


def process_started(pid: int) -> float | None:
    """When process ``pid`` started (epoch seconds); None if it is not running."""
    try:
        return float(psutil.Process(pid).create_time())
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return None


def holder_gone(host: str | None, pid: int | None, started: float | None, *, here: str) -> bool:
    """True only when the holder ran on this host and its process is provably gone: no
    such pid, a zombie (killed, not yet reaped), or the pid now names a younger process."""
    if host != here or pid is None:
        return False  # another host (or an old lease without owner): wait for expiry
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return True
        return started is not None and abs(process.create_time() - started) > _SAME_START
    except psutil.NoSuchProcess:
        return True
    except psutil.AccessDenied:
        return False  # someone else's live process


@dataclass(frozen=True)
class LeaseState:
    """A lease row as read (for takeover decisions, status and tests)."""

    holder: str
    expires_at: datetime
    token: int
    host: str | None
    pid: int | None
    started: float | None

    @property
    def held(self) -> bool:
        return self.holder != ""


def read_lease(session: Session, account: str, job_kind: str) -> LeaseState | None:
    """The lease row of (account, job kind), None if it was never taken."""
    row = session.execute(
        select(
            JobLease.holder,
            JobLease.expires_at,
            JobLease.token,
            JobLease.host,
            JobLease.pid,
            JobLease.started,
        ).where(JobLease.account == account, JobLease.job_kind == job_kind)
    ).one_or_none()
    return None if row is None else LeaseState(*row)


def acquire_lease(
    session: Session,
    account: str,
    job_kind: str,
    *,
    holder: str,
    now: datetime,
    ttl: timedelta,
    owner: LeaseOwner | None = None,
) -> int | None:
    """Take (or extend, if ``holder`` has it) the lease; return its fencing token, or None
    if someone else holds it. A holder whose process is gone from this host loses it now."""
    owner = owner or LeaseOwner.this_process()
    process = {"host": owner.host, "pid": owner.pid, "started": owner.started}
    statement = insert_for(session, JobLease).values(
        account=account, job_kind=job_kind, holder=holder, expires_at=now + ttl, token=1, **process
    )
    statement = statement.on_conflict_do_update(
        index_elements=["account", "job_kind"],
        set_={
            "holder": statement.excluded.holder,
            "expires_at": statement.excluded.expires_at,
            "token": case((JobLease.holder == holder, JobLease.token), else_=JobLease.token + 1),
            "host": statement.excluded.host,
            "pid": statement.excluded.pid,
            "started": statement.excluded.started,
        },
        where=(JobLease.holder == holder) | (JobLease.expires_at <= now),
    ).returning(JobLease.token)
    token = session.execute(statement).scalar_one_or_none()
    session.expire_all()
    if token is not None:
        return int(token)
    return _take_over(session, account, job_kind, holder=holder, now=now, ttl=ttl, owner=owner)


def _take_over(
    session: Session,
    account: str,
    job_kind: str,
    *,
    holder: str,
    now: datetime,
    ttl: timedelta,
    owner: LeaseOwner,
) -> int | None:
    """Take a live lease whose holder process is gone (compare-and-set on holder + token)."""
    current = read_lease(session, account, job_kind)
    if current is None or not holder_gone(
        current.host, current.pid, current.started, here=owner.host
    ):
        return None
    result = session.execute(
        update(JobLease)
        .where(
            JobLease.account == account,
            JobLease.job_kind == job_kind,
            JobLease.holder == current.holder,
            JobLease.token == current.token,
        )
        .values(
            holder=holder,
            expires_at=now + ttl,
            token=current.token + 1,
            host=owner.host,
            pid=owner.pid,
            started=owner.started,
        )
        .execution_options(synchronize_session=False)
    )
    session.expire_all()
    return current.token + 1 if getattr(result, "rowcount", 0) else None


def renew_lease(
    session: Session,
    account: str,
    job_kind: str,
    *,
    holder: str,
    now: datetime,
    ttl: timedelta,
    token: int | None = None,
) -> bool:
    """Extend a lease still held by ``holder``; False if it was taken over.

    With ``token`` (the fence) it succeeds exactly when nobody else has held the lease since
    ``token`` was issued, even if it expired meanwhile (nobody else can have passed a fence
    then); without, the lease must also be unexpired.
    """
    condition = [
        JobLease.account == account,
        JobLease.job_kind == job_kind,
        JobLease.holder == holder,
    ]
    if token is None:
        condition.append(JobLease.expires_at > now)
    else:
        condition.append(JobLease.token == token)
    result = session.execute(
        update(JobLease)
        .where(*condition)
        .values(expires_at=now + ttl)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def release_lease(session: Session, account: str, job_kind: str, *, holder: str) -> bool:
    """Give the lease back (only the holder can); True if it was released. The row stays,
    so its fencing token keeps growing."""
    result = session.execute(
        update(JobLease)
        .where(
            JobLease.account == account,
            JobLease.job_kind == job_kind,
            JobLease.holder == holder,
        )
        .values(holder="", expires_at=RELEASED_AT, host=None, pid=None, started=None)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))
