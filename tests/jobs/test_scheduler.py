"""The scheduler plan, and JobService run by APScheduler then drained at a page boundary."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from channelhub.connectors.registry import ConnectorRegistry
from channelhub.connectors.roles import Capability, Role
from channelhub.core.errors import ConfigError
from channelhub.jobs import JobKind
from channelhub.jobs.accounts.setup import jobs_of
from channelhub.jobs.engine.runner import JobOptions, JobResult
from channelhub.jobs.engine.scheduler import (
    JobService,
    LivePlan,
    ScheduledJob,
    build_scheduler,
    capabilities_from_registry,
    intervals_from_seconds,
    plan_jobs,
    refresh_plan,
    roles_from_registry,
)
from channelhub.jobs.settlement.accounts import finance_platforms
from channelhub.settings import JobIntervals, load_settings
from channelhub.store.repos.accounts import AccountInfo
from channelhub.store.repos.jobs import list_runs
from channelhub.store.repos.leases import read_lease
from channelhub.store.tables.jobs import RunOutcome
from tests.jobs.conftest import Clock
from tests.jobs.fakes import ACCOUNT, FakeChannel, Rec

pytestmark = pytest.mark.anyio


def test_settings_name_every_job_kind() -> None:
    assert set(JobIntervals.model_fields) == {kind.value for kind in JobKind}


def test_plan_fits_each_account_role_and_skips_what_is_off_or_unwritten() -> None:
    accounts = [
        AccountInfo(id=1, platform="shopify", name="shop", base_url=None),
        AccountInfo(id=2, platform="wms", name="wh", base_url=None),
        AccountInfo(id=3, platform="unknown", name="odd", base_url=None),
        AccountInfo(id=4, platform="ups", name="ups", base_url=None),
        AccountInfo(
            id=5,
            platform="shopify",
            name="shop2",
            base_url=None,
            settings={"jobs": {"push_stock": True, "pull_orders": False, "reconcile": False}},
        ),
    ]
    roles = {
        "shopify": frozenset({Role.SALES_CHANNEL}),
        "wms": frozenset({Role.WAREHOUSE}),
        "ups": frozenset({Role.CARRIER}),
    }
    intervals = intervals_from_seconds({**JobIntervals().model_dump(), "pull_listings": 0})
    assert JobKind.PULL_LISTINGS not in intervals

    async def poll(_context: object) -> bool:
        return False

    plan = plan_jobs(
        accounts,
        intervals,
        roles_of=lambda platform: roles.get(platform, frozenset()),
        handlers={JobKind.RECONCILE: poll},
    )
    assert {(job.account, job.kind) for job in plan} == {
        ("shop", JobKind.PULL_ORDERS),  # push_stock is off until the seller turns it on
        ("shop", JobKind.PUSH_TRACKING),
        ("shop2", JobKind.PUSH_STOCK),  # turned on; its pull_orders and reconcile turned off
        ("shop2", JobKind.PUSH_TRACKING),
        ("shop", JobKind.RECONCILE),
        ("wh", JobKind.DISPATCH_OUTBOX),
        ("wh", JobKind.RECONCILE),  # a warehouse's stock is reconciled against the ledger
        ("wh", JobKind.PULL_STOCK),  # a WMS's stock levels are read into the ledger
        ("wh", JobKind.POLL_OUTBOUND),  # planned; a WMS that calls back skips it quietly
        ("ups", JobKind.POLL_SHIPMENTS),
        # money from channels and warehouses (one without a finance import skips quietly)
        ("shop", JobKind.PULL_FINANCE),
        ("shop2", JobKind.PULL_FINANCE),
        ("wh", JobKind.PULL_FINANCE),
    }
    assert next(j for j in plan if j.account == "shop").every == timedelta(seconds=300)

    # with the connectors' capabilities, money is pulled only where the connector reads it
    reads = {"shopify": frozenset({Capability.READ_MONEY})}
    fitted = plan_jobs(
        accounts,
        intervals,
        roles_of=lambda platform: roles.get(platform, frozenset()),
        handlers={JobKind.RECONCILE: poll},
        capabilities_of=lambda platform: reads.get(platform, frozenset()),
    )
    assert {(j.account, j.kind) for j in plan} - {(j.account, j.kind) for j in fitted} == {
        ("wh", JobKind.PULL_FINANCE)
    }


def test_the_finance_import_is_what_the_installed_connectors_declare() -> None:
    registry = ConnectorRegistry()
    assert finance_platforms(registry) == ["amazon", "ebay", "shipbob", "shopify"]
    assert "pull_finance" not in {k.value for k in jobs_of(registry.get("temu"))}
    assert JobKind.PULL_FINANCE in jobs_of(registry.get("shipbob"))
    assert JobKind.PULL_FINANCE in capabilities_jobs(registry, "ebay")


def capabilities_jobs(registry: ConnectorRegistry, platform: str) -> list[JobKind]:
    plan = plan_jobs(
        [AccountInfo(id=1, platform=platform, name="a", base_url=None)],
        intervals_from_seconds(JobIntervals().model_dump()),
        roles_of=roles_from_registry(registry),
        capabilities_of=capabilities_from_registry(registry),
    )
    return [job.kind for job in plan]


async def test_scheduler_runs_jobs_and_shutdown_stops_them_at_a_page_boundary(
    session_factory: sessionmaker[Session], clock: Clock
) -> None:
    in_page = asyncio.Event()
    proceed = asyncio.Event()
    results: list[JobResult] = []
    finished = asyncio.Event()

    async def before_page(index: int) -> None:
        if index == 1:
            in_page.set()
            await proceed.wait()

    channel = FakeChannel(pages=[[Rec("A", 1)], [Rec("B", 1)], [Rec("C", 1)]])
    channel.before_page = before_page

    def on_result(result: JobResult) -> None:
        results.append(result)
        finished.set()

    service = JobService(
        session_factory, connector_factory=lambda row: channel, now=clock, on_result=on_result
    )
    plan = [ScheduledJob(ACCOUNT, JobKind.PULL_ORDERS, timedelta(hours=1))]
    scheduler = build_scheduler(service, plan)
    assert [job.id for job in scheduler.get_jobs()] == ["pull_orders:shop1"]
    scheduler.start()
    try:
        await asyncio.wait_for(in_page.wait(), timeout=10)
        assert service.running == 1
        scheduler.pause()  # as `channelhub run` stops: no new runs, drain, then shut down
        draining = asyncio.create_task(service.drain())  # first in line: flags the stop...
        proceed.set()  # ...before the page it interrupts goes on
        await asyncio.wait_for(draining, timeout=10)
    finally:
        scheduler.shutdown(wait=False)
    await asyncio.wait_for(finished.wait(), timeout=10)
    (result,) = results
    assert result.outcome is RunOutcome.INTERRUPTED and result.pages == 2 and result.more
    with session_factory() as session:
        assert not read_lease(session, ACCOUNT, "pull_orders").held  # type: ignore[union-attr]
    assert await service.run(ACCOUNT, JobKind.PULL_ORDERS) is None  # nothing after shutdown


async def test_a_backlog_is_caught_up_in_bounded_units_within_one_tick(
    session_factory: sessionmaker[Session], clock: Clock
) -> None:
    channel = FakeChannel(pages=[[Rec(str(n), 1)] for n in range(5)])
    results: list[JobResult] = []
    service = JobService(
        session_factory,
        connector_factory=lambda row: channel,
        now=clock,
        options=JobOptions(max_pages=2),
        on_result=results.append,
        catch_up_units=1,
    )
    last = await service.run(ACCOUNT, JobKind.PULL_ORDERS)
    assert [r.pages for r in results] == [2, 2] and last is results[-1] and last.more
    await service.run(ACCOUNT, JobKind.PULL_ORDERS)  # the next tick finishes it
    assert [r.pages for r in results] == [2, 2, 1] and not results[-1].more
    with session_factory() as session:
        assert [r.outcome for r in list_runs(session)] == ["ok"] * 3


async def test_one_process_never_runs_a_job_of_an_account_twice_at_once(
    session_factory: sessionmaker[Session], clock: Clock
) -> None:
    """A waker's run and the interval's run of one job, in one process: the second is
    skipped while the first holds the lease (the waker then tries again), where a lease held
    under the service's one name let both run, and the one still going was marked abandoned
    by the next run."""
    in_page, proceed = asyncio.Event(), asyncio.Event()

    async def before_page(index: int) -> None:
        in_page.set()
        await proceed.wait()

    channel = FakeChannel(pages=[[Rec("A", 1)]], before_page=before_page)
    service = JobService(session_factory, connector_factory=lambda row: channel, now=clock)
    first = asyncio.create_task(service.run(ACCOUNT, JobKind.PULL_ORDERS))
    await asyncio.wait_for(in_page.wait(), timeout=10)
    # (before: it took the lease as its own and waited in the page beside the first)
    second = await asyncio.wait_for(service.run(ACCOUNT, JobKind.PULL_ORDERS), timeout=10)
    assert second is not None and second.skipped
    proceed.set()
    done = await asyncio.wait_for(first, timeout=10)
    assert done is not None and done.outcome is RunOutcome.OK
    with session_factory() as session:
        assert [r.outcome for r in list_runs(session)] == ["ok"]  # none abandoned
        assert not read_lease(session, ACCOUNT, "pull_orders").held  # type: ignore[union-attr]
    channel.before_page = None
    again = await service.run(ACCOUNT, JobKind.PULL_ORDERS)  # free again: it runs
    assert again is not None and not again.skipped


def test_jobs_settings_are_validated(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("[jobs.every]\npull_orders = -5\n")
    with pytest.raises(ConfigError, match=r"jobs\.every\.pull_orders.*-5"):
        load_settings(tmp_path, env={})
    settings = load_settings(tmp_path, env={"CHANNELHUB_JOBS__EVERY__PULL_ORDERS": "60"})
    assert settings.jobs.every.pull_orders == 60 and settings.jobs.max_pages_per_run == 50


def test_the_live_plan_follows_the_accounts_while_serving(
    session_factory: sessionmaker[Session], clock: Clock
) -> None:
    """An account whose stock sync is switched on while ``channelhub run`` serves (step 9 of
    the setup guide) is scheduled at the next refresh, at once; a job no longer planned is
    dropped, and one whose interval changed is scheduled again."""
    service = JobService(session_factory, connector_factory=lambda row: None, now=clock)
    orders = ScheduledJob(ACCOUNT, JobKind.PULL_ORDERS, timedelta(minutes=5))
    tracking = ScheduledJob(ACCOUNT, JobKind.PUSH_TRACKING, timedelta(minutes=5))
    live = LivePlan([orders, tracking])
    scheduler = build_scheduler(service, live.jobs)
    stock = ScheduledJob(ACCOUNT, JobKind.PUSH_STOCK, timedelta(minutes=5))
    slower = ScheduledJob(ACCOUNT, JobKind.PULL_ORDERS, timedelta(minutes=10))
    added, dropped = refresh_plan(scheduler, service, live, [slower, stock], now=clock())
    assert (added, dropped) == (["pull_orders:shop1", "push_stock:shop1"], ["push_tracking:shop1"])
    assert sorted(job.id for job in scheduler.get_jobs()) == added
    assert live.accounts(JobKind.PUSH_STOCK) == {ACCOUNT}
    assert scheduler.get_job("pull_orders:shop1").trigger.interval == timedelta(minutes=10)
    assert refresh_plan(scheduler, service, live, [slower, stock]) == ([], [])


def test_a_missing_plugin_is_warned_about_once_per_reader(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """``channelhub run`` plans again every 30 s with one reader: one warning, not one a
    refresh."""
    roles_of = roles_from_registry(ConnectorRegistry())
    with caplog.at_level(logging.WARNING, logger="channelhub.jobs.engine.plan"):
        for _ in range(3):
            assert roles_of("nosuchplatform") == frozenset()
        assert roles_of("shopify")  # an installed one is read as ever
    warnings = [r.getMessage() for r in caplog.records if "no jobs for platform" in r.message]
    assert len(warnings) == 1 and "nosuchplatform" in warnings[0]
