"""Run the job an outbox message or a webhook topic calls for once it commits (embedded engine).

Before this, ``channelhub run`` with the embedded engine left such work to the intervals: an
order the pipeline allocated reached its warehouse at the warehouse account's next
``dispatch_outbox`` run (60 s), a shipment's tracking reached the channel at the next
``push_tracking`` (300 s), a finished Shopify bulk query waited for the next order import
(300 s). The distributed engine defers those jobs in the committing transaction
(:mod:`channelhub.jobs.distributed.events`); this is the embedded engine's counterpart:

1. :func:`install_unit_wake` takes the notes a committing root transaction left
   (:mod:`channelhub.store.repos.txnotes`: outbox targets, webhook topics) and hands them to
   the :class:`UnitWaker` once the transaction has committed (a rollback wakes nothing).
2. The waker gathers what commits within ``[jobs] wake_seconds`` (a page of allocated orders
   is one dispatch, not a hundred), then names the unit that sends each target's messages
   (:func:`~channelhub.jobs.engine.outbox_units.units_for_targets`, in a session of its own),
   keeps those the live plan schedules and runs each through the job service: one run at a
   time per unit, once more after a run in flight, again later when another runner holds
   the lease (:class:`~channelhub.jobs.engine.waker.WakeRuns`).
3. Another process's messages (``sync orders`` or ``orders dispatch`` typed in a terminal)
   pass no hook of this one: every ``[jobs] watch_seconds`` the waker reads the messages that
   came due since its last look (:class:`OutboxLook`: new ones, and failed ones whose retry
   time came) and wakes their units the same way.

The interval runs stay as the safety net (a wake lost to a crash, a message a look missed).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from channelhub.jobs.engine.kinds import JobKind
from channelhub.jobs.engine.waker import Waker, listening
from channelhub.jobs.orders.webhook_intake import units_woken
from channelhub.store.repos.outbox import CameDue, came_due
from channelhub.store.repos.txnotes import NOTE_KEYS, OUTBOX_TARGETS_KEY, take, take_topics

#: ``(account, job)``: what the waker runs
Unit = tuple[str, JobKind]

#: How far behind its last look :class:`OutboxLook` reads again: a message written in a
#: transaction that committed after that look (its time is when it was written).
LOOK_OVERLAP = timedelta(seconds=60)

_WOKEN_KEY = "channelhub.units_woken"


@dataclass(frozen=True)
class UnitWakeTiming:
    """``[jobs] wake_seconds`` (None: no wake, the intervals only) and ``watch_seconds``
    (None: no look at other processes' messages)."""

    window: timedelta | None = timedelta(seconds=1)
    watch: timedelta | None = timedelta(seconds=5)

    @classmethod
    def of_seconds(cls, *, window: float, watch: float) -> UnitWakeTiming:
        return cls(
            window=timedelta(seconds=window) if window > 0 else None,
            watch=timedelta(seconds=watch) if watch > 0 else None,
        )


def install_unit_wake(
    factory: sessionmaker[Session], notify: Callable[[frozenset[str], frozenset[Unit]], None]
) -> Callable[[], None]:
    """Call ``notify(targets, units)`` after every committed root transaction of
    ``factory``'s sessions that gave outbox targets new messages or stored a webhook whose
    topic calls for a job. Returns the uninstaller."""

    def before_commit(session: Session) -> None:
        if session.in_nested_transaction():
            return  # a savepoint: the root commit takes the notes
        targets = take(session, OUTBOX_TARGETS_KEY)
        units = frozenset(units_woken(take_topics(session)))
        if targets or units:
            session.info[_WOKEN_KEY] = (targets, units)

    def after_commit(session: Session) -> None:
        if session.in_nested_transaction():
            return
        woken = session.info.pop(_WOKEN_KEY, None)
        if woken is not None:
            notify(*woken)

    def after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None:  # the root ended (committed or rolled back): forget
            for key in (_WOKEN_KEY, *NOTE_KEYS):
                session.info.pop(key, None)

    return listening(
        factory,
        {
            "before_commit": before_commit,
            "after_commit": after_commit,
            "after_transaction_end": after_transaction_end,
        },
    )


def came_due_reader(
    factory: sessionmaker[Session],
) -> Callable[[datetime, datetime], list[CameDue]]:
    """``came_due(after, until)`` for an :class:`OutboxLook`, in a session of its own."""

    def read(after: datetime, until: datetime) -> list[CameDue]:
        with factory() as session:
            return came_due(session, after=after, until=until)

    return read


class OutboxLook:
    """The targets of the messages that came due since the last look, each message once per
    time it comes due (a failed one comes due again at its retry time). The first look only
    learns what is due already: the interval runs start with the hub."""

    def __init__(self, read: Callable[[datetime, datetime], list[CameDue]]) -> None:
        self.read = read
        self._last: datetime | None = None
        #: (message, due) read in the last look's window
        self._seen: set[tuple[int, datetime]] = set()
        self._before: tuple[datetime | None, set[tuple[int, datetime]]] = (None, set())

    def news(self, now: datetime) -> frozenset[str]:
        """The targets of the messages come due since the last look (then seen)."""
        first = self._last is None
        since = (now if self._last is None else self._last) - LOOK_OVERLAP
        rows = {(row.id, row.due): row.target for row in self.read(since, now)}
        fresh = frozenset(target for key, target in rows.items() if key not in self._seen)
        self._before = (self._last, self._seen)
        self._seen = set(rows)
        self._last = now
        return frozenset() if first else fresh

    def undo(self) -> None:
        """Forget the last look (what it found was not acted on): its news come again."""
        self._last, self._seen = self._before


class UnitWaker(Waker):
    """Runs the units the committed messages and webhooks of a window call for.

    ``resolve(targets)`` names the units sending those outbox targets' messages
    (:func:`~channelhub.jobs.engine.outbox_units.units_for_targets` in a session of its
    own); ``planned(unit)`` says whether the live plan schedules it (a unit switched off, or
    an account whose plugin is missing, is left alone); ``run_unit(unit)`` runs it through
    the job service. ``came_due(after, until)`` reads the messages that came due, for the
    look at other processes' (None: no look). :meth:`serve` drives it; the tests call
    :meth:`tick` and :meth:`look` with a fake clock."""

    name = "unit wake"
    look_failed = "cannot read the outbox"
    tick_failed = "cannot read which accounts send the new messages"
    meanwhile = "the interval runs send them meanwhile"

    def __init__(
        self,
        *,
        resolve: Callable[[frozenset[str]], Collection[Unit]],
        planned: Callable[[Unit], bool],
        run_unit: Callable[[Unit], Awaitable[Any]],
        now: Callable[[], datetime],
        timing: UnitWakeTiming,
        came_due: Callable[[datetime, datetime], list[CameDue]] | None = None,
    ) -> None:
        window = timing.window or timedelta(0)
        super().__init__(
            now=now,
            watch=timing.watch if came_due is not None else None,
            retry=window,
            run=run_unit,
            run_name=lambda unit: f"{unit[1].value} of {unit[0]} (woken)",
        )
        self.resolve = resolve
        self.planned = planned
        self.timing = timing
        self._window = window
        self._targets: set[str] = set()
        self._units: set[Unit] = set()
        self._since: datetime | None = None  # when the window's first note came
        self._look = None if came_due is None else OutboxLook(came_due)

    # --- in ---------------------------------------------------------------------------------

    def notify(self, targets: frozenset[str], units: frozenset[Unit] = frozenset()) -> None:
        """Committed messages for ``targets`` and webhooks calling for ``units``; safe to call
        from any thread."""
        self.notify_in_loop(self._note, targets, units)

    def _note(
        self, targets: frozenset[str], units: frozenset[Unit], at: datetime | None = None
    ) -> None:
        """Into the window, which opened at ``at`` (None: now) unless it was open already."""
        if not targets and not units:
            return
        self._targets |= targets
        self._units |= units
        at = self.now() if at is None else at
        self._since = at if self._since is None else min(self._since, at)
        self._changed.set()

    def look(self) -> int:
        """Note the targets of the messages that came due since the last look (other
        processes' new ones, retries whose time came), due at once: their commits are over,
        and the look's own interval already gathered them. Returns how many targets."""
        if self._look is None:
            return 0
        now = self.now()
        fresh = self._look.news(now)
        self._note(fresh, frozenset(), at=now - self._window)
        return len(fresh)

    # --- when -------------------------------------------------------------------------------

    def due_at(self) -> datetime | None:
        """When the next wake is due: the window after its first note, or a unit's retry."""
        times = [at for at in (self._runs.retry_at(),) if at is not None]
        if self._since is not None:
            times.append(self._since + self._window)
        return min(times, default=None)

    # --- out --------------------------------------------------------------------------------

    async def tick(self) -> list[asyncio.Task[None]]:
        """Start what is due now: the window's units and the retries come due. Returns the
        runs started."""
        now = self.now()
        due = self.due_at()
        if due is None or due > now:
            return []
        units = self._runs.take_retries(now)
        if self._since is not None and self._since + self._window <= now:
            targets, self._targets, self._since = frozenset(self._targets), set(), None
            units |= self._units
            self._units = set()
            if targets:
                try:
                    units |= set(self.resolve(targets))
                except BaseException:
                    self._note(targets, frozenset(units))  # not lost: the next window
                    raise
        woken = sorted((unit for unit in units if self.planned(unit)), key=_unit_order)
        return [task for unit in woken if (task := self._runs.start(unit)) is not None]


def _unit_order(unit: Unit) -> tuple[str, str]:
    return unit[0], unit[1].value
