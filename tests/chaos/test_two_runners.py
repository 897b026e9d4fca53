"""Two ``channelhub run`` processes on one PostgreSQL database, one of them SIGKILLed
mid-dispatch: the other takes its leases over at once and every warehouse order and
fulfilment lands exactly once. (PostgreSQL only, as a fleet runs it: SQLite is one host's
file, and the kill -9 suite covers it with ``jobs run`` workers.)"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from bench.chaos_world import CHANNELS, Sizes, chaos_world
from channelhub.demo import flow
from channelhub.jobs import JobKind
from channelhub.jobs.fulfilment.outbound import FULFILMENT
from channelhub.jobs.orders.pipeline import OUTBOUND_CREATE

pytestmark = pytest.mark.anyio


async def test_two_runners_one_killed_exactly_once(db_url: str, tmp_path: Path) -> None:
    if db_url.startswith("sqlite"):
        pytest.skip("two runners share a PostgreSQL database")
    with chaos_world(tmp_path / "home", db_url, Sizes(orders=2, kills=1, seed=3)) as chaos:
        try:
            for account in CHANNELS:
                await chaos.in_process(JobKind.PULL_LISTINGS, account)
                await chaos.in_process(JobKind.PULL_ORDERS, account)
            await flow.plan_orders(chaos.hub)
            every = {JobKind.DISPATCH_OUTBOX.value: 1, JobKind.PUSH_TRACKING.value: 1}
            first, second = chaos.runner(**every), chaos.runner(**every)
            chaos.wire.arm(first.pid, 3)  # the first dies at the 3rd call to any platform
            try:
                await chaos.drained(OUTBOUND_CREATE)
                chaos.check_dispatch()
                await chaos.ship()
                await chaos.drained(FULFILMENT)
                chaos.check_tracking()
            finally:
                chaos.wire.disarm()
                for process in (first, second):
                    if process.poll() is None:
                        process.send_signal(signal.SIGTERM)
                    process.communicate(timeout=30)
        finally:
            await chaos.hub.aclose()
    assert first.returncode == -signal.SIGKILL  # it really died mid-flight
    assert second.returncode == 0
    assert chaos.report.counts["warehouse orders"] > 0
    assert chaos.report.counts["fulfilments pushed"] > 0
