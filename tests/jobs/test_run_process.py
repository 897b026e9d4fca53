"""``channelhub run``'s loop: HTTP and scheduler in one process, stopped by a real SIGTERM
in the middle of an import, losing and doubling nothing (no sleeps: events only)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from channelhub.cli.run import refresh_or_warn, serve_hub
from channelhub.connectors.results import OutboundReceipt
from channelhub.core.errors import ConfigError
from channelhub.core.fulfilment import OutboundOrder
from channelhub.jobs import JobKind
from channelhub.jobs.engine.runner import JobOptions, run_job
from channelhub.jobs.engine.scheduler import JobService, LivePlan, ScheduledJob, build_scheduler
from channelhub.jobs.engine.unit_wake import UnitWakeTiming
from channelhub.store.crypto import Vault
from channelhub.store.repos.accounts import add_account
from channelhub.store.repos.jobs import list_runs
from channelhub.store.repos.leases import read_lease
from channelhub.store.tables.orders import OrderRow
from tests.jobs.conftest import Clock
from tests.jobs.dispatch_fakes import FakeWarehouse, seed_allocated
from tests.jobs.fakes import ACCOUNT, FakeChannel, Rec

pytestmark = pytest.mark.anyio


async def test_sigterm_mid_import_finishes_the_page_and_a_restart_completes(
    session_factory: sessionmaker[Session], clock: Clock
) -> None:
    stop = asyncio.Event()
    in_page = asyncio.Event()
    ready: asyncio.Future[tuple[int, JobService]] = asyncio.get_running_loop().create_future()

    async def before_page(index: int) -> None:
        if index == 1:
            in_page.set()
            await stop.wait()  # the page is in flight when SIGTERM arrives

    pages = [[Rec("A", 1)], [Rec("B", 1), Rec("A", 2)], [Rec("C", 1)]]
    channel = FakeChannel(pages=pages, before_page=before_page)
    hub = asyncio.create_task(
        serve_hub(
            session_factory=session_factory,
            connector_factory=lambda row: channel,
            plan=[ScheduledJob(ACCOUNT, JobKind.PULL_ORDERS, timedelta(hours=1))],
            options=JobOptions(),
            port=0,
            now=clock,
            on_ready=lambda port, service: ready.set_result((port, service)),
            stop=stop,
        )
    )
    port, service = await asyncio.wait_for(ready, timeout=10)
    await asyncio.wait_for(in_page.wait(), timeout=10)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        health = (await client.get("/health")).json()
    assert health == {"status": "ok", "database": "ok", "jobs_scheduled": 1, "jobs_running": 1}

    os.kill(os.getpid(), signal.SIGTERM)
    drained = await asyncio.wait_for(hub, timeout=10)
    assert drained is service and service.running == 0

    with session_factory() as session:
        (run,) = list_runs(session)
        assert (run.outcome, run.pages, run.new, run.updated) == ("interrupted", 2, 2, 1)
        assert not read_lease(session, ACCOUNT, "pull_orders").held  # type: ignore[union-attr]
    with pytest.raises(httpx.ConnectError):  # the HTTP side is down too
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            await client.get("/health")

    channel.before_page = None  # restarted: the next run picks up after page 2
    result = await run_job(
        session_factory,
        ACCOUNT,
        JobKind.PULL_ORDERS,
        connector_factory=lambda row: channel,
        now=clock,
    )
    assert channel.calls[-1][0] == "2" and result.counts.new == 1
    with session_factory() as session:
        rows = session.execute(select(OrderRow.external_id, OrderRow.channel_status)).all()
    assert sorted((e, s) for e, s in rows) == [("A", "v2"), ("B", "v1"), ("C", "v1")]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handlers removed again


async def test_sigterm_with_a_slow_platform_abandons_the_page_in_flight(
    session_factory: sessionmaker[Session], clock: Clock
) -> None:
    """The platform never answers page 2: past the grace period the run is cancelled, its
    uncommitted page abandoned (cursor too), the lease released; a restart redoes that page."""
    ready: asyncio.Future[tuple[int, JobService]] = asyncio.get_running_loop().create_future()
    in_page = asyncio.Event()
    never = asyncio.Event()

    async def before_page(index: int) -> None:
        if index == 1:
            in_page.set()
            await never.wait()  # a platform that takes minutes for one page

    pages = [[Rec("A", 1)], [Rec("B", 1)], [Rec("C", 1)]]
    channel = FakeChannel(pages=pages, before_page=before_page)
    hub = asyncio.create_task(
        serve_hub(
            session_factory=session_factory,
            connector_factory=lambda row: channel,
            plan=[ScheduledJob(ACCOUNT, JobKind.PULL_ORDERS, timedelta(hours=1))],
            options=JobOptions(),
            port=0,
            now=clock,
            on_ready=lambda port, service: ready.set_result((port, service)),
            grace=0,  # injected: no real waiting for a page that never comes
        )
    )
    await asyncio.wait_for(ready, timeout=10)
    await asyncio.wait_for(in_page.wait(), timeout=10)
    os.kill(os.getpid(), signal.SIGTERM)
    service = await asyncio.wait_for(hub, timeout=10)
    assert service.running == 0 and service.abandoned == 1 and not never.is_set()

    with session_factory() as session:
        (run,) = list_runs(session)
        assert (run.outcome, run.pages, run.new) == ("interrupted", 1, 1)
        assert run.error is not None and "page in flight was abandoned" in run.error
        assert not read_lease(session, ACCOUNT, "pull_orders").held  # type: ignore[union-attr]
    # closed on the way out: by the abandoned run, and by the app, which built the account's
    # shared inbound connector at start (this fake factory hands both the same object)
    assert channel.closed == 2

    channel.before_page = None  # restarted: the abandoned page 2 is fetched again
    result = await run_job(
        session_factory,
        ACCOUNT,
        JobKind.PULL_ORDERS,
        connector_factory=lambda row: channel,
        now=clock,
    )
    assert channel.calls[-1][0] == "1" and result.counts.new == 2
    with session_factory() as session:
        rows = session.scalars(select(OrderRow.external_id)).all()
    assert sorted(rows) == ["A", "B", "C"]


async def test_a_busy_port_is_refused_before_anything_starts(
    session_factory: sessionmaker[Session], clock: Clock
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as other:
        port = other.getsockname()[1]
        with pytest.raises(ConfigError, match=f"cannot listen on 127.0.0.1:{port}: address"):
            await serve_hub(
                session_factory=session_factory,
                connector_factory=lambda row: FakeChannel(pages=[]),
                plan=[ScheduledJob(ACCOUNT, JobKind.PULL_ORDERS, timedelta(hours=1))],
                options=JobOptions(),
                port=port,
                now=clock,
            )
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # no handler left behind
    with session_factory() as session:
        assert list_runs(session) == []  # no job ran


def test_the_plan_refresh_schedules_new_jobs_and_survives_an_unreadable_database(
    session_factory: sessionmaker[Session], clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    service = JobService(session_factory, connector_factory=lambda row: None, now=clock)
    live = LivePlan([])
    scheduler = build_scheduler(service, live.jobs)
    stock = ScheduledJob(ACCOUNT, JobKind.PUSH_STOCK, timedelta(minutes=5))

    def unreadable() -> list[ScheduledJob]:
        raise OperationalError("SELECT", {}, Exception("the database is locked"))

    with caplog.at_level(logging.INFO, logger="channelhub.cli.run"):
        refresh_or_warn(scheduler, service, live, unreadable)  # one line, and the hub carries on
        refresh_or_warn(scheduler, service, live, lambda: [stock])
    assert [job.id for job in scheduler.get_jobs()] == ["push_stock:shop1"]
    assert [r.getMessage() for r in caplog.records] == [
        "cannot read the accounts for the job plan (OperationalError); trying again in 30 s",
        "job plan changed: scheduled ['push_stock:shop1']; dropped none",
    ]


async def test_the_hub_dispatches_an_order_committed_while_it_serves_within_its_wake_window(
    session_factory: sessionmaker[Session], vault: Vault
) -> None:
    """The first dispatch run (at start) finds nothing; an order allocated afterwards reaches
    the warehouse by the unit wake, an hour before the interval's next run."""
    created, closed = asyncio.Event(), asyncio.Event()

    class Warehouse(FakeWarehouse):
        async def aclose(self) -> None:
            closed.set()  # a run ended

        async def create_outbound(self, order: OutboundOrder) -> OutboundReceipt:
            receipt = await super().create_outbound(order)
            created.set()
            return receipt

    wms = Warehouse()
    with session_factory.begin() as session:
        add_account(
            session, vault, platform="fakewms", name="US-EAST", now=datetime.now(UTC),
            credentials={"k": SecretStr("v")},
        )  # fmt: skip
    stop = asyncio.Event()
    ready: asyncio.Future[JobService] = asyncio.get_running_loop().create_future()
    hub = asyncio.create_task(
        serve_hub(
            session_factory=session_factory,
            connector_factory=lambda row: wms,
            plan=[ScheduledJob("US-EAST", JobKind.DISPATCH_OUTBOX, timedelta(hours=1))],
            options=JobOptions(unit_wake=UnitWakeTiming(window=timedelta(seconds=0.05))),
            port=0,
            now=lambda: datetime.now(UTC),
            on_ready=lambda port, service: ready.set_result(service),
            stop=stop,
        )
    )
    service = await asyncio.wait_for(ready, timeout=10)
    await asyncio.wait_for(closed.wait(), timeout=10)  # the start's run found nothing due
    with session_factory() as session:
        seed_allocated(session)
    await asyncio.wait_for(created.wait(), timeout=10)
    stop.set()
    await asyncio.wait_for(hub, timeout=10)
    assert service.running == 0 and len(wms.created) == 1
    with session_factory() as session:
        runs = [run.job_kind for run in list_runs(session)]
    assert runs.count("dispatch_outbox") == 2  # the start's (nothing due), then the wake's
