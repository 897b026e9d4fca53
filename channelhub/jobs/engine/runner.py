"""Run one job for one account: lease, run log, one bounded unit of work, dead letters.

``run_job`` takes the lease of (account, job kind) in a short transaction of its own, opens a
run row, hands a :class:`JobContext` to the job's handler and closes the row with the outcome.
Handlers commit each page through :meth:`JobContext.commit_page`, which writes the page's data,
cursor, counts and dead letters in ONE transaction and renews the lease in it: a lease lost to
another runner rolls the page back instead of writing beside it. A stop request (SIGTERM) is
honoured between pages, so shutting down never cuts a page in half.

A lease cannot be outlived: while the unit runs, a heartbeat renews it on its own session
every third of its length, and before each call that changes the world the unit passes
:meth:`JobContext.fence` (a renewal conditioned on the lease's fencing token). A unit whose
lease was taken over stops there, ``interrupted``, without making the call. A runner that
was killed does not keep its account locked: a runner on the same host sees its process is
gone and takes the lease over at once (:mod:`channelhub.store.repos.leases`).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from channelhub.connectors.errors import CapabilityMissing, ConnectorError
from channelhub.connectors.observe import observing
from channelhub.connectors.roles import Capability, SalesChannel, require
from channelhub.core.errors import ChannelhubError, ConfigError, NotFound
from channelhub.core.push_safety import DEFAULT_MASS_DROP_SHARE
from channelhub.core.redaction import (
    SecretRedactor,
    active_redactor,
    redact_active,
    redacting,
)
from channelhub.core.rulebook import Rulebook, load_rulebook
from channelhub.jobs.accounts.connectors import ConnectorFactoryFn
from channelhub.jobs.accounts.usage import UsageRecorder, save_usage
from channelhub.jobs.engine.fencing import LeaseLost as LeaseLost
from channelhub.jobs.engine.kinds import JOB_HANDLERS, JobKind
from channelhub.jobs.engine.leasing import HeldLease, Sleep, holding
from channelhub.jobs.engine.leasing import default_holder as default_holder
from channelhub.jobs.engine.unit_wake import UnitWakeTiming
from channelhub.jobs.stock.compute import load_rules
from channelhub.jobs.stock.push import StockSyncTiming
from channelhub.store.repos.accounts import AccountInfo, get_account
from channelhub.store.repos.cursors import get_cursor
from channelhub.store.repos.jobs import (
    RunCounts,
    abandon_runs,
    add_to_run,
    finish_run,
    record_dead_letter,
    start_run,
)
from channelhub.store.tables.jobs import RunOutcome

log = logging.getLogger(__name__)

T = TypeVar("T")
SessionFactory = sessionmaker[Session]
#: A handler does one bounded unit of work; it returns True when it stopped with more to do.
JobHandler = Callable[["JobContext"], Awaitable[bool]]
PageProgress = Callable[[RunCounts], None]

#: The run log's note for a run cancelled in the middle of a page.
ABANDONED = (
    "stopped mid-page: the page in flight was abandoned (not committed); the next run redoes it"
)


class StopToken:
    """Set by a shutdown; handlers check it between pages and return early."""

    def __init__(self) -> None:
        self.requested = False

    def request(self) -> None:
        self.requested = True


@dataclass(frozen=True)
class JobOptions:
    """Bounds of one run (from the ``[jobs]`` settings)."""

    max_pages: int = 50
    lease_ttl: timedelta = timedelta(minutes=10)
    #: how often a running unit renews its lease (None: a third of ``lease_ttl``; zero: never)
    heartbeat: timedelta | None = None
    initial_lookback: timedelta = timedelta(days=30)
    #: the hub home: its ``rules.toml`` is the rulebook of every run (none: built-in defaults)
    home: Path | None = None
    #: an explicit rulebook file instead of ``<home>/rules.toml``
    rules_file: Path | None = None
    #: ``[stock] mass_drop_share``: the stock push's mass-drop guard (accounts may override)
    mass_drop_share: Decimal = DEFAULT_MASS_DROP_SHARE
    #: ``[stock]`` debounce, max wait and sweep of the stock push
    stock_timing: StockSyncTiming = field(default_factory=StockSyncTiming)
    #: ``[jobs] wake_seconds`` and ``watch_seconds``: ``channelhub run`` runs the unit a
    #: committed outbox message or webhook calls for (:mod:`channelhub.jobs.engine.unit_wake`)
    unit_wake: UnitWakeTiming = field(default_factory=UnitWakeTiming)
    #: ``[jobs.every] pull_orders`` (None: off): how soon an order's next import comes, which
    #: confirms a tracking push (:mod:`channelhub.jobs.fulfilment.confirmations`)
    orders_every: timedelta | None = timedelta(minutes=5)


@dataclass(frozen=True)
class JobResult:
    """How a run ended (``run_id`` is None when it was skipped: the lease was taken)."""

    account: str
    kind: JobKind
    outcome: RunOutcome | None
    counts: RunCounts = field(default_factory=RunCounts)
    pages: int = 0
    more: bool = False
    error: str | None = None
    run_id: int | None = None
    #: why a run that ended well did nothing (e.g. the job is switched off for the account)
    note: str | None = None

    @property
    def skipped(self) -> bool:
        return self.run_id is None


@dataclass
class JobContext:
    """What a handler gets: the account, the database, the connector and the bounds."""

    session_factory: SessionFactory
    account: AccountInfo
    kind: JobKind
    run_id: int
    lease: HeldLease
    now: Callable[[], datetime]
    options: JobOptions
    stop: StopToken
    connector_factory: ConnectorFactoryFn
    on_page: PageProgress | None = None
    counts: RunCounts = field(default_factory=RunCounts)
    pages: int = 0
    #: set by a handler to say why it did nothing; kept in the run log's error column
    note: str | None = None
    _connector: Any = field(default=None, repr=False)
    _rulebook: Rulebook | None = field(default=None, repr=False)

    def rulebook(self) -> Rulebook:
        """The hub's rulebook, read once per run (a rules file edited between runs applies
        from the next run; a broken one fails the run with the file's faults)."""
        if self._rulebook is None:
            options = self.options
            if options.home is None and options.rules_file is None:
                self._rulebook = load_rulebook({})
            else:
                self._rulebook = load_rules(options.rules_file, home=options.home or Path("."))
        return self._rulebook

    def connector(self) -> Any:
        """The account's connector, built on first use and closed when the run ends."""
        if self._connector is None:
            with self.session_factory() as session:
                row = get_account(session, self.account.name)
            self._connector = self.connector_factory(row)
        return self._connector

    def sales_channel(self, *needed: Capability) -> Any:
        """The connector as a SalesChannel that declares ``needed``, or a clear error."""
        connector = self.connector()
        if not isinstance(connector, SalesChannel):
            raise ConfigError(
                f"account {self.account.name!r} ({self.account.platform}) is not a sales channel"
            )
        require(connector, *needed)
        return connector

    def cursor(self) -> dict[str, Any] | None:
        """The stored cursor of this (account, job kind)."""
        with self.session_factory() as session:
            return get_cursor(session, self.account.name, self.kind.value)

    @property
    def holder(self) -> str:
        return self.lease.holder

    @property
    def lost(self) -> bool:
        """A heartbeat or fence found the lease taken over: the next fence stops the unit."""
        return self.lease.lost

    def fence(self) -> None:
        """Pass before each call that changes the world (see :class:`HeldLease`)."""
        self.lease.fence()

    def commit_page(self, write: Callable[[Session], RunCounts]) -> RunCounts:
        """Run ``write`` (data + cursor) and the run's counts in one transaction, renewing the
        lease inside it; roll everything back if the lease was lost."""
        with self.session_factory.begin() as session:
            counts = write(session)
            add_to_run(session, self.run_id, counts)
            if self.lease.lost or not self.lease.renew(session):
                raise self.lease.taken_over("this page was rolled back")
        self.counts = self.counts + counts
        self.pages += 1
        if self.on_page is not None:
            self.on_page(counts)
        return counts

    def dead_letter(self, **values: Any) -> int:
        """Record a failure outside any page (own transaction)."""
        with self.session_factory.begin() as session:
            return record_dead_letter(
                session,
                account=self.account.name,
                platform=self.account.platform,
                job_kind=self.kind.value,
                now=self.now(),
                run_id=self.run_id,
                **values,
            )

    async def aclose(self) -> None:
        if self._connector is not None:
            await self._connector.aclose()
            self._connector = None


def load_handler(kind: JobKind, handlers: Mapping[JobKind, JobHandler] | None = None) -> JobHandler:
    """The handler for ``kind`` (injected ones first); NotFound when nobody wrote it yet."""
    if handlers is not None and kind in handlers:
        return handlers[kind]
    target = JOB_HANDLERS.get(kind)
    if target is None:
        raise NotFound(f"job {kind.value!r} has no handler in this version of channelhub")
    module_name, _, attribute = target.partition(":")
    handler: JobHandler = getattr(importlib.import_module(module_name), attribute)
    return handler


def _describe(exc: BaseException) -> str:
    """One line for the run log, the dead letter and the terminal. Connector errors are
    redacted by construction; a hub error may quote a value the platform sent (an echo of
    our own request): the run's redactor removes the account's secrets from either."""
    if isinstance(exc, ConnectorError | ChannelhubError):
        return redact_active(str(exc))
    return redact_active(f"{type(exc).__name__}: {exc}")


async def run_job(
    session_factory: SessionFactory,
    account: str,
    kind: JobKind,
    *,
    connector_factory: ConnectorFactoryFn,
    now: Callable[[], datetime],
    options: JobOptions | None = None,
    holder: str | None = None,
    stop: StopToken | None = None,
    handlers: Mapping[JobKind, JobHandler] | None = None,
    on_page: PageProgress | None = None,
    sleep: Sleep = asyncio.sleep,
) -> JobResult:
    """Run one bounded unit of ``kind`` for ``account``; skipped if another runner holds it.

    A fatal error (connector FatalError, hub error, bug) ends the run ``failed`` and files a
    dead letter (one per account and job, reopened while it keeps failing) so an operator can
    replay it; a retryable one only fails the run: the next scheduled run retries. A bug is
    re-raised after it has been recorded. ``sleep`` paces the lease's heartbeat (injected
    with the clock in tests).
    """
    options = options or JobOptions()
    holder = holder or default_holder()
    stop = stop or StopToken()
    handler = load_handler(kind, handlers)
    with session_factory() as session:
        info = AccountInfo.of(get_account(session, account))
    async with holding(
        session_factory,
        account,
        kind.value,
        holder=holder,
        now=now,
        ttl=options.lease_ttl,
        heartbeat=options.heartbeat,
        sleep=sleep,
    ) as lease:
        if lease is None:
            return JobResult(account=account, kind=kind, outcome=None)
        with session_factory.begin() as session:
            abandon_runs(session, account=account, job_kind=kind.value, now=now())
            run_id = start_run(
                session, account=account, job_kind=kind.value, holder=holder, now=now()
            )
        context = JobContext(
            session_factory=session_factory,
            account=info,
            kind=kind,
            run_id=run_id,
            lease=lease,
            now=now,
            options=options,
            stop=stop,
            connector_factory=connector_factory,
            on_page=on_page,
        )
        return await _run(context, handler)


async def run_job_when_free(
    session_factory: SessionFactory,
    account: str,
    kind: JobKind,
    *,
    wait: timedelta,
    clock: Callable[[], datetime],
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    poll_seconds: float = 0.5,
    **run: Any,
) -> JobResult:
    """:func:`run_job`, waiting up to ``wait`` while another runner holds the job.

    A person who types ``jobs run`` wants this run done when the command returns, not a
    refusal because ``channelhub run`` started the same job a moment earlier; the lease still
    keeps the two apart (this one runs after the other). Skipped only when ``wait`` ran out.
    """
    deadline = clock() + wait
    while True:
        result = await run_job(session_factory, account, kind, **run)
        if not result.skipped or clock() >= deadline:
            return result
        await sleep(poll_seconds)


def _fail(context: JobContext, exc: BaseException) -> str:
    """Describe the failure and, unless a later run will retry it, file a dead letter."""
    error = _describe(exc)
    if not (isinstance(exc, ConnectorError) and exc.retryable):
        context.dead_letter(
            subject="run",
            reason=error,
            payload={"cursor": context.cursor(), "error_type": type(exc).__name__},
            dedupe_key=f"run:{context.account.name}:{context.kind.value}",
        )
    log.warning("%s of %s failed: %s", context.kind.value, context.account.name, error)
    return error


def _finish(context: JobContext, outcome: RunOutcome, error: str | None) -> None:
    with context.session_factory.begin() as session:
        finish_run(session, context.run_id, outcome=outcome, now=context.now(), error=error)


async def _run(context: JobContext, handler: JobHandler) -> JobResult:
    # The run's own redactor: the sinks (database, logs) read it from the context; the
    # account's connector, built under it, teaches it the credentials and every token it
    # obtains. It is not a child of the caller's (a long-running command would gather every
    # account's secrets): what the run returns is redacted here, and only an exception that
    # escapes unredacted (a bug) hands the run's values to the caller's redactor.
    # The connectors built in the run report their attempts and tokens to ``recorder``, in
    # memory; they are written once, when the run ends however it ends.
    outer = active_redactor()
    redactor = SecretRedactor(context.account.name)
    recorder = UsageRecorder(context.now)
    try:
        with redacting(redactor), observing(recorder):
            return await _run_in_scope(context, handler)
    except BaseException:
        if outer is not None:
            outer.add(*redactor.values())
        raise
    finally:
        if recorder.accounts:
            with context.session_factory.begin() as session:
                save_usage(session, recorder)


async def _run_in_scope(context: JobContext, handler: JobHandler) -> JobResult:
    error: str | None = None
    more = False
    try:
        more = await handler(context)
        outcome = RunOutcome.INTERRUPTED if more and context.stop.requested else RunOutcome.OK
    except LeaseLost as exc:
        # Taken over (we were too slow, or thought dead): the new holder goes on from what
        # this unit committed; nothing to retry or replay here.
        outcome, error, more = RunOutcome.INTERRUPTED, str(exc), True
        log.warning("%s", exc)
    except CapabilityMissing as exc:
        # The platform cannot do what this job needs (Temu reads no fulfilments back): no
        # failure, nothing to retry or replay; the run log says what was skipped and why.
        outcome = RunOutcome.OK
        context.note = f"skipped: {exc}"
        log.info("%s of %s skipped: %s", context.kind.value, context.account.name, exc)
    except (ConnectorError, ChannelhubError) as exc:
        outcome, error = RunOutcome.FAILED, _fail(context, exc)
    except asyncio.CancelledError:
        # Stopped mid-page (a shutdown past its grace period, Ctrl-C): the page in flight was
        # never committed, so its cursor was not either; the next run redoes it.
        _finish(context, RunOutcome.INTERRUPTED, ABANDONED)
        raise
    except Exception as exc:
        # A bug: recorded as a failed run with a dead letter, then re-raised (never swallowed).
        _finish(context, RunOutcome.FAILED, _fail(context, exc))
        raise
    finally:
        await context.aclose()
    _finish(context, outcome, error or context.note)
    return JobResult(
        account=context.account.name,
        kind=context.kind,
        outcome=outcome,
        counts=context.counts,
        pages=context.pages,
        more=more,
        error=error,
        run_id=context.run_id,
        note=None if context.note is None else redact_active(context.note),
    )
