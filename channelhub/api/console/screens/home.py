"""Home: is everything flowing? (jobs.overview.home_overview, the same figures as the CLI)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from channelhub.api.console.pages import HubState, Viewer, hub_state, page_viewer, render
from channelhub.jobs.desk.overview import home_overview

router = APIRouter()


@router.get("/")
def home(
    request: Request,
    viewer: Viewer = Depends(page_viewer),
    state: HubState = Depends(hub_state),
) -> Response:
    with state.session_factory() as session:
        overview = home_overview(session, now=state.now())
    return render(request, viewer, state, "home.html", {"overview": overview})
