"""Schedule every job of every account with APScheduler 3, and stop without losing work.

:class:`JobService` is what the scheduler calls: it runs one bounded unit through
:func:`~channelhub.jobs.engine.runner.run_job` and keeps track of the runs in flight, so a shutdown
asks them to stop at their next page boundary (:class:`~channelhub.jobs.engine.runner.StopToken`)
and waits for them a grace period; a run still in flight then (a slow platform, one page
taking minutes) is cancelled: its page was never committed, cursor included, so nothing is
lost and the next run redoes it. Each releases its lease on the way out. APScheduler's own
options do the rest: ``max_instances=1`` (never two runs of one job in one process; the
lease covers other processes) and ``coalesce`` (runs missed while busy collapse into one).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from channelhub.jobs.accounts.connectors import ConnectorFactoryFn
from channelhub.jobs.engine.kinds import JobKind
from channelhub.jobs.engine.outbox_units import units_for_targets
from channelhub.jobs.engine.plan import ScheduledJob as ScheduledJob
from channelhub.jobs.engine.plan import capabilities_from_registry as capabilities_from_registry
from channelhub.jobs.engine.plan import intervals_from_seconds as intervals_from_seconds
from channelhub.jobs.engine.plan import plan_jobs as plan_jobs
from channelhub.jobs.engine.plan import roles_from_registry as roles_from_registry
from channelhub.jobs.engine.runner import (
    JobOptions,
    JobResult,
    SessionFactory,
    StopToken,
    default_holder,
    run_job,
)
from channelhub.jobs.engine.unit_wake import UnitWaker, came_due_reader
from channelhub.jobs.stock.wake import StockWaker, accounts_listing, marks_reader
from channelhub.store.repos.accounts import list_accounts
from channelhub.store.tables.jobs import RunOutcome

log = logging.getLogger(__name__)

#: Seconds a shutdown waits for runs to reach a page boundary before cancelling them
#: (`channelhub run` must stop within 10 s even with a slow platform).
STOP_GRACE_SECONDS = 5.0


class JobService:
    """Runs jobs for the scheduler and drains them on shutdown."""

    def __init__(
        self,
        session_factory: SessionFactory,
        *,
        connector_factory: ConnectorFactoryFn,
        now: Callable[[], datetime],
        options: JobOptions | None = None,
        holder: str | None = None,
        on_result: Callable[[JobResult], None] | None = None,
        catch_up_units: int = 10,
    ) -> None:
        self.session_factory = session_factory
        self.connector_factory = connector_factory
        self.now = now
        self.options = options or JobOptions()
        self.holder = holder or default_holder()
        self._calls = itertools.count(1)
        self.stop = StopToken()
        self.on_result = on_result
        self.catch_up_units = catch_up_units
        self._running: set[asyncio.Task[object]] = set()
        #: runs the last drain cancelled mid-page (their page is redone by the next run)
        self.abandoned = 0

    async def run(self, account: str, kind: JobKind) -> JobResult | None:
        """Units of ``kind`` for ``account`` while a backlog remains (at most
        ``catch_up_units`` more in one tick), each with its own lease and log row; nothing
        once shutdown began. Returns the last unit's result.

        Each call holds the lease under a name of its own (the service's, numbered): a run of
        the same job already in flight in this process (the interval's, a waker's) keeps this
        one out as any other runner would, and this one returns skipped. Under one shared
        name the second run took the lease as its own: two runs of one job at once (two
        stock pushes of one account racing their quantities), the first to finish released
        the lease under the other, and the next run marked the one still going abandoned."""
        holder = f"{self.holder}/{next(self._calls)}"
        task = asyncio.current_task()
        if task is not None:
            task.set_name(f"{kind.value} of {account}")
            self._running.add(task)
        result: JobResult | None = None
        try:
            for _ in range(1 + self.catch_up_units):
                if self.stop.requested:
                    break
                result = await run_job(
                    self.session_factory,
                    account,
                    kind,
                    connector_factory=self.connector_factory,
                    now=self.now,
                    options=self.options,
                    holder=holder,
                    stop=self.stop,
                )
                if self.on_result is not None:
                    self.on_result(result)
                if not result.more or result.outcome is not RunOutcome.OK:
                    break
        except asyncio.CancelledError:
            if not self.stop.requested:
                raise  # not our drain's doing: let whoever cancelled it see it
            # drain() cancelled it past the grace period: the run log already says
            # "interrupted" and the lease is released; this task simply ends.
            return result
        finally:
            if task is not None:
                self._running.discard(task)
        return result

    @property
    def running(self) -> int:
        return len(self._running)

    async def drain(self, grace: float | None = STOP_GRACE_SECONDS) -> int:
        """Ask every run in flight to stop at its next page boundary and wait up to ``grace``
        seconds (None: as long as it takes); then cancel those still running, abandoning
        their uncommitted page, and wait for them to release their leases. Returns how many
        were cancelled."""
        self.stop.request()
        if not self._running:
            return 0
        _, late = await asyncio.wait(set(self._running), timeout=grace)
        for task in late:
            log.warning("stopping: cancelling %s; its page in flight is abandoned", task.get_name())
            task.cancel()
        if late:
            await asyncio.wait(late)
        self.abandoned = len(late)
        return self.abandoned


def build_scheduler(
    service: JobService, plan: Sequence[ScheduledJob], *, first_run_at: datetime | None = None
) -> AsyncIOScheduler:
    """An AsyncIOScheduler (not started) running each planned job at its interval.

    To stop: ``scheduler.pause()``, ``await service.drain()``, then ``shutdown(wait=False)``
    (APScheduler's executor cancels coroutine jobs still running at shutdown).

    Every job first runs at ``first_run_at`` (default: as soon as the scheduler starts).
    """
    scheduler = AsyncIOScheduler(timezone=UTC)
    for job in plan:
        _schedule(scheduler, service, job, first_run_at or datetime.now(UTC))
    return scheduler


def _schedule(
    scheduler: AsyncIOScheduler, service: JobService, job: ScheduledJob, first_run_at: datetime
) -> None:
    scheduler.add_job(
        service.run,
        IntervalTrigger(seconds=job.every.total_seconds(), timezone=UTC),
        args=[job.account, job.kind],
        id=job.job_id,
        name=job.job_id,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=max(int(job.every.total_seconds()), 1),
        next_run_time=first_run_at,
    )


class LivePlan:
    """The jobs ``channelhub run`` schedules now. An account added, removed or with a job
    switched on or off while it serves (``stock push --confirm`` turns stock sync on) changes
    the plan; :func:`refresh_plan` brings the scheduler and this list in line with it."""

    def __init__(self, jobs: Sequence[ScheduledJob]) -> None:
        self.jobs = list(jobs)

    def accounts(self, kind: JobKind) -> set[str]:
        """The accounts that run ``kind`` now."""
        return {job.account for job in self.jobs if job.kind is kind}


def refresh_plan(
    scheduler: AsyncIOScheduler,
    service: JobService,
    live: LivePlan,
    jobs: Sequence[ScheduledJob],
    *,
    now: datetime | None = None,
) -> tuple[list[str], list[str]]:
    """Schedule the planned ``jobs`` not scheduled yet (their first run at once) and drop the
    scheduled ones no longer planned (a run in flight finishes); ``live`` becomes ``jobs``.
    A job whose interval changed is scheduled again. Returns the job ids added and dropped."""
    wanted = {job.job_id: job for job in jobs}
    had = {job.job_id: job for job in live.jobs}
    dropped = sorted(job_id for job_id, job in had.items() if wanted.get(job_id) != job)
    added = sorted(job_id for job_id, job in wanted.items() if had.get(job_id) != job)
    for job_id in dropped:
        if scheduler.get_job(job_id) is not None:
            scheduler.remove_job(job_id)
    for job_id in added:
        _schedule(scheduler, service, wanted[job_id], now or datetime.now(UTC))
    live.jobs = list(jobs)
    gone = sorted(set(dropped) - set(added))
    return added, gone


def stock_waker(service: JobService, plan: LivePlan | Sequence[ScheduledJob]) -> StockWaker:
    """The waker of the planned stock pushes, running each through ``service`` with the
    ``[stock]`` timing of its options; it pushes the accounts that push stock in ``plan`` as
    it stands when a change wakes it. Install it with
    :func:`channelhub.jobs.stock.wake.install_stock_wake` and run its ``serve()``."""
    live = plan if isinstance(plan, LivePlan) else LivePlan(plan)
    factory = service.session_factory

    def accounts_for(skus: frozenset[str]) -> set[str]:
        pushing = live.accounts(JobKind.PUSH_STOCK)
        if not pushing:
            return set()
        with factory() as session:
            accounts = list_accounts(session)
            platforms = {a.name: a.platform for a in accounts if a.name in pushing}
            return accounts_listing(session, skus, platforms)

    async def run_push(account: str) -> JobResult | None:
        return await service.run(account, JobKind.PUSH_STOCK)

    timing = service.options.stock_timing
    return StockWaker(
        accounts_for=accounts_for,
        run_push=run_push,
        now=service.now,
        timing=timing,
        marks_since=marks_reader(factory) if timing.watch is not None else None,
    )


def unit_waker(service: JobService, plan: LivePlan) -> UnitWaker | None:
    """The waker of the units a committed outbox message or webhook calls for (dispatch to a
    warehouse, tracking to a channel, a finished bulk query's import), running each through
    ``service`` if ``plan`` schedules it as it stands then; None when ``[jobs] wake_seconds``
    is 0. Install it with :func:`~channelhub.jobs.engine.unit_wake.install_unit_wake` and
    run its ``serve()``."""
    timing = service.options.unit_wake
    if timing.window is None:
        return None
    factory = service.session_factory

    def resolve(targets: frozenset[str]) -> set[tuple[str, JobKind]]:
        with factory() as session:
            return units_for_targets(session, targets)

    def planned(unit: tuple[str, JobKind]) -> bool:
        return unit[0] in plan.accounts(unit[1])

    async def run_unit(unit: tuple[str, JobKind]) -> JobResult | None:
        return await service.run(*unit)

    return UnitWaker(
        resolve=resolve,
        planned=planned,
        run_unit=run_unit,
        now=service.now,
        timing=timing,
        came_due=came_due_reader(factory) if timing.watch is not None else None,
    )
