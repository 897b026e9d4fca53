"""Wake the stock push when a ledger change commits, instead of at the next interval tick.

Before this, a movement only marked its SKU dirty and the push ran on its interval (5 min by
default, with a 30 s debounce on top): a count change reached the channels after minutes. Now:

1. :func:`~channelhub.store.repos.stock_sync.mark_dirty` notes the SKUs it marks on the
   session (``session.info``), whoever records the movement (a callback, a stock pull, the
   order pipeline's reservations, the console).
2. :func:`install_stock_wake` listens to the sessions of a ``sessionmaker``: when a root
   transaction that marked SKUs is about to commit, it calls the **announce seam** (below)
   with the session, still inside that transaction, and the SKUs.
3. The embedded engine's announce, :meth:`StockWaker.announce`, hands the SKUs to the
   :class:`StockWaker` only once the transaction has committed (a rollback wakes nothing).
   The waker coalesces a burst: it fires once no stock change has committed for
   ``[stock] debounce_seconds``, or ``max_wait_seconds`` after the burst began (a
   best-seller never goes quiet), maps the SKUs to the scheduled accounts whose listings ship
   them (:func:`accounts_listing`) and runs each one's push through the :class:`JobService`
   (``run_push``): the lease keeps two runs of one account apart, the connector's limiter
   keeps the channel's rate limit, and a run already in flight is followed by one more.

4. A change another process committed (a ``channelhub stock set`` or ``sync orders`` typed in
   a terminal while ``channelhub run`` serves) passes no hook of this process. Every
   ``[stock] watch_seconds`` (5 s) the waker looks at the dirty marks (:meth:`StockWaker.look`):
   a SKU whose mark changed later than this process noted it joins the burst at the time it
   changed, and is pushed as above.

The interval job stays as the safety net (a wake lost to a crash, a mark older than
:data:`LOOKBACK` when first seen), and so does the periodic full sweep (``sweep_seconds``).

**The seam for a distributed engine** is the ``announce`` argument of
:func:`install_stock_wake`, a :data:`StockAnnounce`: ``announce(session, skus)`` is called
once per committing root transaction that marked stock SKUs, *inside* that transaction
(``session.connection()`` is usable and anything written there commits or rolls back with the
ledger change). The embedded engine passes :meth:`StockWaker.announce`; a distributed engine
passes a function that defers its push job in the same transaction instead, and runs no
waker. Nothing else changes.

A savepoint rolled back inside a committed transaction still announces the SKUs it marked:
the push then recomputes, finds nothing changed and sends nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from channelhub.jobs.engine.waker import Waker, listening
from channelhub.jobs.stock.push import StockSyncTiming
from channelhub.jobs.stock.reach import accounts_reached
from channelhub.store.repos.stock_sync import MARKED_INFO_KEY, marks_changed_since

#: The seam: called with the session, inside the committing transaction, and the stock SKUs
#: that transaction marked dirty. Embedded engine: :meth:`StockWaker.announce`.
StockAnnounce = Callable[[Session, frozenset[str]], None]

#: How far back :meth:`StockWaker.look` reads the dirty marks: an older one is the interval
#: run's (every 300 s by default), which pushes whatever marks it finds.
LOOKBACK = timedelta(minutes=15)

#: ``session.info`` key: callables to run once the session's root transaction committed.
_ON_COMMIT_KEY = "channelhub.on_commit"


def on_commit(session: Session, action: Callable[[], None]) -> None:
    """Run ``action`` once the session's current root transaction has committed (never when
    it rolls back)."""
    session.info.setdefault(_ON_COMMIT_KEY, []).append(action)


def install_stock_wake(
    factory: sessionmaker[Session], announce: StockAnnounce
) -> Callable[[], None]:
    """Call ``announce`` for every committing root transaction of ``factory``'s sessions that
    marked stock SKUs dirty (see the module docstring). Returns the uninstaller."""

    def before_commit(session: Session) -> None:
        if session.in_nested_transaction():
            return  # a savepoint: the root commit announces
        marked = session.info.get(MARKED_INFO_KEY)
        if marked:
            announce(session, frozenset(marked))

    def after_commit(session: Session) -> None:
        if session.in_nested_transaction():
            return
        for action in session.info.pop(_ON_COMMIT_KEY, ()):
            action()

    def after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None:  # the root ended (committed or rolled back): forget
            session.info.pop(MARKED_INFO_KEY, None)
            session.info.pop(_ON_COMMIT_KEY, None)

    return listening(
        factory,
        {
            "before_commit": before_commit,
            "after_commit": after_commit,
            "after_transaction_end": after_transaction_end,
        },
    )


def accounts_listing(
    session: Session, skus: Collection[str], accounts: Mapping[str, str]
) -> set[str]:
    """Of ``accounts`` (name -> platform), those with a paired listing that ships one of
    ``skus`` (through its binding, pack size or bundle components), as the push resolves it.
    Reads only what the SKUs reach (:mod:`channelhub.jobs.stock.reach`), not the library."""
    return accounts_reached(session, skus, accounts)


@dataclass
class _Burst:
    """The SKUs changed since the last wake, and when the burst began and last moved."""

    skus: dict[str, tuple[datetime, datetime]]  # sku -> (first, last) committed change

    def first(self) -> datetime:
        return min(first for first, _ in self.skus.values())

    def last(self) -> datetime:
        return max(last for _, last in self.skus.values())


def marks_reader(factory: sessionmaker[Session]) -> Callable[[datetime], dict[str, datetime]]:
    """``marks_since(since)`` for a :class:`MarkLook`: the dirty marks changed after ``since``
    (:func:`~channelhub.store.repos.stock_sync.marks_changed_since`), in a session of
    ``factory``'s own."""

    def marks_since(since: datetime) -> dict[str, datetime]:
        with factory() as session:
            return marks_changed_since(session, since)

    return marks_since


class MarkLook:
    """The dirty marks' news for one process: the SKUs whose mark changed later than the last
    change this process noted for them (its own commits, its earlier looks), within
    :data:`LOOKBACK`. A mark a push has not consumed yet (a blocked push's, a failed one's)
    is news once, not at every look."""

    def __init__(self, marks_since: Callable[[datetime], Mapping[str, datetime]]) -> None:
        self.marks_since = marks_since
        self._noted: dict[str, datetime] = {}

    def noted(self, sku: str, at: datetime) -> None:
        """``sku`` changed at ``at``, as this process knows (a mark no later is not news)."""
        self._noted[sku] = max(self._noted.get(sku, at), at)

    def news(self, now: datetime) -> dict[str, datetime]:
        """The SKUs whose marks are news at ``now`` -> their latest change (then noted)."""
        since = now - LOOKBACK
        fresh = {
            sku: changed
            for sku, changed in self.marks_since(since).items()
            if changed > self._noted.get(sku, since)
        }
        self._noted = {sku: at for sku, at in self._noted.items() if at > since} | fresh
        return fresh

    def forget(self, skus: Collection[str]) -> None:
        """``skus`` are news again at the next look (what this look found was not queued)."""
        for sku in skus:
            self._noted.pop(sku, None)


class StockWaker(Waker):
    """Runs the stock push of the accounts a committed ledger change affects, debounced.

    ``accounts_for(skus)`` names the accounts to push (:func:`accounts_listing` in a session
    of its own); ``run_push(account)`` runs one push (``JobService.run``) and returns its
    :class:`~channelhub.jobs.engine.runner.JobResult`, or None when the service is stopping.
    ``now`` is the same clock the push job reads, so the waker and the job's own debounce on
    the dirty marks agree. ``marks_since(since)`` reads the SKUs whose dirty marks changed
    after ``since`` (:func:`~channelhub.store.repos.stock_sync.marks_changed_since`), for
    :meth:`look`; None: no look. :meth:`serve` drives it; tests call :meth:`tick` and
    :meth:`look` with a fake clock.
    """

    name = "stock wake"
    look_failed = "cannot read the stock changes of other processes"
    tick_failed = "cannot read which accounts list the changed SKUs"
    meanwhile = "the interval push covers them meanwhile"

    def __init__(
        self,
        *,
        accounts_for: Callable[[frozenset[str]], Collection[str]],
        run_push: Callable[[str], Awaitable[Any]],
        now: Callable[[], datetime],
        timing: StockSyncTiming,
        marks_since: Callable[[datetime], Mapping[str, datetime]] | None = None,
    ) -> None:
        super().__init__(
            now=now,
            watch=timing.watch if marks_since is not None else None,
            retry=timing.debounce,
            run=run_push,
            run_name=lambda account: f"stock wake of {account}",
        )
        self.accounts_for = accounts_for
        self.run_push = run_push
        self.timing = timing
        self.marks_since = marks_since
        self._burst = _Burst({})
        self._look = None if marks_since is None else MarkLook(marks_since)

    # --- in: committed changes --------------------------------------------------------------

    def announce(self, session: Session, skus: frozenset[str]) -> None:
        """The embedded engine's :data:`StockAnnounce`: notify once the transaction commits."""
        on_commit(session, lambda: self.notify(skus))

    def notify(self, skus: Collection[str]) -> None:
        """Committed stock changes of ``skus``; safe to call from any thread (a sync HTTP
        route commits in a worker thread)."""
        self.notify_in_loop(self._note, frozenset(skus))

    def _note(self, skus: frozenset[str], at: datetime | None = None) -> None:
        """``skus`` changed at ``at`` (None: now): into the burst, its first and last change
        kept in order (a mark looked at may be older than a change noted since)."""
        at = self.now() if at is None else at
        for sku in skus:
            first, last = self._burst.skus.get(sku, (at, at))
            self._burst.skus[sku] = (min(first, at), max(last, at))
            if self._look is not None:
                self._look.noted(sku, at)
        self._changed.set()

    def look(self) -> int:
        """Note the stock changes another process committed (:class:`MarkLook`), each at the
        time its mark says, so the debounce counts from the change, not from this look.
        Returns how many SKUs it noted (0 without ``marks_since``)."""
        if self._look is None:
            return 0
        fresh = self._look.news(self.now())
        for sku, changed in fresh.items():
            self._note(frozenset({sku}), at=changed)
        return len(fresh)

    # --- when ---------------------------------------------------------------------------------

    def due_at(self) -> datetime | None:
        """When the next wake is due: the burst quiet for the debounce, or at the latest the
        maximum wait after it began; or an account's retry. None: nothing waits."""
        retry = self._runs.retry_at()
        times = [] if retry is None else [retry]
        if self._burst.skus:
            quiet = self._burst.last() + self.timing.debounce
            times.append(min(quiet, self._burst.first() + self.timing.max_wait))
        return min(times, default=None)

    def _take_due(self, now: datetime) -> frozenset[str]:
        """The burst's SKUs the push job will find due at ``now`` (its debounce rule); the
        others stay in the burst."""
        settled = now - self.timing.debounce
        waited = now - self.timing.max_wait
        due = {
            sku
            for sku, (first, last) in self._burst.skus.items()
            if last <= settled or first <= waited
        }
        for sku in due:
            del self._burst.skus[sku]
        return frozenset(due)

    # --- out: push runs -----------------------------------------------------------------------

    async def tick(self) -> list[asyncio.Task[None]]:
        """Wake what is due now: start the push of every affected account (one run each; an
        account already running gets one more run after it). Returns the runs started."""
        now = self.now()
        due = self.due_at()
        if due is None or due > now:
            return []
        accounts = self._runs.take_retries(now)
        skus = self._take_due(now)
        if skus:
            try:
                accounts |= set(self.accounts_for(skus))
            except BaseException:
                self._note(skus)  # not lost: woken again after another debounce window
                raise
        return [task for name in sorted(accounts) if (task := self._runs.start(name)) is not None]
