"""Jobs: the schedule, the run log (filters: account, job, outcome) and the dead letters with
replay (an operator action), and "Run now" on each scheduled job (``channelhub jobs run``).
The pattern every screen follows:

- GET routes depend on ``page_viewer`` and call ``render`` (the whole page, or one block for
  an htmx swap);
- POST routes depend on ``acting(Action.X)`` (session + CSRF + role) and call the same service
  function the CLI calls (here :func:`channelhub.jobs.engine.replay.replay_dead_letter`).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

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
from channelhub.jobs.engine.kinds import parse_kind
from channelhub.jobs.engine.replay import replay_dead_letter
from channelhub.jobs.engine.runner import run_job
from channelhub.store.repos.jobs import list_dead_letters, list_runs
from channelhub.store.tables.jobs import DeadLetterState, RunOutcome

router = APIRouter()


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
        schedule = job_schedule(session, config.job_every)
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
        "schedule": schedule,
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
        said = await replay_dead_letter(
            state.session_factory,
            letter_id,
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
    cursor as the scheduler (a unit already running elsewhere is not started twice)."""
    try:
        result = await run_job(
            state.session_factory,
            account,
            parse_kind(kind),
            connector_factory=state.connector_factory,
            now=state.now,
            options=config.job_options,
        )
        said = run_sentence(result)
    except ChannelhubError as exc:  # an unknown job or account: say so on the page
        said = str(exc)
    with state.session_factory() as session:
        schedule = job_schedule(session, config.job_every)
    context = {"schedule": schedule, "ran": said}
    return render(request, viewer, state, "jobs.html", context, block="schedule")
