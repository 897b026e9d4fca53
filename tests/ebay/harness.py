"""An eBay connector wired to the eBay simulator in process, and spec checks of its traffic."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import parse_qsl

import httpx
from pydantic import SecretStr

from channelhub.connectors.ebay import EbayConnector
from channelhub.connectors.http.retry import RetryPolicy
from channelhub.connectors.plugin import ConnectorContext
from channelhub.simulators.base import Simulator
from channelhub.simulators.ebay import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_REFRESH_TOKEN,
    create_simulator,
)
from tests.ebay import specs
from tests.openapi3 import assert_valid_request

NOW = datetime(2026, 2, 10, 12, 0, tzinfo=UTC)
SINCE = datetime(2025, 12, 31, tzinfo=UTC)


async def no_sleep(seconds: float) -> None:
    return None


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        self.t += 0.001
        return self.t


def make_connector(
    sim: Simulator,
    *,
    now: Callable[[], datetime] = lambda: NOW,
    refresh_token: str = DEFAULT_REFRESH_TOKEN,
    **kwargs: object,
) -> EbayConnector:
    context = ConnectorContext(
        platform="ebay",
        account="acme",
        base_url="http://ebay.sim",
        credentials={
            "client_id": SecretStr(DEFAULT_CLIENT_ID),
            "client_secret": SecretStr(DEFAULT_CLIENT_SECRET),
            "refresh_token": SecretStr(refresh_token),
            "verification_token": SecretStr("verify-me-0123456789-abcdefghij-klmnop"),
        },
        settings={"notification_endpoint": "https://hub.example.com/webhooks/ebay/acme"},
        transport=httpx.ASGITransport(app=sim),
        clock=FakeClock(),
        sleep=no_sleep,
        now=now,
    )
    return EbayConnector(context, **kwargs)  # type: ignore[arg-type]


def simulator(**options: object) -> Simulator:
    return create_simulator(seed=7, now=lambda: NOW, **options)  # type: ignore[arg-type]


FAST_RETRY = RetryPolicy(max_attempts=8, initial_backoff=0, jitter=0)


def assert_journal_matches_specs(sim: Simulator) -> int:
    """Every API request the simulator received is valid against its published spec."""
    checked = 0
    for entry in sim.journal.entries:
        if entry.path.startswith("/identity/"):
            form = dict(parse_qsl(entry.body.decode()))
            assert form["grant_type"] in {"refresh_token", "client_credentials"}
            assert entry.headers["authorization"].startswith("Basic ")
            continue
        if entry.path.startswith("/sell/fulfillment/"):
            spec = specs.fulfillment()
        elif entry.path.startswith("/sell/inventory/"):
            spec = specs.inventory()
        elif entry.path.startswith("/sell/finances/"):
            spec = specs.finances()
        else:
            spec = specs.notification()
        headers = {k.title(): v for k, v in entry.headers.items()}
        assert_valid_request(
            spec,
            entry.method,
            entry.path + (f"?{entry.query}" if entry.query else ""),
            headers=headers,
            content=entry.body or None,
        )
        checked += 1
    return checked
