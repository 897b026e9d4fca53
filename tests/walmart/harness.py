"""A Walmart connector wired to the Walmart simulator in process."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
from pydantic import SecretStr

from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.walmart import WalmartConnector
from channelhub.simulators.base import Simulator
from channelhub.simulators.walmart import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    create_simulator,
)

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
SINCE = datetime(2026, 2, 1, tzinfo=UTC)
HOOK_USER, HOOK_PASSWORD = "hub-hooks", "wm-hook-password-0123456789"


class FakeTime:
    """One monotonic clock for the simulator's buckets and the connector: waiting moves it."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += max(seconds, 0.0)


def simulator(**options: object) -> Simulator:
    time = FakeTime()
    sim = create_simulator(seed=11, now=lambda: NOW, clock=time, **options)  # type: ignore[arg-type]
    sim.time = time  # type: ignore[attr-defined]
    return sim


def make_connector(
    sim: Simulator,
    *,
    now: Callable[[], datetime] = lambda: NOW,
    client_secret: str = DEFAULT_CLIENT_SECRET,
    **kwargs: object,
) -> WalmartConnector:
    context = ConnectorContext(
        platform="walmart",
        account="acme-wm",
        base_url="http://walmart.sim",
        credentials={
            "client_id": SecretStr(DEFAULT_CLIENT_ID),
            "client_secret": SecretStr(client_secret),
            "notification_password": SecretStr(HOOK_PASSWORD),
        },
        settings={"notification_username": HOOK_USER},
        transport=httpx.ASGITransport(app=sim),
        clock=sim.time,  # type: ignore[attr-defined]
        sleep=sim.time.sleep,  # type: ignore[attr-defined]
        now=now,
        rng=random.Random(3),
    )
    return WalmartConnector(context, **kwargs)  # type: ignore[arg-type]
