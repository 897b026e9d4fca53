"""What a worker runs: one bounded unit of a job, the scheduler's pass, the stalled retry,
the webhook intake and the stock wake. Registered on the app by :mod:`.app`.

Every task gets the worker's :class:`WorkerRuntime` from the job context. A unit runs through
:func:`~channelhub.jobs.engine.runner.run_job`, the embedded engine's own runner: the same
handler, lease, fencing and run log (``job_runs``). procrastinate's lock keeps two units of
one account's job apart across workers; the lease stays as the fence against a worker that
was presumed dead but still talks to a platform.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from procrastinate import JobContext as TaskContext
from sqlalchemy import func, select

from channelhub.connectors.roles import Capability, Role
from channelhub.jobs.accounts.connectors import ConnectorFactoryFn
from channelhub.jobs.distributed.defer import defer_intake, defer_unit
from channelhub.jobs.distributed.stalled import retry_stalled_jobs
from channelhub.jobs.engine.kinds import JobKind
from channelhub.jobs.engine.runner import (
    JobHandler,
    JobOptions,
    JobResult,
    SessionFactory,
    StopToken,
    default_holder,
    run_job,
)
from channelhub.jobs.engine.scheduler import plan_jobs
from channelhub.jobs.orders.webhook_intake import WORKER_BATCH, process_pending
from channelhub.jobs.stock.wake import accounts_listing
from channelhub.store.repos.accounts import list_accounts
from channelhub.store.repos.jobs import resolve_if_open
from channelhub.store.tables.jobs import JobRun, RunOutcome

log = logging.getLogger(__name__)

#: Batches one intake task applies before it hands over to the next (re-deferred) one.
INTAKE_BATCHES = 10


class LeaseBusy(Exception):
    """The unit's lease is held by another runner (a person's ``jobs run``, or a runner on
    another host presumed dead whose lease has not lapsed): retried with back-off."""


@dataclass
class WorkerRuntime:
    """What the tasks of one worker process share."""

    session_factory: SessionFactory
    connector_factory: ConnectorFactoryFn
    now: Callable[[], datetime]
    options: JobOptions
    #: ``[jobs.every]`` as intervals of the kinds that run
    intervals: Mapping[JobKind, timedelta]
    roles_of: Callable[[str], frozenset[Role]]
    #: the connectors' declared capabilities (None: jobs are fitted by role only)
    capabilities_of: Callable[[str], frozenset[Capability]] | None = None
    #: seconds without a heartbeat after which a worker's jobs are stalled
    stalled_seconds: float = 60.0
    handlers: Mapping[JobKind, JobHandler] | None = None
    holder: str = field(default_factory=default_holder)
    stop: StopToken = field(default_factory=StopToken)
    on_result: Callable[[JobResult], None] | None = None


def runtime_of(context: TaskContext) -> WorkerRuntime:
    runtime = context.additional_context.get("hub")
    if not isinstance(runtime, WorkerRuntime):
        raise RuntimeError("a channelhub task ran on a worker without the hub's runtime")
    return runtime


async def run_unit(context: TaskContext, account: str, kind: str, letter: int | None = None) -> str:
    """One bounded unit of ``kind`` for ``account``; queued again while work is left.
    ``letter``: the dead letter of a failed run this unit replays, resolved when it ends ok
    (a failure reopens it through the runner, as any failed run does)."""
    runtime = runtime_of(context)
    job_kind = JobKind(kind)
    result = await run_job(
        runtime.session_factory,
        account,
        job_kind,
        connector_factory=runtime.connector_factory,
        now=runtime.now,
        options=runtime.options,
        holder=runtime.holder,
        stop=runtime.stop,
        handlers=runtime.handlers,
    )
    if runtime.on_result is not None:
        runtime.on_result(result)
    if result.skipped:
        raise LeaseBusy(f"{kind} of {account!r} is running elsewhere (its lease is held)")
    if letter is not None and result.outcome is RunOutcome.OK:
        with runtime.session_factory.begin() as session:
            resolve_if_open(session, letter, now=runtime.now())
    if result.more and result.outcome is not RunOutcome.FAILED:
        with runtime.session_factory.begin() as session:
            defer_unit(session, account, job_kind)
    return str(result.outcome)


def due_units(runtime: WorkerRuntime) -> list[tuple[str, JobKind]]:
    """The planned (account, job) whose interval has passed since its last run started."""
    now = runtime.now()
    with runtime.session_factory() as session:
        plan = plan_jobs(
            list_accounts(session),
            runtime.intervals,
            roles_of=runtime.roles_of,
            capabilities_of=runtime.capabilities_of,
            handlers=runtime.handlers,
        )
        last = {
            (account, kind): started
            for account, kind, started in session.execute(
                select(JobRun.account, JobRun.job_kind, func.max(JobRun.started_at)).group_by(
                    JobRun.account, JobRun.job_kind
                )
            ).all()
        }
    due = []
    for job in plan:
        started = last.get((job.account, job.kind.value))
        if started is None or started + job.every <= now:
            due.append((job.account, job.kind))
    return due


async def schedule(context: TaskContext, timestamp: int) -> int:
    """The scheduler's pass (periodic, deferred once per tick across all workers): queue
    each due unit (its queueing lock skips one already waiting) and a pass of the webhook
    intake, the sweep of deliveries a crash left pending."""
    runtime = runtime_of(context)
    deferred = 0
    with runtime.session_factory.begin() as session:
        for account, kind in due_units(runtime):
            deferred += defer_unit(session, account, kind) is not None
        defer_intake(session)
    return deferred


async def retry_stalled(context: TaskContext, timestamp: int) -> int:
    """Periodic: put the jobs of dead workers back in the queue (a dead worker must not
    hold an account's lock)."""
    runtime = runtime_of(context)
    retried = await retry_stalled_jobs(context.app.job_manager, runtime.stalled_seconds)
    if retried:
        log.warning("retried %d stalled job(s) of dead workers: %s", len(retried), retried)
    return len(retried)


async def webhook_intake(context: TaskContext) -> int:
    """Apply the pending webhook deliveries (queued again while some are left)."""
    runtime = runtime_of(context)
    counts = process_pending(
        runtime.session_factory, now=runtime.now, batch=WORKER_BATCH, max_batches=INTAKE_BATCHES
    )
    if counts.more:
        with runtime.session_factory.begin() as session:
            defer_intake(session)
    return counts.processed


async def stock_wake(context: TaskContext, skus: list[str], first: str) -> int:
    """The debounced wake of a ledger change: queue the stock push of every account that
    pushes stock and lists one of ``skus``."""
    runtime = runtime_of(context)
    every = runtime.intervals.get(JobKind.PUSH_STOCK)
    if every is None:  # the stock push is off in [jobs.every]
        return 0
    with runtime.session_factory.begin() as session:
        infos = list_accounts(session)
        planned = plan_jobs(
            infos, {JobKind.PUSH_STOCK: every}, roles_of=runtime.roles_of, handlers=runtime.handlers
        )
        names = {job.account for job in planned}
        pushing = {info.name: info.platform for info in infos if info.name in names}
        accounts = sorted(accounts_listing(session, skus, pushing)) if pushing else []
        for account in accounts:
            defer_unit(session, account, JobKind.PUSH_STOCK)
    return len(accounts)


def context_value(runtime: WorkerRuntime) -> dict[str, Any]:
    """The worker's ``additional_context``."""
    return {"hub": runtime}
