"""What the embedded engine's two wakers share: the stock push's
(:class:`~channelhub.jobs.stock.wake.StockWaker`) and the one of the units an outbox message
or a webhook topic calls for (:class:`~channelhub.jobs.engine.unit_wake.UnitWaker`).

- :class:`Waker`: the loop they serve on (notes from other threads handed to it), waiting for
  a change or the next due time, looking at what other processes committed every ``watch``,
  and waking what is due; a database error is one warning line and the next turn tries again.
- :class:`WakeRuns`: the runs a waker starts, one at a time per unit. A unit woken while its
  run is in flight runs once more when it ends (the run may have read before the change
  committed); a unit whose lease another runner holds (the interval run, a person's command)
  is tried again ``retry_after`` later, when that run has had time to finish.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Hashable, Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError

Unit = TypeVar("Unit", bound=Hashable)

log = logging.getLogger(__name__)

#: The least a waker waits after a failed wake (a debounce of 0 would try again at once).
_LEAST_PAUSE = timedelta(seconds=1)


def report_ended(task: asyncio.Task[None]) -> None:
    """Say why a woken run, a waker or a look ended in error (the run log and dead letters
    already hold a run's failure; this is for the process's log, as the interval's are)."""
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("%s ended in error; the interval runs carry on", task.get_name(), exc_info=error)


def listening(factory: Any, listeners: Mapping[str, Callable[..., None]]) -> Callable[[], None]:
    """Listen to ``factory``'s session events (``{"before_commit": f, ...}``); returns the
    function that removes those listeners again (``channelhub run`` at shutdown, tests)."""
    for name, listener in listeners.items():
        event.listen(factory, name, listener)

    def uninstall() -> None:
        for name, listener in listeners.items():
            event.remove(factory, name, listener)

    return uninstall


def in_loop(
    loop: asyncio.AbstractEventLoop | None, action: Callable[..., None], *args: Any
) -> None:
    """Call ``action(*args)`` on ``loop``, from any thread (a sync HTTP route commits in a
    worker thread): at once when called on it, or with no loop bound yet (built outside
    one: the waker's ``serve`` binds it); handed over otherwise."""
    if loop is not None and not loop.is_closed():
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not loop:
            loop.call_soon_threadsafe(action, *args)
            return
    action(*args)


class WakeRuns(Generic[Unit]):
    """Starts ``run(unit)`` as a task of the running loop; ``run`` returns the unit's
    :class:`~channelhub.jobs.engine.runner.JobResult` (None: the service is stopping).
    ``changed`` is set when a retry is scheduled, so the waker's loop looks at its time."""

    def __init__(
        self,
        run: Callable[[Unit], Awaitable[Any]],
        *,
        now: Callable[[], datetime],
        retry_after: timedelta,
        changed: asyncio.Event,
        name: Callable[[Unit], str],
        ended: Callable[[asyncio.Task[None]], None],
    ) -> None:
        self.run = run
        self.now = now
        self.retry_after = max(retry_after, timedelta(seconds=1))
        self.changed = changed
        self.name = name
        self.ended = ended
        self._running: dict[Unit, asyncio.Task[None]] = {}
        self._again: set[Unit] = set()  # units to run once more when their run ends
        self._retry: dict[Unit, datetime] = {}  # units whose lease was held elsewhere
        #: runs started, per unit (for the tests and the log)
        self.runs: dict[Unit, int] = {}

    def retry_at(self) -> datetime | None:
        """When the earliest retry is due (None: none waits)."""
        return min(self._retry.values(), default=None)

    def take_retries(self, now: datetime) -> set[Unit]:
        """The units whose retry is due at ``now`` (no longer waiting)."""
        due = {unit for unit, at in self._retry.items() if at <= now}
        for unit in due:
            del self._retry[unit]
        return due

    def start(self, unit: Unit) -> asyncio.Task[None] | None:
        """Run ``unit`` now, or once more after its run in flight (None then)."""
        if unit in self._running:
            self._again.add(unit)
            return None
        task = asyncio.create_task(self._run(unit), name=self.name(unit))
        task.add_done_callback(self.ended)
        self._running[unit] = task
        return task

    async def _run(self, unit: Unit) -> None:
        try:
            while True:
                self.runs[unit] = self.runs.get(unit, 0) + 1
                result = await self.run(unit)
                if result is not None and result.skipped:
                    # another runner holds the unit (the interval run, a person's command):
                    # look again once it has had time to finish
                    self._retry[unit] = self.now() + self.retry_after
                    self.changed.set()
                    return
                if unit not in self._again or result is None:
                    return
                self._again.discard(unit)
        finally:
            del self._running[unit]


class Waker(ABC):
    """The serve loop of a waker: subclasses say when the next wake is due (:meth:`due_at`),
    what a look at other processes' commits finds (:meth:`look`) and what a wake starts
    (:meth:`tick`); ``watch`` None: no look. :meth:`notify_in_loop` hands a note to the loop
    from any thread (a sync HTTP route commits in a worker thread)."""

    #: the waker's task name, and the start of its warnings
    name: ClassVar[str] = "wake"
    #: what a failed look and a failed wake could not read, and what covers for them meanwhile
    look_failed: ClassVar[str] = "cannot look at other processes' commits"
    tick_failed: ClassVar[str] = "cannot read what to wake"
    meanwhile: ClassVar[str] = "the interval runs cover them meanwhile"

    def __init__(
        self,
        *,
        now: Callable[[], datetime],
        watch: timedelta | None,
        retry: timedelta,
        run: Callable[[Any], Awaitable[Any]],
        run_name: Callable[[Any], str],
    ) -> None:
        self.now = now
        self.watch = watch
        self.retry = retry  # how soon a failed wake, or a unit held elsewhere, is tried again
        self._changed = asyncio.Event()
        #: the runs it starts (``run(unit)``, each task named ``run_name(unit)``)
        self._runs: WakeRuns[Any] = WakeRuns(
            run,
            now=now,
            retry_after=retry,
            changed=self._changed,
            name=run_name,
            ended=report_ended,
        )
        #: the loop the runs start on: notes from other threads are handed to it
        self._loop: asyncio.AbstractEventLoop | None = None
        with contextlib.suppress(RuntimeError):  # built outside a loop: serve() binds it
            self._loop = asyncio.get_running_loop()

    @property
    def runs(self) -> dict[Any, int]:
        """Runs started, per unit (for the tests and the log)."""
        return self._runs.runs

    @abstractmethod
    def due_at(self) -> datetime | None:
        """When the next wake is due (None: nothing waits)."""

    @abstractmethod
    def look(self) -> int:
        """Note what other processes committed since the last look; how many it found."""

    @abstractmethod
    async def tick(self) -> list[asyncio.Task[None]]:
        """Start what is due now; the runs started."""

    def notify_in_loop(self, action: Callable[..., None], *args: Any) -> None:
        """``action(*args)`` on the waker's loop, from any thread."""
        in_loop(self._loop, action, *args)

    def start(self) -> asyncio.Task[None]:
        """:meth:`serve` as a task of the running loop (cancel it to stop)."""
        task = asyncio.create_task(self.serve(), name=self.name)
        task.add_done_callback(report_ended)
        return task

    async def serve(self) -> None:
        """Wake what is due as commits come, and look every ``watch``, until cancelled
        (``channelhub run`` cancels it at shutdown, before draining the runs in flight)."""
        self._loop = asyncio.get_running_loop()
        next_look = self.now()
        while True:
            self._changed.clear()
            due = self.due_at()
            if self.watch is not None:
                due = next_look if due is None else min(due, next_look)
            timeout = None if due is None else max((due - self.now()).total_seconds(), 0.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout)
            if self.watch is not None and self.now() >= next_look:
                next_look = self.now() + self.watch
                self._warned(self.look, self.look_failed, "looking", self.watch)
            try:
                await self.tick()
            except SQLAlchemyError as error:  # what was due waits for the next window
                pause = max(self.retry, _LEAST_PAUSE)  # never spin on a database that is down
                self._warn(self.tick_failed, "trying", pause, error)
                await asyncio.sleep(pause.total_seconds())

    def _warned(
        self, action: Callable[[], object], failed: str, again: str, after: timedelta
    ) -> None:
        try:
            action()
        except SQLAlchemyError as error:
            self._warn(failed, again, after, error)

    def _warn(self, failed: str, again: str, after: timedelta, error: Exception) -> None:
        log.warning(
            "%s: %s (%s); %s again in %g s, %s",
            self.name, failed, type(error).__name__, again, after.total_seconds(), self.meanwhile,
        )  # fmt: skip
