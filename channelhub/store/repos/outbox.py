"""The outbox: enqueue with the decision, claim due messages, record how sending went.

A message is enqueued in the same transaction as the decision that produced it, keyed by
an idempotency key (enqueueing twice stores one row). A sender claims a due batch (rows
locked with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL so parallel senders split the work),
then marks each sent, failed (retried later with backoff) or dead (kept for replay).
A claim is itself a lease: a sender that dies mid-send leaves the row ``sending`` until
``claim_for`` passes, then it is due again, and the receiver dedupes on the key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from channelhub.core.errors import InvalidInput, NotFound
from channelhub.store.repos._upsert import insert_for
from channelhub.store.repos.txnotes import OUTBOX_TARGETS_KEY, note
from channelhub.store.tables.outbox import OutboxMessage, OutboxState

MAX_ERROR_LENGTH = 2000
DEFAULT_MAX_ATTEMPTS = 8

Backoff = Callable[[int], timedelta]


def exponential_backoff(attempts: int) -> timedelta:
    """30 s after the first failure, doubling, at most 1 h (deterministic: no jitter)."""
    exponent = min(max(attempts - 1, 0), 20)  # capped before it can overflow a timedelta
    return min(timedelta(seconds=30 * 2**exponent), timedelta(hours=1))


class Enqueued(NamedTuple):
    """The message id and whether this call created it (False: the key was already there)."""

    id: int
    is_new: bool


def enqueue(
    session: Session,
    *,
    idempotency_key: str,
    target: str,
    kind: str,
    payload: Mapping[str, Any],
    now: datetime,
) -> Enqueued:
    """Add a message unless one with ``idempotency_key`` exists (atomic, never doubled)."""
    statement = (
        insert_for(session, OutboxMessage)
        .values(
            idempotency_key=idempotency_key,
            target=target,
            kind=kind,
            payload=dict(payload),
            state=OutboxState.PENDING.value,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(OutboxMessage.id)
    )
    new_id = session.execute(statement).scalar_one_or_none()
    if new_id is not None:
        note(session, OUTBOX_TARGETS_KEY, [target])
        return Enqueued(new_id, True)
    existing = session.scalars(
        select(OutboxMessage.id).where(OutboxMessage.idempotency_key == idempotency_key)
    ).one()
    return Enqueued(existing, False)


def claim_due(
    session: Session,
    *,
    now: datetime,
    limit: int = 50,
    claim_for: timedelta = timedelta(minutes=5),
    targets: Sequence[str] | None = None,
) -> list[OutboxMessage]:
    """Mark up to ``limit`` due messages ``sending`` (attempts + 1) and return them.

    Due: pending/failed whose ``next_attempt_at`` has come, or ``sending`` whose claim
    lapsed. Commit right after claiming, send, then record the outcome in a new transaction.
    Claimed rows come back in id order.
    """
    due = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.state.in_(
                [OutboxState.PENDING.value, OutboxState.FAILED.value, OutboxState.SENDING.value]
            ),
            OutboxMessage.next_attempt_at <= now,
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if targets is not None:
        due = due.where(OutboxMessage.target.in_(list(targets)))
    # One statement: no window between choosing rows and marking them (SQLite included).
    claimed = session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due))
        .values(
            state=OutboxState.SENDING.value,
            attempts=OutboxMessage.attempts + 1,
            next_attempt_at=now + claim_for,
            updated_at=now,
        )
        .returning(OutboxMessage)
        .execution_options(populate_existing=True)
    ).all()
    return sorted(claimed, key=lambda row: row.id)


def _get(session: Session, message_id: int) -> OutboxMessage:
    row = session.get(OutboxMessage, message_id)
    if row is None:
        raise NotFound(f"outbox message {message_id} does not exist")
    return row


def mark_sent(session: Session, message_id: int, *, now: datetime) -> None:
    """The receiver accepted the message: done for good."""
    row = _get(session, message_id)
    row.state = OutboxState.SENT.value
    row.last_error = None
    row.updated_at = now
    session.flush()


def await_confirmation(
    session: Session, message_id: int, *, until: datetime, now: datetime
) -> None:
    """The receiver took the message and a later read of it confirms it
    (:mod:`~channelhub.jobs.fulfilment.confirmations`): it stays ``sending``, its claim held
    until ``until``; unconfirmed by then, the claim lapses and it is taken again as a retry
    (which reads back before sending anything)."""
    row = _get(session, message_id)
    row.state = OutboxState.SENDING.value
    row.next_attempt_at = until
    row.last_error = None
    row.updated_at = now
    session.flush()


def mark_failed(
    session: Session,
    message_id: int,
    *,
    error: str,
    now: datetime,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    backoff: Backoff = exponential_backoff,
) -> OutboxState:
    """A retryable failure: retry after ``backoff(attempts)``, or dead after ``max_attempts``.

    ``error`` must already be redacted (no secrets); it is kept for the operator.
    """
    row = _get(session, message_id)
    row.last_error = error[:MAX_ERROR_LENGTH]
    row.updated_at = now
    if row.attempts >= max_attempts:
        row.state = OutboxState.DEAD.value
    else:
        row.state = OutboxState.FAILED.value
        row.next_attempt_at = now + backoff(row.attempts)
    session.flush()
    return OutboxState(row.state)


def release_untried(
    session: Session, message_id: int, *, retry_at: datetime, error: str, now: datetime
) -> OutboxState:
    """Hand a claimed message back without trying it (its warehouse stopped answering earlier
    in the run, or what it follows is still being sent): the claim's attempt is not counted,
    and it is due again at ``retry_at``. Returns its state (failed after earlier tries,
    else pending)."""
    row = _get(session, message_id)
    row.attempts = max(row.attempts - 1, 0)
    row.state = (OutboxState.FAILED if row.attempts else OutboxState.PENDING).value
    row.next_attempt_at = retry_at
    row.last_error = error[:MAX_ERROR_LENGTH]
    row.updated_at = now
    session.flush()
    return OutboxState(row.state)


def dead_letter(session: Session, message_id: int, *, error: str, now: datetime) -> None:
    """A fatal failure (retrying cannot help): park it for an operator to fix and replay."""
    row = _get(session, message_id)
    row.state = OutboxState.DEAD.value
    row.last_error = error[:MAX_ERROR_LENGTH]
    row.updated_at = now
    session.flush()


def replay(session: Session, message_id: int, *, now: datetime) -> None:
    """Send a dead or failed message again now, with a fresh attempt count.

    Sent messages are refused: replaying them would deliver twice.
    """
    row = _get(session, message_id)
    if row.state not in (OutboxState.DEAD.value, OutboxState.FAILED.value):
        raise InvalidInput.field(
            f"outbox message {message_id} state",
            row.state,
            "cannot be replayed (only dead or failed)",
        )
    row.state = OutboxState.PENDING.value
    row.attempts = 0
    row.next_attempt_at = now
    row.updated_at = now
    session.flush()
    note(session, OUTBOX_TARGETS_KEY, [row.target])


def list_messages(
    session: Session,
    *,
    states: Sequence[OutboxState] | None = None,
    target: str | None = None,
    limit: int = 100,
) -> list[OutboxMessage]:
    """Messages for inspection (e.g. the dead letters), oldest first."""
    query = select(OutboxMessage).order_by(OutboxMessage.id).limit(limit)
    if states is not None:
        query = query.where(OutboxMessage.state.in_([state.value for state in states]))
    if target is not None:
        query = query.where(OutboxMessage.target == target)
    return list(session.scalars(query))


class CameDue(NamedTuple):
    """A message waiting to be sent, and the time it came due (a retry comes due anew)."""

    id: int
    due: datetime
    target: str


def came_due(session: Session, *, after: datetime, until: datetime) -> list[CameDue]:
    """The messages waiting to be sent whose time came in ``(after, until]``: new ones (their
    time is when they were written) and retries come due. Read by ``ix_outbox_due``."""
    rows = session.execute(
        select(OutboxMessage.id, OutboxMessage.next_attempt_at, OutboxMessage.target).where(
            OutboxMessage.state.in_([OutboxState.PENDING.value, OutboxState.FAILED.value]),
            OutboxMessage.next_attempt_at > after,
            OutboxMessage.next_attempt_at <= until,
        )
    )
    return [CameDue(int(message_id), due, str(target)) for message_id, due, target in rows]
