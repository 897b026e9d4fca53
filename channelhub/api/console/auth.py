"""Sessions, CSRF and roles for the console: the only place a request is let in.

- Pages depend on :func:`page_viewer`: no session -> redirect to ``/login`` (htmx: 401 with
  ``HX-Redirect``).
- Actions (every non-GET) depend on :func:`acting(Action.X)`: no session -> 401, a missing or
  wrong CSRF token (``X-CSRF-Token`` header, sent by htmx from the page's meta tag, or the
  ``csrf_token`` form field) -> 403, a role without the action -> 403.

The session cookie holds a random token; the database holds its SHA-256 (store/repos/
console_users.py). Cookies are HttpOnly, SameSite=Lax, and Secure when the console is served
behind TLS (``ConsoleConfig.secure_cookies``).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from channelhub.api.console.config import ConsoleConfig
from channelhub.api.console.ratelimit import LoginLimiter
from channelhub.api.state import HubState, hub_state
from channelhub.core.roles import Action, Role, allowed
from channelhub.store.repos.console_users import find_session

COOKIE = "channelhub_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"


@dataclass(frozen=True)
class Viewer:
    """The logged-in user behind a request."""

    name: str
    role: Role
    csrf_token: str
    token: str

    def may(self, action: Action) -> bool:
        return allowed(self.role, action)


class LoginRequired(Exception):
    """No live session: a page redirects to /login, an htmx request gets 401."""


def console_config(request: Request) -> ConsoleConfig:
    config: ConsoleConfig = request.app.state.console_config
    return config


def login_limiter(request: Request) -> LoginLimiter:
    limiter: LoginLimiter = request.app.state.console_limiter
    return limiter


def current_viewer(request: Request, state: HubState) -> Viewer | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    with state.session_factory() as session:
        found = find_session(session, token, now=state.now())
    if found is None:
        return None
    return Viewer(found.user.name, found.user.role, found.csrf_token, token)


def page_viewer(request: Request, state: HubState = Depends(hub_state)) -> Viewer:
    """Dependency of every page: the viewer, or off to /login."""
    viewer = current_viewer(request, state)
    if viewer is None:
        raise LoginRequired
    return viewer


def acting(action: Action) -> Callable[..., Awaitable[Viewer]]:
    """Dependency of every action: a live session, its CSRF token, and a role allowed
    ``action``."""

    async def check(request: Request, state: HubState = Depends(hub_state)) -> Viewer:
        viewer = current_viewer(request, state)
        if viewer is None:
            raise HTTPException(status_code=401, detail="log in first")
        sent = request.headers.get(CSRF_HEADER)
        if sent is None:
            form = await request.form()
            field = form.get(CSRF_FIELD)
            sent = field if isinstance(field, str) else None
        if not sent or not hmac.compare_digest(sent, viewer.csrf_token):
            raise HTTPException(status_code=403, detail="missing or wrong CSRF token")
        if not viewer.may(action):
            raise HTTPException(status_code=403, detail=f"a {viewer.role} may not do that")
        return viewer

    return check


def login_redirect(request: Request, _exc: Exception) -> Response:
    """The LoginRequired handler."""
    if request.headers.get("HX-Request"):
        return Response(status_code=401, headers={"HX-Redirect": "/login"})
    return RedirectResponse("/login", status_code=303)


def set_session_cookie(response: Response, token: str, config: ConsoleConfig) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(config.session_lifetime.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=config.secure_cookies,
        path="/",
    )
