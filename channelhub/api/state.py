"""What every route needs, set once on ``app.state.hub`` by the app factory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from fastapi import Request

from channelhub.api.inbound import Gate
from channelhub.api.writer import DeliveryWriter
from channelhub.jobs.accounts.connectors import ConnectorFactoryFn
from channelhub.jobs.engine.runner import SessionFactory
from channelhub.jobs.orders.webhook_intake import IntakeWorker


@dataclass(frozen=True)
class HubState:
    """The database, the account connectors, the clock (injected for tests), the inbound gate
    (limits, shared connectors), the webhook intake worker and the delivery writer."""

    session_factory: SessionFactory
    connector_factory: ConnectorFactoryFn
    now: Callable[[], datetime]
    gate: Gate
    intake: IntakeWorker
    writer: DeliveryWriter


async def hub_state(request: Request) -> HubState:
    """FastAPI dependency: the hub state of the app serving ``request`` (async: a plain
    ``def`` dependency would cost a thread-pool hop on every request)."""
    state: HubState = request.app.state.hub
    return state
