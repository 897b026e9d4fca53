"""The runs a waker starts: one at a time per unit, one more after it, a retry when busy.

Shared by the embedded engine's two wakers, the stock push's
(:class:`~channelhub.jobs.stock.wake.StockWaker`) and the one of the units an outbox message
or a webhook topic calls for (:class:`~channelhub.jobs.engine.unit_wake.UnitWaker`). A unit
woken while its run is in flight runs once more when it ends (the run may have read before
the change committed); a unit whose lease another runner holds (the interval run, a person's
command) is tried again ``retry_after`` later, when that run has had time to finish.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

Unit = TypeVar("Unit", bound=Hashable)

log = logging.getLogger(__name__)


def report_ended(task: asyncio.Task[None]) -> None:
    """Say why a woken run, a waker or a look ended in error (the run log and dead letters
    already hold a run's failure; this is for the process's log, as the interval's are)."""
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("%s ended in error; the interval runs carry on", task.get_name(), exc_info=error)


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
