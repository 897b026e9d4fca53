"""What the engine is doing, in either mode, for ``channelhub jobs state`` and the Jobs screen.

- embedded (``channelhub run``'s scheduler): nothing waits in a queue (APScheduler keeps its
  timers in memory); running = runs the log shows open, stalled = open runs whose lease is no
  longer held by a live holder, locks = the leases held;
- procrastinate: the queue's own state (:mod:`channelhub.jobs.distributed.queue`) plus the
  leases, which the units still take as their fence.

Failures of either mode are the run log's failed runs of the last day (the engine's own
failed jobs are added in procrastinate mode: a task that crashed never wrote a run).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from channelhub.jobs.distributed.queue import QueuedJob, queue_state
from channelhub.store.repos.leases import holder_gone, host_identity
from channelhub.store.tables.jobs import JobRun, RunOutcome
from channelhub.store.tables.sync import JobLease


@dataclass(frozen=True)
class EngineJob:
    """A job running, stalled or failed: whose, which, since when, where."""

    account: str | None
    kind: str
    since: datetime | None
    where: str | None
    note: str | None = None


@dataclass(frozen=True)
class HeldLock:
    """A per-(account, job) lock held: the lease, or the engine's lock of a running job."""

    key: str
    holder: str
    until: datetime | None


@dataclass(frozen=True)
class EngineState:
    engine: str
    #: jobs waiting to run now / at a later time (None: the embedded engine has no queue)
    queued: int | None
    scheduled: int | None
    running: list[EngineJob] = field(default_factory=list)
    stalled: list[EngineJob] = field(default_factory=list)
    failed: list[EngineJob] = field(default_factory=list)
    locks: list[HeldLock] = field(default_factory=list)
    #: live workers (procrastinate), None for embedded
    workers: int | None = None


def _leases(session: Session, now: datetime) -> tuple[list[HeldLock], set[tuple[str, str]]]:
    """Held leases, and the (account, kind) whose holder is alive."""
    here = host_identity()
    locks, live = [], set()
    rows = session.execute(
        select(JobLease.account, JobLease.job_kind, JobLease.holder, JobLease.expires_at,
               JobLease.host, JobLease.pid, JobLease.started).where(JobLease.holder != "")
    ).all()  # fmt: skip
    for account, kind, holder, expires, host, pid, started in rows:
        if expires <= now or holder_gone(host, pid, started, here=here):
            continue
        locks.append(HeldLock(f"{account}:{kind}", holder, expires))
        live.add((account, kind))
    return locks, live


def _failed_runs(session: Session, since: datetime, limit: int) -> list[EngineJob]:
    rows = session.execute(
        select(JobRun.account, JobRun.job_kind, JobRun.started_at, JobRun.holder, JobRun.error)
        .where(JobRun.outcome == RunOutcome.FAILED.value, JobRun.started_at >= since)
        .order_by(JobRun.id.desc())
        .limit(limit)
    ).all()
    return [EngineJob(*row) for row in rows]


def _of(job: QueuedJob) -> EngineJob:
    kind = job.kind or job.task
    return EngineJob(
        job.account, kind, job.since, job.worker, f"job {job.id}, try {job.attempts + 1}"
    )


def engine_state(
    session: Session,
    *,
    engine: str,
    now: datetime,
    stalled_after: timedelta = timedelta(seconds=60),
    limit: int = 100,
) -> EngineState:
    """The engine's state at ``now`` (``engine``: ``[engine] kind``)."""
    locks, live = _leases(session, now)
    failed = _failed_runs(session, now - timedelta(days=1), limit)
    if engine == "procrastinate":
        queue = queue_state(session, now=now, stalled_after=stalled_after, limit=limit)
        held = [HeldLock(job.lock, job.worker or "?", None) for job in queue.running if job.lock]
        return EngineState(
            engine=engine,
            queued=queue.queued,
            scheduled=queue.scheduled,
            running=[_of(job) for job in queue.running],
            stalled=[_of(job) for job in queue.stalled],
            failed=[_of(job) for job in queue.failed] + failed,
            locks=held + locks,
            workers=queue.workers,
        )
    open_runs = session.execute(
        select(JobRun.account, JobRun.job_kind, JobRun.started_at, JobRun.holder)
        .where(JobRun.outcome == RunOutcome.RUNNING.value)
        .order_by(JobRun.id.desc())
        .limit(limit)
    ).all()
    running: list[EngineJob] = []
    stalled: list[EngineJob] = []
    for account, kind, started, holder in open_runs:
        job = EngineJob(account, kind, started, holder)
        (running if (account, kind) in live else stalled).append(job)
    return EngineState(
        engine=engine, queued=None, scheduled=None, running=running, stalled=stalled,
        failed=failed, locks=locks,
    )  # fmt: skip
