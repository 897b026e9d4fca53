"""Log in and log out. Failed logins are limited per user name and per source address.

The login form has no session yet, so its CSRF token is a double-submit one: GET /login sets a
random token in a short-lived HttpOnly cookie and in the form; POST /login needs both, equal
(another site can make a browser post the form but can neither read nor set the cookie)."""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from channelhub.api.console.auth import (
    COOKIE,
    Viewer,
    acting,
    console_config,
    current_viewer,
    login_limiter,
    set_session_cookie,
)
from channelhub.api.console.config import ConsoleConfig
from channelhub.api.console.pages import templates
from channelhub.api.console.ratelimit import LoginLimiter
from channelhub.api.state import HubState, hub_state
from channelhub.core.roles import Action
from channelhub.store.repos.console_users import authenticate, end_session, start_session

router = APIRouter()


LOGIN_CSRF_COOKIE = "channelhub_login_csrf"


def _form(
    request: Request,
    config: ConsoleConfig,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    token = secrets.token_urlsafe(32)
    response = templates.TemplateResponse(
        request, "login.html", {"error": error, "login_csrf": token}, status_code=status_code
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=config.secure_cookies,
        path="/login",
    )
    return response


@router.get("/login")
def login_page(
    request: Request,
    state: HubState = Depends(hub_state),
    config: ConsoleConfig = Depends(console_config),
) -> Response:
    if current_viewer(request, state) is not None:
        return RedirectResponse("/", status_code=303)
    return _form(request, config)


@router.post("/login")
def login(
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    csrf_token: str = Form(""),
    state: HubState = Depends(hub_state),
    config: ConsoleConfig = Depends(console_config),
    limiter: LoginLimiter = Depends(login_limiter),
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(csrf_token, expected):
        return _form(request, config, "The form expired: log in again.", 403)
    address = request.client.host if request.client else "unknown"
    keys = (f"user:{username.strip().lower()}", f"ip:{address}")
    if limiter.blocked(*keys):
        return _form(request, config, "Too many failed logins: wait a few minutes.", 429)
    with state.session_factory.begin() as session:
        user = authenticate(session, username.strip(), password)
        token = (
            start_session(session, user, now=state.now(), lifetime=config.session_lifetime)
            if user
            else None
        )
    if user is None or token is None:
        limiter.failed(*keys)
        return _form(request, config, "Wrong user name or password.", 401)
    limiter.succeeded(keys[0])
    response = RedirectResponse("/", status_code=303)
    set_session_cookie(response, token, config)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(
    viewer: Viewer = Depends(acting(Action.VIEW)), state: HubState = Depends(hub_state)
) -> Response:
    with state.session_factory.begin() as session:
        end_session(session, viewer.token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
