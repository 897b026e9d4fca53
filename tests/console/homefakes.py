"""A fake channel that talks HTTP through the real client stack (``http_client_for``,
``RefreshingToken``, ``HeaderTokenAuth``) to routes mocked with respx, so a job run reports
its attempts and tokens to the run's usage recorder exactly as a real connector does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from channelhub.connectors.http.auth import HeaderTokenAuth, RefreshingToken, TokenGrant
from channelhub.connectors.http.client import ConnectorHttpClient
from channelhub.connectors.http.ratelimit import RateLimit
from channelhub.connectors.http.retry import RetryPolicy
from channelhub.connectors.observe import observer_for
from channelhub.connectors.plugin import ConnectorContext, http_client_for
from channelhub.connectors.results import PageOf
from channelhub.core.models import Order
from channelhub.jobs import JobKind
from channelhub.jobs.engine.runner import run_job
from tests.console.conftest import Hub
from tests.jobs.fakes import ACCOUNT, PLATFORM, FakeChannel, Rec

BASE = "http://fakeshop.test"
LIMITS = {"getOrders": RateLimit(rate=2, burst=10), "token": RateLimit(rate=1, burst=5)}


async def _no_sleep(seconds: float) -> None:
    return None


@dataclass
class HttpChannel(FakeChannel):
    """:class:`FakeChannel` whose order pull first calls ``GET /orders`` (``calls_per_pull``
    times) through the real client."""

    http: ConnectorHttpClient | None = None
    calls_per_pull: int = 2

    async def pull_orders(
        self, cursor: str | None = None, *, since: datetime | None = None
    ) -> AsyncIterator[PageOf[Order]]:
        assert self.http is not None
        for _ in range(self.calls_per_pull):
            await self.http.request("getOrders", "GET", "/orders")
        async for page in super().pull_orders(cursor, since=since):
            yield page

    async def aclose(self) -> None:
        assert self.http is not None
        await self.http.aclose()


def http_channel_factory(now: Callable[[], datetime]) -> Callable[[Any], HttpChannel]:
    """The connector factory a run calls: the context's observer is the run's recorder's, as
    :class:`~channelhub.jobs.accounts.connectors.ConnectorFactory` hands it out."""

    def build(row: Any) -> HttpChannel:
        context = ConnectorContext(
            platform=PLATFORM,
            account=row.name,
            base_url=BASE,
            now=now,
            sleep=_no_sleep,
            observer=observer_for(row.name),
        )
        token_http = http_client_for(
            context, default_base_url=BASE, limits=LIMITS, retry=RetryPolicy.never()
        )

        async def fetch() -> TokenGrant:
            response = await token_http.request("token", "POST", "/token")
            return TokenGrant.from_oauth_response(response.json())

        token = RefreshingToken(fetch, observer=context.observer)
        http = http_client_for(
            context,
            default_base_url=BASE,
            limits=LIMITS,
            auth=HeaderTokenAuth("Authorization", token, prefix="Bearer "),
            retry=RetryPolicy(jitter=0),
        )
        return HttpChannel(pages=[[Rec("A", 1)]], account=row.name, http=http)

    return build


def run_pull(hub: Hub) -> Any:
    """One pull_orders run of the seeded account through :func:`http_channel_factory` (in a
    thread of its own: Playwright's sync API may hold an event loop on this one)."""
    return run_in_thread(
        run_job(
            hub.session_factory,
            ACCOUNT,
            JobKind.PULL_ORDERS,
            connector_factory=http_channel_factory(hub.clock),
            now=hub.clock,
        )
    )


def run_in_thread(work: Coroutine[Any, Any, Any]) -> Any:
    with ThreadPoolExecutor(1) as worker:
        return worker.submit(asyncio.run, work).result()


def ok(json: Any) -> httpx.Response:
    return httpx.Response(200, json=json)
