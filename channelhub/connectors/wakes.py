"""Finished-operation wakes: a platform's "your operation finished" notification wakes the read
waiting on that operation in this process at once, instead of at its next poll.

The webhook intake (jobs) announces an operation once its delivery is verified and stored; a
connector waiting on a long operation (a Shopify bulk query) races each poll pause against
the announcement (:meth:`OperationWakes.pause`). The two sides may run on different threads
and event loops (the intake worker thread, a job's loop), so the waiter is woken through its
own loop. An announcement that comes before the read pauses is kept (the last
:data:`KEPT`), so a quick operation's notification is not lost. A notification is a hint:
the woken read asks the platform for the operation's state. Polling stays the safety net:
an announcement never reaches a read in another process.

One :class:`OperationWakes` is made per hub process and handed to both sides: the connector
factory puts it in each :class:`~channelhub.connectors.plugin.ConnectorContext` (``wakes``),
the app's webhook intake announces on it. Without one, a read pauses in full.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable

#: Announcements kept for reads that have not paused yet (oldest dropped first).
KEPT = 1024

_Key = tuple[str, str]
_Waiter = tuple[asyncio.AbstractEventLoop, asyncio.Event]


class OperationWakes:
    """The process's announced operations and the reads pausing on them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._announced: OrderedDict[_Key, None] = OrderedDict()
        self._waiting: dict[_Key, list[_Waiter]] = {}

    def announce(self, account: str, operation: str) -> int:
        """``operation`` of ``account`` finished: wake its reads (or keep it for the next
        one to pause). Returns how many reads were pausing on it."""
        key = (account, operation)
        with self._lock:
            waiters = self._waiting.pop(key, [])
            if not waiters:
                self._announced[key] = None
                self._announced.move_to_end(key)
                while len(self._announced) > KEPT:
                    self._announced.popitem(last=False)
        for loop, event in waiters:
            loop.call_soon_threadsafe(event.set)
        return len(waiters)

    async def pause(
        self,
        account: str,
        operation: str,
        seconds: float,
        sleep: Callable[[float], Awaitable[None]],
    ) -> bool:
        """Sleep ``seconds`` (with the injected ``sleep``) unless ``operation`` is announced
        first; True when it was (the announcement is then used up: a read that still finds
        the operation running pauses in full the next time)."""
        key = (account, operation)
        event = asyncio.Event()
        waiter = (asyncio.get_running_loop(), event)
        with self._lock:
            if self._announced.pop(key, "absent") is None:
                return True
            self._waiting.setdefault(key, []).append(waiter)
        sleeper = asyncio.ensure_future(sleep(seconds))
        woken = asyncio.ensure_future(event.wait())
        try:
            await asyncio.wait({sleeper, woken}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, woken):
                task.cancel()
            await asyncio.gather(sleeper, woken, return_exceptions=True)
            with self._lock:
                mine = self._waiting.get(key, [])
                announced = not any(w is waiter for w in mine)  # announce() took it
                left = [w for w in mine if w is not waiter]
                if left:
                    self._waiting[key] = left
                else:
                    self._waiting.pop(key, None)
        failed = None if sleeper.cancelled() else sleeper.exception()
        if failed is not None:
            raise failed
        return announced
