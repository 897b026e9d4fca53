"""Webhook intake as a job: the route only verifies and stores a delivery; this applies it.

``POST /webhooks/{account}`` answers as soon as the raw body and its delivery row
(``processed_at`` empty) are committed. :func:`process_pending` then takes each pending
delivery in its own transaction: it claims the row (``UPDATE ... WHERE processed_at IS
NULL``: of two processes, one wins and the other skips it), maps the raw body with the
platform's mapping and takes the orders in (:func:`~channelhub.jobs.orders.intake.intake_order`).
A Shopify ``bulk_operations/finish`` delivery carries no order: once it is taken, the bulk
order read of this process waiting on that operation is woken
(the :class:`~channelhub.connectors.wakes.OperationWakes` the intake was given) instead of
waiting for its next poll.
Whatever one delivery raises is set aside: the transaction is rolled back and a second one
marks the delivery processed and files a dead letter pointing at its raw body (replayable with
``channelhub jobs replay``). The delivery was acknowledged already and stays so.

:class:`IntakeWorker` runs it promptly in the serving process: each accepted delivery wakes
it, wakes that arrive while it works coalesce into one more pass, and a periodic sweep (the
scheduler's) catches anything a crash left pending.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from channelhub.connectors.wakes import OperationWakes
from channelhub.core.models import Order
from channelhub.jobs.engine.kinds import JobKind
from channelhub.jobs.orders.intake import intake_order
from channelhub.mappings.catalog import normalizer
from channelhub.mappings.shopify.bulk import FINISH_TOPIC, finished_operation
from channelhub.store.repos.jobs import record_dead_letter
from channelhub.store.tables.jobs import WebhookDelivery
from channelhub.store.tables.sync import RawPayload

log = logging.getLogger(__name__)

#: Topics whose body is an order (Shopify ``orders/...``, others' spellings).
ORDER_TOPIC_PREFIXES = ("orders/", "orders_", "ORDER_")
JOB_KIND = "webhook"
#: A dead letter's reason keeps at most this much of an error message.
REASON_LIMIT = 500
#: The worker's batch (one transaction) and its wait after a wake.
WORKER_BATCH = 50
SETTLE_SECONDS = 0.05
#: A wake less than this long ago means a burst is on: the worker then defers to the routes
#: (a burst of up to BURST_DEFER_SECONDS is accepted with the process to itself), and in a
#: longer one takes BURST_PASS_SECONDS of batches every BURST_DEFER_SECONDS (about 10% of the
#: time), so a sustained stream is applied too; in a lull it applies the backlog at once (a
#: lone delivery QUIET_SECONDS after it came).
QUIET_SECONDS = 0.25
#: 2 s (was 5): an order in a burst must be in the hub within 5 s of its delivery (issue 17;
#: bench/bench_order_latency.py measures a burst of 200).
BURST_DEFER_SECONDS = 2.0
BURST_PASS_SECONDS = 0.2


@dataclass
class IntakeCounts:
    """What one pass did."""

    processed: int = 0
    dead_letters: int = 0
    skipped: int = 0  # claimed by another process first
    more: bool = False  # a bounded pass stopped with deliveries still pending

    def __iadd__(self, other: IntakeCounts) -> IntakeCounts:
        self.processed += other.processed
        self.dead_letters += other.dead_letters
        self.skipped += other.skipped
        self.more = other.more
        return self


def is_order_topic(topic: str) -> bool:
    return topic.startswith(ORDER_TOPIC_PREFIXES)


def _claim(session: Session, delivery_id: int, now: datetime) -> bool:
    result = session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.processed_at.is_(None))
        .values(processed_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def _apply(session: Session, delivery: WebhookDelivery, *, now: datetime) -> bytes | None:
    """Take the delivery's orders in; returns its raw body."""
    raw = session.get(RawPayload, delivery.raw_payload_id) if delivery.raw_payload_id else None
    body = raw.body if raw is not None else None
    for order in _map(delivery, body):
        intake_order(session, order, now=now, raw_payload_id=delivery.raw_payload_id)
    return body


def finished_bulk_operation(delivery: WebhookDelivery, body: bytes | None) -> str | None:
    """The bulk operation a Shopify ``bulk_operations/finish`` delivery names (pure)."""
    if str(delivery.platform) != "shopify" or delivery.topic != FINISH_TOPIC or body is None:
        return None
    try:
        payload: Any = json.loads(body)
    except ValueError:  # verified as a JSON object at the route; a hint, nothing to wake
        return None
    return finished_operation(payload)


def units_woken(deliveries: Iterable[tuple[str, str, str]]) -> set[tuple[str, JobKind]]:
    """The jobs new deliveries ``(platform, account, topic)`` call for beside the intake: a
    finished Shopify bulk query, the account's order import (the distributed engine defers
    it with the delivery's commit: a read that stopped waiting resumes the operation at once;
    one still waiting in another process finds it at its next poll)."""
    return {
        (account, JobKind.PULL_ORDERS)
        for platform, account, topic in deliveries
        if platform == "shopify" and topic == FINISH_TOPIC
    }


def _wake_bulk_reads(
    taken: list[tuple[WebhookDelivery, bytes | None]], wakes: OperationWakes | None
) -> None:
    """After the commit: wake this process's reads waiting on the finished operations."""
    if wakes is None:
        return
    for delivery, body in taken:
        operation = finished_bulk_operation(delivery, body)
        if operation is not None:
            wakes.announce(delivery.account, operation)


def _dead_letter(session: Session, delivery: WebhookDelivery, reason: str, now: datetime) -> None:
    record_dead_letter(
        session,
        account=delivery.account,
        platform=str(delivery.platform),
        job_kind=JOB_KIND,
        subject="order",
        reason=reason[:REASON_LIMIT],
        now=now,
        external_id=delivery.event_id[:255],
        raw_payload_id=delivery.raw_payload_id,
        payload={"topic": delivery.topic, "event_id": delivery.event_id},
        dedupe_key=f"record:{delivery.account}:webhook:{delivery.raw_payload_id}",
    )


def _set_aside(
    session_factory: sessionmaker[Session], delivery: WebhookDelivery, reason: str, now: datetime
) -> bool:
    with session_factory.begin() as session:
        if not _claim(session, delivery.id, now):
            return False
        _dead_letter(session, delivery, reason, now)
    return True


def process_one(
    session_factory: sessionmaker[Session],
    delivery: WebhookDelivery,
    *,
    now: datetime,
    wakes: OperationWakes | None = None,
) -> IntakeCounts:
    """Apply one pending delivery, or set it aside as a dead letter (never raises for it)."""
    try:
        with session_factory.begin() as session:
            if not _claim(session, delivery.id, now):
                return IntakeCounts(skipped=1)
            body = _apply(session, delivery, now=now)
        _wake_bulk_reads([(delivery, body)], wakes)
        return IntakeCounts(processed=1)
    except Exception as exc:  # noqa: BLE001 - per-record isolation: set aside, kept, replayable
        reason = f"{type(exc).__name__}: {exc}"
    log.warning(
        "webhook %s for %s not applied (dead letter): %.200s",
        delivery.event_id, delivery.account, reason,
    )  # fmt: skip
    if _set_aside(session_factory, delivery, reason, now):
        return IntakeCounts(dead_letters=1)
    return IntakeCounts(skipped=1)


def _map(delivery: WebhookDelivery, body: bytes | None) -> list[Order]:
    """The orders of one delivery (pure: no database)."""
    if body is None or not is_order_topic(delivery.topic):
        return []
    document: Any = json.loads(body, parse_float=Decimal)
    records = normalizer(str(delivery.platform), "order")(document, account=delivery.account)
    return [record for record in records if isinstance(record, Order)]


def process_batch(
    session_factory: sessionmaker[Session],
    rows: list[WebhookDelivery],
    *,
    now: datetime,
    lock: AbstractContextManager[Any] | None = None,
    wakes: OperationWakes | None = None,
) -> IntakeCounts:
    """Apply ``rows`` in one transaction: mapped first, outside it (CPU, no lock held), then
    claimed together and taken in. A record the mapping refuses is a dead letter in the same
    transaction; should taking one in fail, the batch is rolled back and every delivery is
    done again alone (:func:`process_one`), so the failure stays that delivery's."""
    if not rows:
        return IntakeCounts()
    with session_factory() as session:
        ids = [r.raw_payload_id for r in rows if r.raw_payload_id is not None]
        found = session.execute(
            select(RawPayload.id, RawPayload.body).where(RawPayload.id.in_(ids))
        )
        bodies: dict[int, bytes] = {row.id: row.body for row in found}
    mapped: dict[int, list[Order] | str] = {}
    for row in rows:
        try:
            mapped[row.id] = _map(row, bodies.get(row.raw_payload_id or 0))
        except Exception as exc:  # noqa: BLE001 - per-record isolation: a dead letter below
            mapped[row.id] = f"{type(exc).__name__}: {exc}"
    counts = IntakeCounts()
    taken: list[tuple[WebhookDelivery, bytes | None]] = []
    try:
        with lock or nullcontext(), session_factory.begin() as session:
            claimed = set(
                session.scalars(
                    update(WebhookDelivery)
                    .where(
                        WebhookDelivery.id.in_([r.id for r in rows]),
                        WebhookDelivery.processed_at.is_(None),
                    )
                    .values(processed_at=now)
                    .returning(WebhookDelivery.id)
                    .execution_options(synchronize_session=False)
                )
            )
            for row in rows:
                outcome = mapped[row.id]
                if row.id not in claimed:
                    counts.skipped += 1
                elif isinstance(outcome, str):
                    _dead_letter(session, row, outcome, now)
                    counts.dead_letters += 1
                else:
                    for order in outcome:
                        intake_order(session, order, now=now, raw_payload_id=row.raw_payload_id)
                    counts.processed += 1
                    taken.append((row, bodies.get(row.raw_payload_id or 0)))
    except Exception:
        log.warning("a webhook intake batch failed; applying its %d deliveries one by one",
                    len(rows), exc_info=True)  # fmt: skip
        counts = IntakeCounts()
        for row in rows:
            with lock or nullcontext():
                counts += process_one(session_factory, row, now=now, wakes=wakes)
        return counts
    _wake_bulk_reads(taken, wakes)
    return counts


def pending(session: Session, *, limit: int) -> list[WebhookDelivery]:
    """The oldest deliveries not yet applied."""
    rows = session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.processed_at.is_(None))
        .order_by(WebhookDelivery.id)
        .limit(limit)
    )
    found = list(rows)
    session.expunge_all()
    return found


def process_pending(
    session_factory: sessionmaker[Session],
    *,
    now: Callable[[], datetime],
    batch: int = 50,
    lock: AbstractContextManager[Any] | None = None,
    max_batches: int | None = None,
    wakes: OperationWakes | None = None,
) -> IntakeCounts:
    """Apply every pending delivery, ``batch`` rows at a time, until none is left (or after
    ``max_batches``; ``more`` then says whether some are left)."""
    counts = IntakeCounts()
    done = 0
    while True:
        with session_factory() as session:
            rows = pending(session, limit=batch)
        counts += process_batch(session_factory, rows, now=now(), lock=lock, wakes=wakes)
        done += 1
        counts.more = len(rows) == batch
        if not counts.more or (max_batches is not None and done >= max_batches):
            return counts


class IntakeWorker:
    """One background thread running :func:`process_pending` whenever woken.

    ``wake()`` costs a flag set: a burst of deliveries coalesces into a few passes. The thread
    starts on the first wake; ``background=False`` (tests) never starts it: the caller runs
    :meth:`run_once` itself.
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        now: Callable[[], datetime],
        background: bool = True,
        lock: AbstractContextManager[Any] | None = None,
        wakes: OperationWakes | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._wakes = wakes
        self._background = background
        self._write_lock = lock
        self._now = now
        self._wanted = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.passes = 0
        self.counts = IntakeCounts()
        self._woken_at = 0.0
        self._burst_began = 0.0

    def wake(self) -> None:
        """Ask for a pass soon (starts the thread the first time)."""
        at = time.monotonic()
        if at - self._woken_at >= QUIET_SECONDS:
            self._burst_began = at
        self._woken_at = at
        self._wanted.set()
        if not self._background:  # tests: passes run when they call run_once()
            return
        with self._lock:
            if self._thread is None and not self._stopping.is_set():
                self._thread = threading.Thread(
                    target=self._loop, name="channelhub-webhook-intake", daemon=True
                )
                self._thread.start()

    def _loop(self) -> None:
        last_pass = float("-inf")
        while True:
            self._wanted.wait(timeout=1.0)
            if self._stopping.is_set():  # one last bounded pass: what was accepted is applied
                self.run_once(max_batches=1)
                return
            if not self._wanted.is_set():
                continue
            at = time.monotonic()
            burst = at - self._woken_at < QUIET_SECONDS
            if burst and at - max(last_pass, self._burst_began) < BURST_DEFER_SECONDS:
                # deliveries are arriving: accepting them comes first (the routes share this
                # process's GIL and, on SQLite, the write lock)
                time.sleep(SETTLE_SECONDS)
                continue
            self._wanted.clear()
            last_pass = time.monotonic()
            counts = self.run_once(max_batches=1)
            while burst and counts.more and time.monotonic() - last_pass < BURST_PASS_SECONDS:
                counts = self.run_once(max_batches=1)
            if counts.more:
                self._wanted.set()

    def run_once(self, max_batches: int | None = None) -> IntakeCounts:
        """One pass now, in the caller's thread (the sweep and the tests use it)."""
        try:
            counts = process_pending(
                self._session_factory,
                now=self._now,
                lock=self._write_lock,
                batch=WORKER_BATCH,
                max_batches=max_batches,
                wakes=self._wakes,
            )
        except Exception:
            log.exception("webhook intake pass failed; pending deliveries wait for the next")
            return IntakeCounts()
        self.passes += 1
        self.counts += counts
        return counts

    def stop(self, timeout: float = 2.0) -> None:
        """Finish the pass in progress, run one last batch, and stop the thread (what is
        left stays pending for the next start's pass)."""
        self._stopping.set()
        self._wanted.set()
        if self._thread is not None:
            self._thread.join(timeout)
