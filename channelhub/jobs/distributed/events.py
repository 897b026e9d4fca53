"""Defer the jobs a commit causes, inside the committing transaction.

Three events, each on the session's own connection (a rollback leaves no job, a commit
never loses one):

- a ledger change defers the debounced stock wake (through the stock seam,
  :func:`channelhub.jobs.stock.wake.install_stock_wake`), which defers the push of each
  account listing the changed SKUs;
- an outbox message accepted (or replayed) defers the unit that sends it: the dispatch of
  the warehouse account serving ``warehouse:CODE``, the tracking push of
  ``channel:PLATFORM:ACCOUNT``;
- a webhook delivery stored defers a pass of the intake, and the unit its topic calls for
  (Shopify's ``bulk_operations/finish``: the account's order import,
  :func:`~channelhub.jobs.orders.webhook_intake.units_woken`).

The repos note what they wrote in ``session.info`` (:mod:`channelhub.store.repos.txnotes`);
this hook reads the notes in ``before_commit``.

Only the hub's processes install the hook: a ledger change or an outbox message a CLI command
commits (a ``stock set`` or ``sync orders`` typed in a terminal) queues nothing.
``channelhub run`` looks for those, every ``[stock] watch_seconds`` for the stock changes
(:func:`look_for_stock_changes`) and every ``[jobs] watch_seconds`` for the messages, failed
ones whose retry time came included (:func:`look_for_messages`), and queues their jobs itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from channelhub.jobs.distributed.defer import defer_intake, defer_stock_wake, defer_unit
from channelhub.jobs.engine.outbox_units import units_for_targets
from channelhub.jobs.engine.unit_wake import OutboxLook, UnitWakeTiming, came_due_reader
from channelhub.jobs.orders.webhook_intake import units_woken
from channelhub.jobs.stock.push import StockSyncTiming
from channelhub.jobs.stock.wake import MarkLook, install_stock_wake, marks_reader
from channelhub.store.repos.txnotes import (
    NOTE_KEYS,
    OUTBOX_TARGETS_KEY,
    WEBHOOK_ACCOUNTS_KEY,
    take,
    take_topics,
)

log = logging.getLogger(__name__)


def install_event_defers(
    factory: sessionmaker[Session], *, now: Callable[[], datetime], timing: StockSyncTiming
) -> Callable[[], None]:
    """Defer, in every committing root transaction of ``factory``'s sessions, the jobs its
    writes call for. Returns the uninstaller."""

    def announce_stock(session: Session, skus: frozenset[str]) -> None:
        defer_stock_wake(
            session, skus, now=now(), debounce=timing.debounce, max_wait=timing.max_wait
        )

    def before_commit(session: Session) -> None:
        if session.in_nested_transaction():
            return
        targets = take(session, OUTBOX_TARGETS_KEY)
        if targets:
            for account, kind in sorted(units_for_targets(session, targets)):
                defer_unit(session, account, kind)
        if take(session, WEBHOOK_ACCOUNTS_KEY):
            defer_intake(session)
        for account, kind in sorted(units_woken(take_topics(session))):
            defer_unit(session, account, kind)

    def after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None:
            for key in NOTE_KEYS:
                session.info.pop(key, None)

    uninstall_stock = install_stock_wake(factory, announce_stock)
    event.listen(factory, "before_commit", before_commit)
    event.listen(factory, "after_transaction_end", after_transaction_end)

    def uninstall() -> None:
        uninstall_stock()
        event.remove(factory, "before_commit", before_commit)
        event.remove(factory, "after_transaction_end", after_transaction_end)

    return uninstall


def defer_looked_changes(
    factory: sessionmaker[Session], look: MarkLook, *, now: datetime, timing: StockSyncTiming
) -> int:
    """One look at the stock changes no hook queued (:class:`MarkLook`): their SKUs queued as
    one debounced stock wake, counted from the latest change (a wake already waiting takes
    them in). Returns how many SKUs; a failed queueing leaves them news for the next look."""
    fresh = look.news(now)
    if not fresh:
        return 0
    try:
        with factory.begin() as session:
            defer_stock_wake(
                session,
                frozenset(fresh),
                now=max(fresh.values()),
                debounce=timing.debounce,
                max_wait=timing.max_wait,
            )
    except BaseException:
        look.forget(fresh)
        raise
    return len(fresh)


def defer_looked_messages(
    factory: sessionmaker[Session], look: OutboxLook, *, now: datetime
) -> int:
    """One look at the outbox messages no hook queued a unit for (:class:`OutboxLook`: written
    by another process, or failed ones whose retry time came): the unit sending each target's
    messages queued (one already waiting takes them). Returns how many targets; a failed
    queueing leaves them news for the next look."""
    fresh = look.news(now)
    if not fresh:
        return 0
    try:
        with factory.begin() as session:
            for account, kind in sorted(units_for_targets(session, fresh)):
                defer_unit(session, account, kind)
    except BaseException:
        look.undo()
        raise
    return len(fresh)


async def look_for_messages(
    factory: sessionmaker[Session],
    *,
    now: Callable[[], datetime],
    timing: UnitWakeTiming,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """``channelhub run``'s outbox look (procrastinate engine): :func:`defer_looked_messages`
    every ``[jobs] watch_seconds``, until cancelled; nothing when it is off."""
    if timing.watch is None:
        return
    look = OutboxLook(came_due_reader(factory))
    await _every(
        timing.watch.total_seconds(),
        lambda: defer_looked_messages(factory, look, now=now()),
        "outbox look: cannot queue the units of other processes' outbox messages",
        "the interval runs send them meanwhile",
        sleep,
    )


async def look_for_stock_changes(
    factory: sessionmaker[Session],
    *,
    now: Callable[[], datetime],
    timing: StockSyncTiming,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """``channelhub run``'s look (procrastinate engine): :func:`defer_looked_changes` every
    ``timing.watch``, until cancelled; nothing when ``watch`` is off."""
    if timing.watch is None:
        return

    look = MarkLook(marks_reader(factory))
    await _every(
        timing.watch.total_seconds(),
        lambda: defer_looked_changes(factory, look, now=now(), timing=timing),
        "stock look: cannot queue the wake of other processes' stock changes",
        "the interval push covers them meanwhile",
        sleep,
    )


async def _every(
    seconds: float,
    look: Callable[[], object],
    failed: str,
    meanwhile: str,
    sleep: Callable[[float], Awaitable[None]],
) -> None:
    """``look()`` every ``seconds`` until cancelled; a database error is one warning line
    (``failed`` why, ``meanwhile`` what covers it) and the next look tries again."""
    while True:
        try:
            look()
        except SQLAlchemyError as error:
            log.warning(
                "%s (%s); looking again in %g s, %s",
                failed,
                type(error).__name__,
                seconds,
                meanwhile,
            )
        await sleep(seconds)
