"""Jobs: the schedule, the run log (filters: account, job, outcome) and the dead letters with
replay (an operator action), and "Run now" on each scheduled job (``channelhub jobs run``).

"Run now" runs the unit in this process on the embedded engine; on procrastinate it queues
the unit for the workers (:func:`channelhub.jobs.distributed.requests.request_run`, the
scheduler's locks: a second click adds nothing) and the schedule shows each job's queue state,
so the HTTP process never runs a job there. Replaying the dead letter of a failed run queues
that run the same way (the unit resolves the letter when it succeeds); other letters (a
record, a callback) are replayed here, they only write the database.
The pattern every screen follows:

- GET routes depend on ``page_viewer`` and call ``render`` (the whole page, or one block for
  an htmx swap);
- POST routes depend on ``acting(Action.X)`` (session + CSRF + role) and call the same service
  function the CLI calls (here :func:`channelhub.jobs.distributed.requests.replay_letter`,
  which queues a failed run for the workers).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from channelhub.api.console.auth import acting, console_config
from channelhub.api.console.config import ConsoleConfig
from channelhub.api.console.pages import (
    PAGE_SIZE,
    HubState,
    Viewer,
    hub_state,
    offset,
    page_viewer,
    paged,
    render,
)
from channelhub.core.errors import ChannelhubError
from channelhub.core.roles import Action
from channelhub.jobs.desk.engine_state import engine_state
from channelhub.jobs.desk.overview import job_schedule, run_sentence
from channelhub.jobs.distributed.requests import replay_letter, request_run, unit_states
from channelhub.jobs.engine.kinds import parse_kind
from channelhub.jobs.engine.runner import run_job
from channelhub.store.repos.jobs import list_dead_letters, list_runs
from channelhub.store.tables.jobs import DeadLetterState, RunOutcome

router = APIRouter()

PROCRASTINATE = "procrastinate"


def schedule_context(session: Session, config: ConsoleConfig) -> dict[str, Any]:
    """The schedule, and on procrastinate each job's queue state ("queued", "running")."""
    schedule = job_schedule(session, config.job_every)
    queue = unit_states(session) if config.engine == PROCRASTINATE else None
    return {"schedule": schedule, "queue": queue}


@router.get("/jobs")
def jobs_page(
    request: Request,
    account: str | None = None,
    job: str | None = None,
    outcome: str | None = None,
    viewer: Viewer = Depends(page_viewer),
    state: HubState = Depends(hub_state),
    config: ConsoleConfig = Depends(console_config),
) -> Response:
    with state.session_factory() as session:
        scheduled = schedule_context(session, config)
        runs = list_runs(
            session,
            account=account or None,
            job_kind=job or None,
            outcome=outcome or None,
            limit=PAGE_SIZE + 1,
            offset=offset(request),
        )
        letters = list_dead_letters(session, states=[DeadLetterState.OPEN])
        engine = engine_state(
            session, engine=config.engine, now=state.now(), stalled_after=config.stalled_after
        )
    context = {
        "engine": engine,
        **scheduled,
        "runs": paged(runs, request, account=account, job=job, outcome=outcome),
        "letters": letters,
        "filters": {"account": account or "", "job": job or "", "outcome": outcome or ""},
        "outcomes": [o.value for o in RunOutcome],
    }
    block = "runs" if request.headers.get("HX-Target") == "runs" else None
    return render(request, viewer, state, "jobs.html", context, block=block)


@router.post("/jobs/deadletters/{letter_id}/replay")
async def replay(
    request: Request,
    letter_id: int,
    viewer: Viewer = Depends(acting(Action.REPLAY_DEAD_LETTER)),
    state: HubState = Depends(hub_state),
    config: ConsoleConfig = Depends(console_config),
) -> Response:
    try:
        said = await replay_letter(
            state.session_factory,
            letter_id,
            on_workers=config.engine == PROCRASTINATE,
            connector_factory=state.connector_factory,
            now=state.now,
            options=config.job_options,
        )
    except ChannelhubError as exc:  # not open any more, gone: say so on the page
        said = str(exc)
    with state.session_factory() as session:
        letters = list_dead_letters(session, states=[DeadLetterState.OPEN])
    context = {"letters": letters, "replayed": f"dead letter {letter_id}: {said}"}
    return render(request, viewer, state, "jobs.html", context, block="deadletters")


@router.post("/jobs/run/{kind}/{account}")
async def run_now(
    request: Request,
    kind: str,
    account: str,
    viewer: Viewer = Depends(acting(Action.RUN_JOB)),
    state: HubState = Depends(hub_state),
    config: ConsoleConfig = Depends(console_config),
) -> Response:
    """``channelhub jobs run KIND ACCOUNT``: one bounded unit now, under the same lease and
    cursor as the scheduler (a unit already running elsewhere is not started twice); on
    procrastinate, queued for the workers instead (``jobs run --defer``)."""
    try:
        if config.engine == PROCRASTINATE:
            with state.session_factory.begin() as session:
                said = request_run(session, account, parse_kind(kind)).sentence()
        else:
            said = await _run_here(state, config, account, kind)
    except ChannelhubError as exc:  # an unknown job or account: say so on the page
        said = str(exc)
    with state.session_factory() as session:
        context = {**schedule_context(session, config), "ran": said}
    return render(request, viewer, state, "jobs.html", context, block="schedule")


async def _run_here(state: HubState, config: ConsoleConfig, account: str, kind: str) -> str:
    """The embedded engine's Run now: the unit runs in this process, its end is the answer."""
    result = await run_job(
        state.session_factory,
        account,
        parse_kind(kind),
        connector_factory=state.connector_factory,
        now=state.now,
        options=config.job_options,
    )
    return run_sentence(result)
