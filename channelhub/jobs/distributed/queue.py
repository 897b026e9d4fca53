"""The procrastinate queue's state, read from its tables for the jobs screens.

Queued and scheduled jobs, those running (with their worker), the stalled ones (their
worker's heartbeat is older than the stalled threshold), the recent failures, the locks the
running jobs hold and the live workers. Read-only SQL over procrastinate's own tables
(migration 0019), in the caller's session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class QueuedJob:
    """One job as the screens show it: the task's account and kind when it is a unit."""

    id: int
    task: str
    account: str | None
    kind: str | None
    since: datetime | None
    worker: str | None
    attempts: int
    lock: str | None


@dataclass(frozen=True)
class QueueState:
    queued: int
    scheduled: int
    running: list[QueuedJob]
    stalled: list[QueuedJob]
    failed: list[QueuedJob]
    workers: int


_JOBS = """
SELECT j.id, j.task_name, j.args->>'account', j.args->>'kind',
       (SELECT max(e.at) FROM procrastinate_events e WHERE e.job_id = j.id) AS since,
       'worker ' || w.id, j.attempts, j.lock,
       (j.worker_id IS NULL OR w.last_heartbeat < :stale) AS stalled
  FROM procrastinate_jobs j
  LEFT JOIN procrastinate_workers w ON w.id = j.worker_id
 WHERE j.status = CAST(:status AS procrastinate_job_status)
 ORDER BY j.id DESC
 LIMIT :limit
"""


def _jobs(
    session: Session, status: str, stale: datetime, limit: int
) -> list[tuple[QueuedJob, bool]]:
    rows = session.execute(text(_JOBS), {"status": status, "stale": stale, "limit": limit}).all()
    return [(QueuedJob(*row[:8]), bool(row[8])) for row in rows]


def queue_state(
    session: Session,
    *,
    now: datetime,
    stalled_after: timedelta,
    failed_since: timedelta = timedelta(days=1),
    limit: int = 100,
) -> QueueState:
    """The queue at ``now``; a running job is stalled when its worker has been silent for
    ``stalled_after``; failures of the last ``failed_since``."""
    stale = now - stalled_after
    waiting = session.execute(
        text(
            "SELECT count(*) FILTER (WHERE scheduled_at IS NULL OR scheduled_at <= :now), "
            "count(*) FILTER (WHERE scheduled_at > :now) "
            "FROM procrastinate_jobs WHERE status = 'todo'"
        ),
        {"now": now},
    ).one()
    doing = _jobs(session, "doing", stale, limit)
    failed = [
        job
        for job, _ in _jobs(session, "failed", stale, limit)
        if job.since is None or job.since >= now - failed_since
    ]
    workers = session.scalar(
        text("SELECT count(*) FROM procrastinate_workers WHERE last_heartbeat >= :stale"),
        {"stale": stale},
    )
    return QueueState(
        queued=int(waiting[0]),
        scheduled=int(waiting[1]),
        running=[job for job, stalled in doing if not stalled],
        stalled=[job for job, stalled in doing if stalled],
        failed=failed,
        workers=int(workers or 0),
    )
