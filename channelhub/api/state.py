"""What every route needs, set once on ``app.state.hub`` by the app factory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from fastapi import Request

from channelhub.jobs.connectors import ConnectorFactoryFn
from channelhub.jobs.runner import SessionFactory


@dataclass(frozen=True)
class HubState:
    """The database, the account connectors and the clock (injected for tests)."""

    session_factory: SessionFactory
    connector_factory: ConnectorFactoryFn
    now: Callable[[], datetime]


def hub_state(request: Request) -> HubState:
    """FastAPI dependency: the hub state of the app serving ``request``."""
    state: HubState = request.app.state.hub
    return state
