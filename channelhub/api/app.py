"""The hub's HTTP app: health, metrics and the webhook / callback routes.

``create_app`` takes everything injected (database, connector factory, clock) so tests and
``channelhub run`` build it the same way; nothing is read from globals.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager, asynccontextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from channelhub.api import callbacks, webhooks
from channelhub.api.console import ConsoleConfig, mount_console
from channelhub.api.inbound import AccountConnectors, Gate
from channelhub.api.limits import InboundLimits, RefusalLimiter
from channelhub.api.metrics import CONTENT_TYPE, render_metrics
from channelhub.api.state import HubState, hub_state
from channelhub.api.writer import DeliveryWriter
from channelhub.connectors.wakes import OperationWakes
from channelhub.jobs.accounts.connectors import ConnectorFactoryFn
from channelhub.jobs.engine.runner import SessionFactory
from channelhub.jobs.orders.webhook_intake import IntakeWorker
from channelhub.store.tables.accounts import Account

log = logging.getLogger(__name__)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def write_lock(session_factory: SessionFactory) -> AbstractContextManager[Any]:
    """SQLite takes one writer at a time: the app's writers (the delivery writer, the intake
    worker) take turns on a lock instead of sleeping in SQLite's busy handler."""
    bind = session_factory.kw.get("bind")
    if bind is not None and bind.dialect.name == "sqlite":
        return threading.Lock()
    return nullcontext()


def create_app(
    *,
    session_factory: SessionFactory,
    connector_factory: ConnectorFactoryFn,
    now: Callable[[], datetime] = _utc_now,
    status: Callable[[], dict[str, Any]] | None = None,
    console: ConsoleConfig | None = None,
    limits: InboundLimits | None = None,
    background_intake: bool = True,
    wakes: OperationWakes | None = None,
) -> FastAPI:
    """The FastAPI app; ``status`` adds live facts (scheduled jobs, runs in flight) to /health;
    ``console`` configures the seller console (served at ``/``).

    ``limits``: ``[inbound]`` (body sizes, refusal evidence and budget; defaults otherwise).
    The app owns the accounts' shared connectors and the webhook intake worker, and closes
    them at shutdown. ``background_intake=False`` (tests): deliveries wait for
    ``app.state.hub.intake.run_once()``. ``wakes``: where the intake announces a finished
    platform operation to the reads waiting in this process; by default the connector
    factory's own (:class:`~channelhub.jobs.accounts.connectors.ConnectorFactory` makes one)."""
    limits = limits or InboundLimits()
    connectors = AccountConnectors(connector_factory)
    limiter = RefusalLimiter(limits.refusals_per_minute, limits.refusal_burst, now)
    lock = write_lock(session_factory)
    if wakes is None:
        wakes = getattr(connector_factory, "wakes", None)
    intake = IntakeWorker(
        session_factory, now=now, background=background_intake, lock=lock, wakes=wakes
    )
    hub = HubState(
        session_factory=session_factory,
        connector_factory=connector_factory,
        now=now,
        gate=Gate(session_factory, connectors, limits, limiter, now),
        intake=intake,
        writer=DeliveryWriter(session_factory, now=now, lock=lock, on_stored=intake.wake),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        def names() -> list[str]:
            with session_factory() as session:
                return list(session.scalars(select(Account.name).order_by(Account.name)))

        try:
            await hub.gate.warm(await run_in_threadpool(names))
        except SQLAlchemyError as exc:  # /health reports the database; requests retry it
            log.warning("accounts not warmed at start, the database did not answer: %s", exc)
        yield
        hub.intake.stop()
        await connectors.aclose()

    # every route's backstop; twice the largest route limit so the routes' own check (which
    # keeps evidence and counts the source's refusals) answers first
    backstop = 2 * max(limits.webhook_max_bytes, limits.callback_max_bytes)
    app = FastAPI(
        title="channelhub",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        max_body_size=backstop,
    )
    app.state.hub = hub

    @app.get("/health")
    def health(state: HubState = Depends(hub_state)) -> JSONResponse:
        """200 when the database answers, 503 when it does not."""
        extra = status() if status is not None else {}
        try:
            with state.session_factory() as session:
                session.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            body = {"status": "unavailable", "database": type(exc).__name__, **extra}
            return JSONResponse(body, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok", **extra})

    @app.get("/metrics")
    def metrics(state: HubState = Depends(hub_state)) -> PlainTextResponse:
        with state.session_factory() as session:
            return PlainTextResponse(render_metrics(session), media_type=CONTENT_TYPE)

    app.include_router(callbacks.router)
    app.include_router(webhooks.router)
    mount_console(app, hub, console or ConsoleConfig())
    return app
