"""A person's "run now" (and "replay" of a failed run) on the procrastinate engine: queue
the unit for the workers.

The console's Run now (and ``channelhub jobs run --defer``) must not run a job inside the
HTTP process: it defers the same unit the scheduler defers, with the same per-(account, job)
lock (never two runs at once) and queueing lock (never two waiting). So a click while the job
waits adds nothing, and a click while it runs queues one run after it (the lock holds it until
the running one ends), no more. What the person is told comes from the queue itself.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from channelhub.core.errors import InvalidInput
from channelhub.jobs.accounts.connectors import ConnectorFactoryFn
from channelhub.jobs.distributed.defer import UNIT_TASK, defer_unit, unit_queueing_lock
from channelhub.jobs.engine.kinds import JobKind
from channelhub.jobs.engine.replay import replay_dead_letter
from channelhub.jobs.engine.runner import JobOptions, load_handler
from channelhub.jobs.stock.pull import STOCK_SUBJECT
from channelhub.store.repos.accounts import get_account
from channelhub.store.repos.jobs import get_dead_letter
from channelhub.store.tables.jobs import DeadLetterState

#: The dead letter of a failed run (the runner files one per account and job).
RUN_SUBJECT = "run"


@dataclass(frozen=True)
class UnitState:
    """A unit's jobs in the queue: the one waiting (if any), and whether one runs now."""

    waiting: int | None = None
    running: int | None = None

    def __str__(self) -> str:
        if self.running is not None and self.waiting is not None:
            return "running, 1 queued after it"
        if self.running is not None:
            return "running"
        if self.waiting is not None:
            return "queued"
        return ""


@dataclass(frozen=True)
class RunRequest:
    """How a request went: the job it put (or found) in the queue."""

    account: str
    kind: JobKind
    job_id: int | None
    added: bool
    state: UnitState

    def sentence(self) -> str:
        """One line for the page or the terminal."""
        head = f"{self.kind.value} of {self.account}"
        if not self.added:
            return (
                f"{head}: already queued (job {self.job_id}); not queued twice, the workers "
                "run it next"
            )
        if self.state.running is not None:
            return (
                f"{head}: running on a worker now (job {self.state.running}); queued once "
                f"more to run after it (job {self.job_id})"
            )
        return f"{head}: queued for the workers (job {self.job_id})"


_UNITS = f"""
SELECT args->>'account', args->>'kind', status::text, id
  FROM procrastinate_jobs
 WHERE task_name = '{UNIT_TASK}' AND status IN ('todo', 'doing')
"""


def unit_states(
    session: Session, units: Collection[tuple[str, str]] | None = None
) -> dict[tuple[str, str], UnitState]:
    """The queue's state of each (account, kind) that has a job waiting or running (only
    ``units`` when given)."""
    found: dict[tuple[str, str], UnitState] = {}
    rows = session.execute(text(_UNITS)).all()
    for account, kind, status, job_id in rows:
        key = (account, kind)
        if units is not None and key not in units:
            continue
        state = found.get(key, UnitState())
        if status == "doing":
            state = UnitState(state.waiting, job_id)
        else:
            state = UnitState(job_id, state.running)
        found[key] = state
    return found


def request_run(session: Session, account: str, kind: JobKind) -> RunRequest:
    """Queue one unit of ``kind`` for ``account`` in the session's transaction (the caller
    commits). NotFound for an account or job that does not exist."""
    get_account(session, account)
    load_handler(kind)
    job_id = defer_unit(session, account, kind)
    state = unit_states(session, [(account, kind.value)]).get((account, kind.value), UnitState())
    if job_id is None:  # its queueing lock: the same unit already waits
        waiting = session.scalar(
            text(
                "SELECT id FROM procrastinate_jobs WHERE queueing_lock = :lock AND status = 'todo'"
            ),
            {"lock": unit_queueing_lock(account, kind)},
        )
        return RunRequest(account, kind, waiting, added=False, state=state)
    return RunRequest(account, kind, job_id, added=True, state=state)


#: Mark the unit already waiting as the replay of a letter (it resolves it when it succeeds).
_ATTACH_LETTER = text(
    "UPDATE procrastinate_jobs SET args = args || jsonb_build_object('letter', CAST(:letter AS "
    "bigint)) WHERE queueing_lock = :lock AND status = 'todo' RETURNING id"
)


def request_replay(session: Session, letter_id: int) -> RunRequest | None:
    """Replay the dead letter of a failed run on the workers: queue its unit (or mark the one
    waiting) with the letter, which the unit resolves when it succeeds. A stock row's letter
    queues the account's stock pull, which resolves it when the row reads
    (:mod:`channelhub.jobs.stock.pull`). None for a letter of another subject (a record, a
    callback: the caller replays those where it is, they write the database only).
    InvalidInput for a letter that is not open."""
    letter = get_dead_letter(session, letter_id)
    if letter.state != DeadLetterState.OPEN.value:
        raise InvalidInput.field(f"dead letter {letter_id} state", letter.state, "is not open")
    if letter.subject == STOCK_SUBJECT:  # the pull runs again and resolves it, see replay
        return request_run(session, letter.account, JobKind.PULL_STOCK)
    if letter.subject != RUN_SUBJECT:
        return None
    kind = JobKind(letter.job_kind)
    lock = unit_queueing_lock(letter.account, kind)
    for _ in range(2):  # the waiting one may start between the two statements: queue anew
        job_id = defer_unit(session, letter.account, kind, letter=letter_id)
        added = job_id is not None
        if job_id is None:
            job_id = session.scalar(_ATTACH_LETTER, {"letter": letter_id, "lock": lock})
        if job_id is not None:
            key = (letter.account, kind.value)
            state = unit_states(session, [key]).get(key, UnitState())
            return RunRequest(letter.account, kind, job_id, added=added, state=state)
    raise RuntimeError(f"could not queue the replay of dead letter {letter_id}")


async def replay_letter(
    session_factory: sessionmaker[Session],
    letter_id: int,
    *,
    on_workers: bool,
    connector_factory: ConnectorFactoryFn,
    now: Callable[[], datetime],
    options: JobOptions | None = None,
) -> str:
    """Replay one open dead letter where it belongs; one sentence saying what happened. With
    workers (``on_workers``) a failed run is queued for them (:func:`request_replay`), never
    run in the caller's process; a record or a callback, and any letter without workers, is
    replayed here (:func:`~channelhub.jobs.engine.replay.replay_dead_letter`)."""
    if on_workers:
        with session_factory.begin() as session:
            queued = request_replay(session, letter_id)
        if queued is not None:
            return f"{queued.sentence()}; the letter is resolved when that run succeeds"
    return await replay_dead_letter(
        session_factory, letter_id, connector_factory=connector_factory, now=now, options=options
    )
