"""Retry the jobs of dead workers.

A worker killed mid-job (SIGKILL, a lost machine) leaves its job ``doing`` and, with it, the
job's lock: no other unit of that account's job can start. procrastinate knows a worker is
gone when its heartbeat is older than ``seconds``; its jobs are then put back in the queue
(``retry_job``) and the worker's row pruned. The unit that runs again starts from the last
committed page: a page in flight was never committed, and the fence plus the platforms'
idempotency keys make the calls it repeats harmless.
"""

from __future__ import annotations

from procrastinate import exceptions
from procrastinate.jobs import Status
from procrastinate.manager import JobManager


async def retry_stalled_jobs(manager: JobManager, seconds: float) -> list[int]:
    """Queue again every job of a worker silent for ``seconds``; returns their ids.

    A stalled job whose twin already waits in the queue (same queueing lock: the scheduler
    or an event queued the same unit meanwhile) cannot go back to the queue beside it; it is
    ended ``aborted`` instead, which frees its lock, and the twin does the work."""
    stalled = list(await manager.get_stalled_jobs(seconds_since_heartbeat=seconds))
    for job in stalled:
        assert job.id is not None
        try:
            await manager.retry_job(job)
        except exceptions.UniqueViolation:
            await manager.finish_job_by_id_async(job.id, Status.ABORTED, delete_job=False)
    await manager.prune_stalled_workers(seconds)
    return [job.id for job in stalled if job.id is not None]
