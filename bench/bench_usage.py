"""API-usage recording: what the per-call observer costs the HTTP client, and the one write
at a run's end.

Figures: requests per second through :class:`ConnectorHttpClient` against an in-process
``httpx.MockTransport`` without an observer (the baseline) and with the hub's
:class:`UsageRecorder`; the recorder's ``on_call`` alone per second; and the time
:func:`save_usage` takes on SQLite for a run that used 20 operations over 3 hours (60 rows).
``--scale 0.1`` does a tenth of the work.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bench.run import Figure
from channelhub.connectors.http.client import ConnectorHttpClient
from channelhub.connectors.http.ratelimit import RateLimit
from channelhub.jobs.accounts.usage import UsageRecorder, save_usage
from channelhub.store.db import make_engine, make_session_factory, upgrade

TRACE_MEMORY = False
NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _clock() -> datetime:
    return NOW


async def _requests(count: int, recorder: UsageRecorder | None) -> float:
    client = ConnectorHttpClient(
        platform="bench",
        account="a",
        base_url="http://bench.test",
        limits={},
        default_limit=RateLimit(rate=1e9, burst=1e9),
        transport=httpx.MockTransport(lambda request: httpx.Response(200, json={})),
        observer=None if recorder is None else recorder.for_account("a"),
    )
    started = time.perf_counter()
    async with client:
        for i in range(count):
            await client.request(f"op{i % 20}", "GET", "/x")
    return count / (time.perf_counter() - started)


def _save_ms() -> float:
    recorder = UsageRecorder(_clock)
    usage = recorder.for_account("a")
    for hour in range(3):
        usage.now = lambda h=hour: NOW + timedelta(hours=h)  # type: ignore[misc]
        for op in range(20):
            usage.on_call(f"op{op}", 200, ok=True, rate=5.0)
    with tempfile.TemporaryDirectory() as scratch:
        engine = make_engine(f"sqlite:///{Path(scratch) / 'b.db'}")
        upgrade(engine)
        factory = make_session_factory(engine)
        started = time.perf_counter()
        with factory.begin() as session:
            save_usage(session, recorder)
        elapsed = time.perf_counter() - started
        engine.dispose()
    return elapsed * 1000


def run(args: argparse.Namespace) -> list[Figure]:
    count = max(100, int(5_000 * args.scale))
    plain = asyncio.run(_requests(count, None))
    observed = asyncio.run(_requests(count, UsageRecorder(_clock)))
    usage = UsageRecorder(_clock).for_account("a")
    calls = max(1000, int(200_000 * args.scale))
    started = time.perf_counter()
    for i in range(calls):
        usage.on_call("op", 200 if i % 10 else 429, ok=True, rate=5.0)
    per_second = calls / (time.perf_counter() - started)
    return [
        Figure("requests/s, no observer (baseline)", plain, "req/s"),
        Figure("requests/s, with the usage recorder", observed, "req/s"),
        Figure("recorder on_call alone", per_second, "calls/s"),
        Figure("save_usage, 60 rows, SQLite", _save_ms(), "ms"),
    ]
