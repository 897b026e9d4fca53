"""A job lease held while work runs: heartbeat, fence, release.

:func:`holding` takes the lease of (account, job kind), keeps it alive with a heartbeat on
sessions of its own (every third of its length, so a slow platform never outlives it),
gives the work a :class:`HeldLease` whose :meth:`~HeldLease.fence` it passes before each call
that changes the world, and releases it at the end. :func:`channelhub.jobs.engine.runner.run_job`
holds its lease this way; so does work a person starts outside the scheduler
(``channelhub stock push``), so the two never push beside each other.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from channelhub.jobs.engine.fencing import LeaseLost
from channelhub.store.repos.leases import acquire_lease, release_lease, renew_lease

log = logging.getLogger(__name__)

#: How a heartbeat or a wait for the lease sleeps (injected in tests).
Sleep = Callable[[float], Awaitable[None]]


def default_holder() -> str:
    """host:pid:random, so a lease names the process that holds it."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class HeldLease:
    """The lease a unit holds: its holder name and fencing token."""

    session_factory: sessionmaker[Session]
    account: str
    job_kind: str
    holder: str
    token: int | None
    now: Callable[[], datetime]
    ttl: timedelta
    #: set once a heartbeat or the fence found the lease taken over
    lost: bool = False

    def renew(self, session: Session) -> bool:
        """Extend the lease in ``session`` if this unit still holds it (holder and token)."""
        return renew_lease(
            session,
            self.account,
            self.job_kind,
            holder=self.holder,
            now=self.now(),
            ttl=self.ttl,
            token=self.token,
        )

    def taken_over(self, what: str) -> LeaseLost:
        self.lost = True
        return LeaseLost(
            f"{self.job_kind} of account {self.account!r}: the lease passed to another "
            f"runner; {what}"
        )

    def fence(self) -> None:
        """Pass before each call that changes the world: renews the lease if still held
        (its own short transaction), else raises :class:`LeaseLost`."""
        if self.lost:
            raise self.taken_over("stopped before the next call to the platform")
        with self.session_factory.begin() as session:
            if not self.renew(session):
                raise self.taken_over("stopped before the next call to the platform")

    def heartbeat(self) -> bool:
        """Renew on a session of its own; False (and ``lost``) once taken over."""
        with self.session_factory.begin() as session:
            held = self.renew(session)
        self.lost = self.lost or not held
        return held

    def release(self) -> None:
        with self.session_factory.begin() as session:
            release_lease(session, self.account, self.job_kind, holder=self.holder)


def heartbeat_every(ttl: timedelta, heartbeat: timedelta | None) -> timedelta:
    """The heartbeat period: as configured, else a third of the lease."""
    return ttl / 3 if heartbeat is None else heartbeat


async def keep_alive(lease: HeldLease, every: timedelta, sleep: Sleep) -> None:
    """Renew ``lease`` every ``every`` until cancelled or the lease is found taken over.

    A renewal the database refuses for a moment (SQLite busy, a dropped connection) is tried
    again at the next beat: the fence, not the heartbeat, keeps two holders apart, so a
    missed beat can only cost this unit its lease."""
    if every <= timedelta(0):
        return
    name = f"{lease.job_kind} of {lease.account}"
    while True:
        await sleep(every.total_seconds())
        try:
            if not lease.heartbeat():
                log.warning("%s: lease taken over; the unit stops at its next fence", name)
                return
        except SQLAlchemyError as exc:
            log.warning("%s: lease renewal failed, retrying at the next beat: %s", name, exc)


@asynccontextmanager
async def holding(
    session_factory: sessionmaker[Session],
    account: str,
    job_kind: str,
    *,
    holder: str,
    now: Callable[[], datetime],
    ttl: timedelta,
    heartbeat: timedelta | None = None,
    wait: timedelta = timedelta(0),
    sleep: Sleep = asyncio.sleep,
    poll_seconds: float = 0.5,
) -> AsyncIterator[HeldLease | None]:
    """Hold the lease for the block (None: another runner kept it for ``wait``)."""
    deadline = now() + wait
    while True:
        with session_factory.begin() as session:
            token = acquire_lease(session, account, job_kind, holder=holder, now=now(), ttl=ttl)
        if token is not None or now() >= deadline:
            break
        await sleep(poll_seconds)
    if token is None:
        yield None
        return
    lease = HeldLease(session_factory, account, job_kind, holder, token, now, ttl)
    beat = asyncio.create_task(keep_alive(lease, heartbeat_every(ttl, heartbeat), sleep))
    try:
        yield lease
    finally:
        beat.cancel()
        await asyncio.gather(beat, return_exceptions=True)
        lease.release()
