"""A Temu connector wired to the Temu simulator in process, on one shared manual clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
from pydantic import SecretStr

from channelhub.connectors.http.ratelimit import RateLimit
from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.temu import TemuConnector
from channelhub.connectors.temu.connector import APP_KEY_BUCKET
from channelhub.mappings.temu import sign_matches, timestamp_within_skew
from channelhub.simulators.base import Simulator
from channelhub.simulators.temu import (
    DEFAULT_ACCESS_TOKEN,
    DEFAULT_APP_KEY,
    DEFAULT_APP_SECRET,
    create_simulator,
)
from tests.temu.transcript import check_against_table, common_params

START = datetime(2026, 2, 10, 12, 0, tzinfo=UTC)
SINCE = datetime(2025, 12, 31, tzinfo=UTC)


class ManualClock:
    """Monotonic seconds and wall time that only move when someone sleeps."""

    def __init__(self) -> None:
        self.t = 0.0

    def monotonic(self) -> float:
        return self.t

    def now(self) -> datetime:
        return START + timedelta(seconds=self.t)

    async def sleep(self, seconds: float) -> None:
        self.t += max(seconds, 0.0)


def simulator(clock: ManualClock, **options: object) -> Simulator:
    return create_simulator(
        seed=3, now=clock.now, clock=clock.monotonic, sleep=clock.sleep, **options
    )  # type: ignore[arg-type]


def make_connector(
    sim: Simulator,
    clock: ManualClock,
    *,
    secret: str = DEFAULT_APP_SECRET,
    skew: timedelta = timedelta(0),
    rate: float | None = None,
    page_size: int = 100,
    window: timedelta = timedelta(days=1),
    **settings: object,
) -> TemuConnector:
    overrides = {}
    if rate is not None:  # the one bucket every API type of the app key shares
        overrides = {APP_KEY_BUCKET: RateLimit(rate=rate, burst=rate)}
    context = ConnectorContext(
        platform="temu",
        account="temu-us",
        base_url="http://temu.sim",
        credentials={
            "app_key": SecretStr(DEFAULT_APP_KEY),
            "app_secret": SecretStr(secret),
            "access_token": SecretStr(DEFAULT_ACCESS_TOKEN),
        },
        settings={"region": "us", "carrier_ids": {"USPS": "699272611"}, **settings},
        rate_limits=overrides,
        transport=httpx.ASGITransport(app=sim),
        clock=clock.monotonic,
        sleep=clock.sleep,
        now=lambda: clock.now() + skew,
    )
    return TemuConnector(context, page_size=page_size, window=window)


def assert_journal_follows_transcript(sim: Simulator, clock: ManualClock) -> int:
    """Every request: the documented common params, a valid sign, a fresh timestamp, and
    business params from the transcript's table for the types that have one."""
    tables = {
        "bg.order.list.v2.get",
        "bg.order.detail.v2.get",
        "bg.order.shippinginfo.v2.get",
        "bg.local.goods.list.query",
    }
    common = set(common_params())
    checked = 0
    for entry in sim.journal.entries:
        assert entry.path == "/openapi/router" and entry.method == "POST"
        assert entry.headers["content-type"] == "application/json"
        body = json.loads(entry.body)
        assert sign_matches(body, DEFAULT_APP_SECRET), body["type"]
        assert timestamp_within_skew(body["timestamp"], clock.now())
        assert body["data_type"] == "JSON"
        business = {k: v for k, v in body.items() if k not in common}
        if body["type"] in tables:
            check_against_table(body["type"], business)
        checked += 1
    return checked
