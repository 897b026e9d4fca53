"""Exceptions inbox: everything open that waits for a person (:mod:`~channelhub.jobs.desk`),
each row with the request and answer excerpts, a link to the record and its retry: a dead
outbox message is queued again (``channelhub jobs replay ID --outbox``), a dead letter is
replayed (``channelhub jobs replay ID``), a held order is released on its own page. The
header's open-exception count links here; each section's number links to its rows.
"""

from __future__ import annotations

from typing import Any

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
from channelhub.api.console.screens.jobs import PROCRASTINATE
from channelhub.core.errors import ChannelhubError
from channelhub.core.roles import Action
from channelhub.jobs.desk.exceptions import TITLES, ExceptionKind, exception_counts, exception_rows
from channelhub.jobs.distributed.requests import replay_letter
from channelhub.store.repos import outbox

router = APIRouter()
PREVIEW = 10  # rows of each section on the inbox's first page


def _inbox(
    request: Request,
    viewer: Viewer,
    state: HubState,
    kind: str | None,
    said: str | None = None,
) -> Response:
    chosen = ExceptionKind(kind) if kind in {k.value for k in ExceptionKind} else None
    with state.session_factory() as session:
        counts = exception_counts(session)
        if chosen is not None:
            rows = exception_rows(session, chosen, limit=PAGE_SIZE + 1, offset=offset(request))
            sections: list[dict[str, Any]] = [
                {"kind": chosen, "page": paged(rows, request, kind=chosen.value)}
            ]
        else:
            sections = [
                {"kind": k, "rows": exception_rows(session, k, limit=PREVIEW)}
                for k in ExceptionKind
                if counts[k]
            ]
    context = {
        "counts": counts,
        "titles": TITLES,
        "sections": sections,
        "chosen": chosen,
        "said": said,
        "preview": PREVIEW,
    }
    return render(request, viewer, state, "exceptions.html", context)


@router.get("/exceptions")
def exceptions_page(
    request: Request,
    kind: str | None = None,
    viewer: Viewer = Depends(page_viewer),
    state: HubState = Depends(hub_state),
) -> Response:
    return _inbox(request, viewer, state, kind)


@router.post("/exceptions/outbox/{message_id}/retry")
def retry_message(
    request: Request,
    message_id: int,
    kind: str | None = None,
    viewer: Viewer = Depends(acting(Action.REPLAY_DEAD_LETTER)),
    state: HubState = Depends(hub_state),
) -> Response:
    """Queue a dead outbox message again (the sender picks it up on its next run)."""
    try:
        with state.session_factory.begin() as session:
            outbox.replay(session, message_id, now=state.now())
        said = f"outbox message {message_id} is queued again"
    except ChannelhubError as exc:
        said = f"outbox message {message_id}: {exc}"
    return _inbox(request, viewer, state, kind, said)


@router.post("/exceptions/deadletters/{letter_id}/retry")
async def retry_letter(
    request: Request,
    letter_id: int,
    kind: str | None = None,
    viewer: Viewer = Depends(acting(Action.REPLAY_DEAD_LETTER)),
    state: HubState = Depends(hub_state),
    config: ConsoleConfig = Depends(console_config),
) -> Response:
    try:
        said = await replay_letter(  # a failed run goes to the workers, as on the Jobs page
            state.session_factory,
            letter_id,
            on_workers=config.engine == PROCRASTINATE,
            connector_factory=state.connector_factory,
            now=state.now,
            options=config.job_options,
        )
    except ChannelhubError as exc:
        said = str(exc)
    return _inbox(request, viewer, state, kind, f"dead letter {letter_id}: {said}")
