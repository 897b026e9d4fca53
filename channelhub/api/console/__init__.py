"""The seller console: server-rendered pages (FastAPI + Jinja2 + htmx) on the same service
layer as the CLI.

Layout: ``auth`` (sessions, CSRF, roles: the only gate), ``pages`` (render, pager, header
counts), ``screens/`` (one module per screen, each a ``router``), ``templates/`` (``base.html``
is the layout every page extends), ``static/`` (vendored htmx, the stylesheet).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles

from channelhub.api.console.auth import LoginRequired, login_redirect
from channelhub.api.console.config import ConsoleConfig
from channelhub.api.console.ratelimit import LoginLimiter
from channelhub.api.console.screens import ROUTERS
from channelhub.api.state import HubState

STATIC = Path(__file__).parent / "static"
#: Sent with every HTML page: scripts only from /static (no inline script can run), no
#: framing by another site (clickjacking), no full URL in the Referer of outgoing links.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def mount_console(app: FastAPI, hub: HubState, config: ConsoleConfig) -> None:
    """Add the console's routes, its static files and its login redirect to ``app``."""
    app.state.console_config = config
    app.state.console_limiter = LoginLimiter(
        hub.now, attempts=config.login_attempts, window=config.login_window
    )
    app.add_exception_handler(LoginRequired, login_redirect)

    @app.middleware("http")
    async def page_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        if response.headers.get("content-type", "").startswith("text/html"):
            response.headers.update(PAGE_HEADERS)
        return response

    app.mount("/static", StaticFiles(directory=STATIC), name="console-static")
    for router in ROUTERS:
        app.include_router(router, include_in_schema=False)


__all__ = ["ConsoleConfig", "mount_console"]
