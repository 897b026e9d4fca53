"""Defer jobs on the caller's connection, so a job commits or rolls back with the write.

The SQLAlchemy session's driver connection (psycopg 3) is handed to procrastinate's
``JobManager`` as the ``connection`` of the insert: no pool, no second transaction. Each
deferral runs in a savepoint, because a queueing lock already taken (the same job is waiting
in the queue) is a unique violation, which in PostgreSQL would abort the caller's whole
transaction; in the savepoint it only means "already queued", which is what we wanted.

Names: one task runs every job kind (:data:`UNIT_TASK`, arguments ``account`` and ``kind``)
on the queue named after the kind, with the lock ``account:kind`` (never two runs of one
account's job at once) and the queueing lock ``kind:account`` (never two waiting).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from procrastinate import exceptions, jobs
from procrastinate.manager import JobManager
from procrastinate.sync_psycopg_connector import SyncPsycopgConnector
from psycopg.types.json import Jsonb
from sqlalchemy.orm import Session

from channelhub.jobs.engine.kinds import JobKind

UNIT_TASK = "channelhub.unit"
SCHEDULE_TASK = "channelhub.schedule"
RETRY_STALLED_TASK = "channelhub.retry_stalled"
INTAKE_TASK = "channelhub.webhook_intake"
STOCK_WAKE_TASK = "channelhub.stock_wake"
#: The queue of the hub's housekeeping (scheduler pass, stalled retry): short tasks that every
#: worker serves, whatever its ``--queues``, so no choice of queues leaves a dead worker's job
#: stalled.
HUB_QUEUE = "hub"
#: The queue of the event-driven passes (webhook intake, stock wake).
EVENTS_QUEUE = "events"
INTAKE_LOCK = "webhook_intake"
STOCK_WAKE_LOCK = "stock_wake"

#: Never opened: every deferral here passes its own connection.
_MANAGER = JobManager(SyncPsycopgConnector())


def unit_lock(account: str, kind: JobKind) -> str:
    """No two runs of one account's job at once (across every worker)."""
    return f"{account}:{kind.value}"


def unit_queueing_lock(account: str, kind: JobKind) -> str:
    """No two runs of one account's job waiting (a periodic job never piles up)."""
    return f"{kind.value}:{account}"


def driver_connection(session: Session) -> Any:
    """The psycopg connection under the session's current transaction."""
    return session.connection().connection.driver_connection


def defer_job(session: Session, job: jobs.Job) -> int | None:
    """Insert ``job`` in the session's transaction; None when its queueing lock says the
    same job is already waiting."""
    raw = driver_connection(session)
    raw.execute("SAVEPOINT channelhub_defer")
    try:
        deferred = _MANAGER.defer_job(job, connection=raw)
    except exceptions.AlreadyEnqueued:
        raw.execute("ROLLBACK TO SAVEPOINT channelhub_defer")
        return None
    except BaseException:
        raw.execute("ROLLBACK TO SAVEPOINT channelhub_defer")
        raise
    raw.execute("RELEASE SAVEPOINT channelhub_defer")
    return deferred.id


def _job(
    task: str,
    *,
    queue: str,
    lock: str | None,
    queueing_lock: str | None,
    args: dict[str, Any],
    at: datetime | None = None,
) -> jobs.Job:
    return jobs.Job(
        id=None,
        task_name=task,
        queue=queue,
        lock=lock,
        queueing_lock=queueing_lock,
        task_kwargs=args,
        scheduled_at=at,
    )


def defer_unit(
    session: Session,
    account: str,
    kind: JobKind,
    *,
    at: datetime | None = None,
    queueing: bool = True,
    letter: int | None = None,
) -> int | None:
    """One bounded unit of ``kind`` for ``account`` (``at``: not before). ``queueing=False``
    queues it even when the same job waits already (the tests). ``letter``: the open dead
    letter of a failed run that this unit replays (resolved when it succeeds)."""
    args: dict[str, Any] = {"account": account, "kind": kind.value}
    if letter is not None:
        args["letter"] = letter
    job = _job(
        UNIT_TASK,
        queue=kind.value,
        lock=unit_lock(account, kind),
        queueing_lock=unit_queueing_lock(account, kind) if queueing else None,
        args=args,
        at=at,
    )
    return defer_job(session, job)


def defer_intake(session: Session) -> int | None:
    """A pass of the webhook intake (one waiting is enough: it takes every pending one)."""
    job = _job(
        INTAKE_TASK, queue=EVENTS_QUEUE, lock=INTAKE_LOCK, queueing_lock=INTAKE_LOCK, args={}
    )
    return defer_job(session, job)


#: A stock wake already waiting takes the new SKUs and is put off to the end of the new
#: debounce window, but never past the maximum wait after its first change.
_EXTEND_WAKE = """
UPDATE procrastinate_jobs
   SET args = jsonb_set(args, '{skus}', (
           SELECT to_jsonb(array_agg(DISTINCT sku ORDER BY sku))
             FROM jsonb_array_elements_text(args->'skus' || %(skus)s) AS sku)),
       scheduled_at = LEAST(%(due)s, (args->>'first')::timestamptz + %(max_wait)s)
 WHERE queueing_lock = %(lock)s AND status = 'todo'
RETURNING id
"""


def defer_stock_wake(
    session: Session,
    skus: frozenset[str],
    *,
    now: datetime,
    debounce: timedelta,
    max_wait: timedelta,
) -> int | None:
    """The debounced stock push of ``skus``: one wake waits at a time; it runs once the SKUs
    were quiet for ``debounce`` (or ``max_wait`` after the first change) and defers the push
    of every account listing them."""
    raw = driver_connection(session)
    params = {
        "skus": Jsonb(sorted(skus)),
        "due": now + debounce,
        "max_wait": max_wait,
        "lock": STOCK_WAKE_LOCK,
    }
    for _ in range(2):  # a wake inserted beside ours by another commit: extend that one
        row = raw.execute(_EXTEND_WAKE, params).fetchone()
        if row is not None:
            return int(row[0])
        job = _job(
            STOCK_WAKE_TASK,
            queue=EVENTS_QUEUE,
            lock=STOCK_WAKE_LOCK,
            queueing_lock=STOCK_WAKE_LOCK,
            args={"skus": sorted(skus), "first": now.isoformat()},
            at=now + debounce,
        )
        deferred = defer_job(session, job)
        if deferred is not None:
            return deferred
    return None
