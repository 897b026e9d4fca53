"""The seller console: server-rendered pages (FastAPI + Jinja2 + htmx) on the same service
layer as the CLI.

Layout: ``auth`` (sessions, CSRF, roles: the only gate), ``pages`` (render, pager, header
counts), ``screens/`` (one module per screen, each a ``router``), ``templates/`` (``base.html``
is the layout every page extends), ``static/`` (vendored htmx, the stylesheet).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
_RAW_PAGE_HEADERS = [(k.lower().encode(), v.encode()) for k, v in PAGE_HEADERS.items()]


class PageHeaders:
    """Adds :data:`PAGE_HEADERS` to every ``text/html`` answer. A plain ASGI middleware, not
    ``@app.middleware("http")``: that one runs each request in its own task group and memory
    stream, which cost the webhook route about a third of its time under a burst."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                html = any(
                    k.lower() == b"content-type" and v.startswith(b"text/html") for k, v in headers
                )
                if html:
                    names = {k for k, _ in _RAW_PAGE_HEADERS}
                    headers = [(k, v) for k, v in headers if k.lower() not in names]
                    message = {**message, "headers": headers + _RAW_PAGE_HEADERS}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def mount_console(app: FastAPI, hub: HubState, config: ConsoleConfig) -> None:
    """Add the console's routes, its static files and its login redirect to ``app``."""
    app.state.console_config = config
    app.state.console_limiter = LoginLimiter(
        hub.now, attempts=config.login_attempts, window=config.login_window
    )
    app.add_exception_handler(LoginRequired, login_redirect)

    app.add_middleware(PageHeaders)

    app.mount("/static", StaticFiles(directory=STATIC), name="console-static")
    for router in ROUTERS:
        app.include_router(router, include_in_schema=False)


__all__ = ["ConsoleConfig", "mount_console"]
