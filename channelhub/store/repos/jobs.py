"""The run log, the dead-letter list and webhook deliveries.

Like every repository these flush and never commit: a page's counts and dead letters go in
the page's own transaction, so what the log says is what the data shows.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from channelhub.core.errors import InvalidInput, NotFound
from channelhub.store.repos._upsert import insert_for
from channelhub.store.repos.txnotes import WEBHOOK_ACCOUNTS_KEY, note, note_topics
from channelhub.store.tables.jobs import (
    DeadLetter,
    DeadLetterState,
    JobRun,
    RunOutcome,
    WebhookDelivery,
)
from channelhub.store.tables.outbox import OutboxMessage

MAX_ERROR_LENGTH = 2000


class RunCounts(NamedTuple):
    """What one page (or a whole run) did to the records it saw."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0

    def __add__(self, other: object) -> RunCounts:
        if not isinstance(other, RunCounts):
            return NotImplemented
        return RunCounts(*(a + b for a, b in zip(self, other, strict=True)))


# --- run log ---------------------------------------------------------------------------------


def start_run(session: Session, *, account: str, job_kind: str, holder: str, now: datetime) -> int:
    """Open a run row (outcome ``running``) and return its id."""
    row = JobRun(
        account=account,
        job_kind=job_kind,
        holder=holder,
        started_at=now,
        outcome=RunOutcome.RUNNING.value,
        pages=0,
        new=0,
        updated=0,
        unchanged=0,
        failed=0,
    )
    session.add(row)
    session.flush()
    return row.id


def add_to_run(session: Session, run_id: int, counts: RunCounts, *, pages: int = 1) -> None:
    """Add one page's counts to the run, in the page's transaction (atomic increments)."""
    session.execute(
        update(JobRun)
        .where(JobRun.id == run_id)
        .values(
            pages=JobRun.pages + pages,
            new=JobRun.new + counts.new,
            updated=JobRun.updated + counts.updated,
            unchanged=JobRun.unchanged + counts.unchanged,
            failed=JobRun.failed + counts.failed,
        )
        .execution_options(synchronize_session=False)
    )


def finish_run(
    session: Session,
    run_id: int,
    *,
    outcome: RunOutcome,
    now: datetime,
    error: str | None = None,
) -> JobRun:
    """Close the run with its outcome; ``error`` must already be redacted."""
    row = session.get(JobRun, run_id, populate_existing=True)
    if row is None:
        raise NotFound(f"job run {run_id} does not exist")
    row.outcome = outcome.value
    row.finished_at = now
    row.error = None if error is None else error[:MAX_ERROR_LENGTH]
    session.flush()
    return row


def abandon_runs(session: Session, *, account: str, job_kind: str, now: datetime) -> int:
    """Close the runs of (account, job kind) still marked running: call it holding the lease,
    so any such run belongs to a process that died. Returns how many were closed."""
    result = session.execute(
        update(JobRun)
        .where(
            JobRun.account == account,
            JobRun.job_kind == job_kind,
            JobRun.outcome == RunOutcome.RUNNING.value,
        )
        .values(
            outcome=RunOutcome.ABANDONED.value,
            finished_at=now,
            error="its process stopped without finishing (killed?); the next run resumed",
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def get_run(session: Session, run_id: int) -> JobRun:
    row = session.get(JobRun, run_id, populate_existing=True)
    if row is None:
        raise NotFound(f"job run {run_id} does not exist (see `channelhub jobs log`)")
    return row


def list_runs(
    session: Session,
    *,
    account: str | None = None,
    job_kind: str | None = None,
    outcome: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[JobRun]:
    """The newest runs first (``offset`` skips that many, for a paged list)."""
    query = select(JobRun).order_by(JobRun.id.desc()).limit(limit).offset(offset)
    if outcome is not None:
        query = query.where(JobRun.outcome == outcome)
    if account is not None:
        query = query.where(JobRun.account == account)
    if job_kind is not None:
        query = query.where(JobRun.job_kind == job_kind)
    return list(session.scalars(query))


# --- dead letters ----------------------------------------------------------------------------


def record_dead_letter(
    session: Session,
    *,
    account: str,
    platform: str,
    job_kind: str,
    subject: str,
    reason: str,
    now: datetime,
    external_id: str | None = None,
    raw_payload_id: int | None = None,
    payload: Mapping[str, Any] | None = None,
    run_id: int | None = None,
    dedupe_key: str | None = None,
) -> int:
    """Add a dead letter, or with a ``dedupe_key`` already present, reopen that one.

    One atomic upsert: the same bad record seen on a replayed page stays one letter whose
    ``attempts`` counts the sightings.
    """
    values = {
        "account": account,
        "platform": platform,
        "job_kind": job_kind,
        "subject": subject,
        "external_id": external_id,
        "raw_payload_id": raw_payload_id,
        "payload": dict(payload or {}),
        "reason": reason[:MAX_ERROR_LENGTH],
        "state": DeadLetterState.OPEN.value,
        "attempts": 1,
        "run_id": run_id,
        "created_at": now,
        "updated_at": now,
    }
    statement = insert_for(session, DeadLetter).values(dedupe_key=dedupe_key, **values)
    if dedupe_key is not None:
        statement = statement.on_conflict_do_update(
            index_elements=["dedupe_key"],
            set_={
                "reason": statement.excluded.reason,
                "state": DeadLetterState.OPEN.value,
                "attempts": DeadLetter.attempts + 1,
                "run_id": statement.excluded.run_id,
                "updated_at": statement.excluded.updated_at,
            },
        )
    letter_id: int = session.execute(statement.returning(DeadLetter.id)).scalar_one()
    session.expire_all()
    return letter_id


def get_dead_letter(session: Session, letter_id: int) -> DeadLetter:
    row = session.get(DeadLetter, letter_id, populate_existing=True)
    if row is None:
        raise NotFound(
            f"dead letter {letter_id} does not exist (see `channelhub jobs deadletters`)"
        )
    return row


def list_dead_letters(
    session: Session,
    *,
    account: str | None = None,
    states: Sequence[DeadLetterState] | None = (DeadLetterState.OPEN,),
    limit: int = 100,
) -> list[DeadLetter]:
    """Dead letters oldest first (by default only the open ones)."""
    query = select(DeadLetter).order_by(DeadLetter.id).limit(limit)
    if account is not None:
        query = query.where(DeadLetter.account == account)
    if states is not None:
        query = query.where(DeadLetter.state.in_([s.value for s in states]))
    return list(session.scalars(query))


def resolve_dead_letter(session: Session, letter_id: int, *, now: datetime) -> None:
    """A replay succeeded: the letter stays as history, marked resolved."""
    row = get_dead_letter(session, letter_id)
    if row.state != DeadLetterState.OPEN.value:
        raise InvalidInput.field(f"dead letter {letter_id} state", row.state, "is not open")
    row.state = DeadLetterState.RESOLVED.value
    row.updated_at = now
    session.flush()


def resolve_if_open(session: Session, letter_id: int, *, now: datetime) -> bool:
    """A deferred replay succeeded: resolve the letter unless someone already did (or it is
    gone); whether it was resolved now."""
    row = session.get(DeadLetter, letter_id, populate_existing=True)
    if row is None or row.state != DeadLetterState.OPEN.value:
        return False
    row.state = DeadLetterState.RESOLVED.value
    row.updated_at = now
    session.flush()
    return True


def resolve_subject(
    session: Session,
    *,
    account: str,
    subject: str,
    now: datetime,
    external_ids: Collection[str] | None = None,
    warehouse: str | None = None,
) -> int:
    """Resolve every open letter of ``account`` about ``subject`` (a newer full read has
    superseded them: a stock row read again), or only those naming one of ``external_ids``
    (a read that listed only some rows); with ``warehouse``, only the letters of that
    warehouse's rows (named ``WAREHOUSE:SKU``: a snapshot reads one warehouse); how many."""
    which = [
        DeadLetter.account == account,
        DeadLetter.subject == subject,
        DeadLetter.state == DeadLetterState.OPEN.value,
    ]
    if external_ids is not None or warehouse is not None:
        # the open letters are few: pick them here, not in SQL

        def picked(name: str | None) -> bool:
            held = warehouse is None or (name or "").startswith(f"{warehouse}:")
            return held and (external_ids is None or name in external_ids)

        found = session.execute(select(DeadLetter.id, DeadLetter.external_id).where(*which))
        ids = [letter_id for letter_id, external_id in found if picked(external_id)]
        if not ids:
            return 0
        which.append(DeadLetter.id.in_(ids))
    result = session.execute(
        update(DeadLetter)
        .where(*which)
        .values(state=DeadLetterState.RESOLVED.value, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    session.expire_all()
    return int(getattr(result, "rowcount", 0) or 0)


def retry_failed(session: Session, letter_id: int, *, reason: str, now: datetime) -> None:
    """A replay failed again: keep it open with the new reason."""
    row = get_dead_letter(session, letter_id)
    row.reason = reason[:MAX_ERROR_LENGTH]
    row.attempts += 1
    row.updated_at = now
    session.flush()


# --- webhook deliveries ----------------------------------------------------------------------


def record_webhook_delivery(
    session: Session,
    *,
    account: str,
    event_id: str,
    topic: str,
    received_at: datetime,
    raw_payload_id: int | None = None,
    platform: str | None = None,
    pending: bool = False,
) -> bool:
    """True when this delivery is new; False for a redelivery (``ON CONFLICT DO NOTHING``).

    ``pending``: the webhook intake job applies it later (``processed_at`` stays empty);
    otherwise the caller applies it in this transaction."""
    statement = (
        insert_for(session, WebhookDelivery)
        .values(
            account=account,
            event_id=event_id,
            topic=topic,
            raw_payload_id=raw_payload_id,
            received_at=received_at,
            platform=platform,
            processed_at=None if pending else received_at,
        )
        .on_conflict_do_nothing(index_elements=["account", "event_id"])
        .returning(WebhookDelivery.id)
    )
    return session.execute(statement).scalar_one_or_none() is not None


def record_pending_deliveries(session: Session, rows: Sequence[dict[str, Any]]) -> list[bool]:
    """Record many deliveries for the webhook intake job in one statement (``rows``:
    ``account, event_id, topic, received_at, raw_payload_id, platform``); for each, in the
    order given, True when new (a redelivery, or a second copy in ``rows``, is False)."""
    if not rows:
        return []
    statement = (
        insert_for(session, WebhookDelivery)
        .on_conflict_do_nothing(index_elements=["account", "event_id"])
        .returning(WebhookDelivery.account, WebhookDelivery.event_id)
    )
    values = [{**row, "processed_at": None} for row in rows]
    inserted = {tuple(key) for key in session.execute(statement, values)}
    fresh: list[bool] = []
    for row in rows:
        key = (row["account"], row["event_id"])
        fresh.append(key in inserted)
        inserted.discard(key)  # a second copy in this batch is a duplicate
    new_rows = [row for row, new in zip(rows, fresh, strict=True) if new]
    note(session, WEBHOOK_ACCOUNTS_KEY, [row["account"] for row in new_rows])
    note_topics(session, [(str(r["platform"]), r["account"], r["topic"]) for r in new_rows])
    return fresh


# --- metrics ---------------------------------------------------------------------------------


def run_counts_by_outcome(session: Session) -> dict[tuple[str, str], int]:
    """(job kind, outcome) -> runs."""
    rows = session.execute(
        select(JobRun.job_kind, JobRun.outcome, func.count()).group_by(
            JobRun.job_kind, JobRun.outcome
        )
    )
    return {(kind, outcome): int(n) for kind, outcome, n in rows}


def outbox_counts_by_state(session: Session) -> dict[str, int]:
    rows = session.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state))
    return {state: int(n) for state, n in rows}


def dead_letter_counts(session: Session) -> dict[tuple[str, str], int]:
    """(job kind, state) -> dead letters."""
    rows = session.execute(
        select(DeadLetter.job_kind, DeadLetter.state, func.count()).group_by(
            DeadLetter.job_kind, DeadLetter.state
        )
    )
    return {(kind, state): int(n) for kind, state, n in rows}
