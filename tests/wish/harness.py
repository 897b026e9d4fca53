"""A Wish connector wired to the Wish simulator in process, on one fake clock."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from pydantic import SecretStr

from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.wish import WishConnector
from channelhub.simulators.base import Simulator
from channelhub.simulators.wish import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_REFRESH_TOKEN,
    WAREHOUSE_ID,
    create_simulator,
)
from tests.walmart.harness import FakeTime

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
SINCE = datetime(2026, 2, 1, tzinfo=UTC)


def simulator(**options: object) -> Simulator:
    time = FakeTime()
    sim = create_simulator(seed=5, now=lambda: NOW, clock=time, **options)  # type: ignore[arg-type]
    sim.time = time  # type: ignore[attr-defined]
    return sim


def make_connector(
    sim: Simulator,
    *,
    refresh_token: str = DEFAULT_REFRESH_TOKEN,
    now: datetime = NOW,
    **kwargs: object,
) -> WishConnector:
    context = ConnectorContext(
        platform="wish",
        account="acme-wish",
        base_url="http://wish.sim",
        credentials={
            "client_id": SecretStr(DEFAULT_CLIENT_ID),
            "client_secret": SecretStr(DEFAULT_CLIENT_SECRET),
            "refresh_token": SecretStr(refresh_token),
        },
        settings={"warehouse_id": WAREHOUSE_ID},
        transport=httpx.ASGITransport(app=sim),
        clock=sim.time,  # type: ignore[attr-defined]
        sleep=sim.time.sleep,  # type: ignore[attr-defined]
        now=lambda: now,
    )
    return WishConnector(context, **kwargs)  # type: ignore[arg-type]
