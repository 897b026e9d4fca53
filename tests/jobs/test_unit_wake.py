"""The embedded engine's unit wake: a committed outbox message runs the unit that sends it
(dispatch to the warehouse, tracking to the channel) once the wake window passed, instead of
at the unit's interval; a rollback wakes nothing; a burst is one run; a unit the plan does not
schedule is left alone; another process's messages and retries come due are found by a look;
a finished Shopify bulk query wakes the account's import. An injected clock drives it all."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from channelhub.core.fulfilment import Package, Shipment
from channelhub.core.stock import Warehouse
from channelhub.jobs.engine.kinds import JobKind
from channelhub.jobs.engine.leasing import holding
from channelhub.jobs.engine.runner import JobOptions
from channelhub.jobs.engine.scheduler import JobService, LivePlan, ScheduledJob, unit_waker
from channelhub.jobs.engine.unit_wake import (
    LOOK_OVERLAP,
    OutboxLook,
    UnitWaker,
    UnitWakeTiming,
    install_unit_wake,
)
from channelhub.jobs.fulfilment.shipments import apply_shipment
from channelhub.store.crypto import Vault
from channelhub.store.db import make_session_factory
from channelhub.store.repos.accounts import add_account
from channelhub.store.repos.outbox import CameDue, mark_failed
from channelhub.store.repos.stock import upsert_warehouse
from channelhub.store.repos.txnotes import note_topics
from channelhub.store.tables.outbox import OutboxMessage
from tests.jobs.conftest import Clock
from tests.jobs.dispatch_fakes import FakeWarehouse, outbound, queue_outbound, seed_allocated
from tests.jobs.test_handlers import Shop

pytestmark = pytest.mark.anyio
TIMING = UnitWakeTiming(window=timedelta(seconds=1), watch=timedelta(seconds=5))
EVERY = timedelta(minutes=5)


class Hub:
    """A hub's database, its job service and unit waker (hooked to the factory), a warehouse
    and a shop."""

    def __init__(self, factory: sessionmaker[Session], clock: Clock, plan: LivePlan) -> None:
        self.factory = factory
        self.clock = clock
        self.wms = FakeWarehouse()
        self.shop = Shop(pages=[], account="shop-us", platform="shopify")
        connectors = {"US-EAST": self.wms, "shop-us": self.shop}
        self.service = JobService(
            factory,
            connector_factory=lambda row: connectors[row.name],
            now=clock,
            options=JobOptions(unit_wake=TIMING),
        )
        waker = unit_waker(self.service, plan)
        assert waker is not None
        self.waker: UnitWaker = waker
        self.uninstall = install_unit_wake(factory, waker.notify)

    async def wake(self) -> list[tuple[str, JobKind]]:
        """Start what is due now and let those runs finish; the units run."""
        before = dict(self.waker.runs)
        await asyncio.gather(*await self.waker.tick())
        return sorted(unit for unit, n in self.waker.runs.items() if n != before.get(unit))

    def sent(self) -> list[str]:
        with self.factory() as session:
            return list(session.scalars(select(OutboxMessage.state).order_by(OutboxMessage.id)))


def _plan(*units: tuple[str, JobKind]) -> LivePlan:
    return LivePlan([ScheduledJob(account, kind, EVERY) for account, kind in units])


DISPATCH = ("US-EAST", JobKind.DISPATCH_OUTBOX)
TRACKING = ("shop-us", JobKind.PUSH_TRACKING)
IMPORT = ("shop-us", JobKind.PULL_ORDERS)


@pytest.fixture
def accounts(engine: Engine, vault: Vault, clock: Clock) -> sessionmaker[Session]:
    factory = make_session_factory(engine)
    with factory.begin() as session:
        for platform, name in (("shopify", "shop-us"), ("fakewms", "US-EAST")):
            add_account(
                session, vault, platform=platform, name=name, now=clock(),
                credentials={"k": SecretStr("v")},
            )  # fmt: skip
    return factory


@pytest.fixture
def hub(accounts: sessionmaker[Session], clock: Clock) -> Iterator[Hub]:
    built = Hub(accounts, clock, _plan(DISPATCH, TRACKING, IMPORT))
    yield built
    built.uninstall()


async def test_an_allocated_order_reaches_its_warehouse_once_the_window_passed(hub: Hub) -> None:
    with hub.factory() as session:
        seed_allocated(session)
    assert await hub.wake() == []  # the window has not passed
    hub.clock.advance(seconds=1)
    assert await hub.wake() == [DISPATCH]
    assert [o.key for o in hub.wms.created] == [outbound().idempotency_key]
    assert hub.sent() == ["sent"]
    assert await hub.wake() == []  # nothing waits any more


async def test_a_burst_of_commits_is_one_run_and_a_rollback_wakes_nothing(
    hub: Hub, clock: Clock
) -> None:
    with hub.factory() as session:
        seed_allocated(session, outbound(part=1))
    clock.advance(seconds=0.5)
    with hub.factory.begin() as session:
        queue_outbound(session, outbound((("CUP", 1),), part=2), now=clock())
    with hub.factory() as session, session.begin():
        queue_outbound(session, outbound((("CUP", 1),), part=3), now=clock())
        session.rollback()
    clock.advance(seconds=0.5)
    assert await hub.wake() == [DISPATCH]
    assert hub.waker.runs == {DISPATCH: 1}
    assert len(hub.wms.created) == 2 and hub.sent() == ["sent", "sent"]


async def test_a_shipment_pushes_its_tracking_to_the_channel(hub: Hub, clock: Clock) -> None:
    with hub.factory() as session:
        seed_allocated(session)
    clock.advance(seconds=1)
    await hub.wake()
    out = outbound()
    with hub.factory.begin() as session:
        shipment = Shipment(
            outbound_key=out.idempotency_key, warehouse=out.warehouse, shipment_id="S1",
            shipped_at=clock(),
            packages=(Package(package_id="P1", tracking_number="1ZA", carrier="ups"),),
        )  # fmt: skip
        apply_shipment(session, shipment, now=clock())
    clock.advance(seconds=1)
    assert await hub.wake() == [TRACKING]
    assert hub.shop.fulfilled == ["1ZA"]


async def test_a_unit_the_plan_does_not_schedule_is_left_to_itself(
    accounts: sessionmaker[Session], clock: Clock
) -> None:
    plan = _plan(TRACKING)  # the warehouse's dispatch is switched off
    hub = Hub(accounts, clock, plan)
    try:
        with hub.factory() as session:
            seed_allocated(session)
        clock.advance(seconds=1)
        assert await hub.wake() == [] and hub.wms.created == []
        plan.jobs.append(ScheduledJob(*DISPATCH, EVERY))  # switched on: the next message wakes
        with hub.factory.begin() as session:
            queue_outbound(session, outbound((("CUP", 1),), part=2), now=clock())
        clock.advance(seconds=1)
        assert await hub.wake() == [DISPATCH] and len(hub.wms.created) == 2
    finally:
        hub.uninstall()


async def test_a_unit_whose_lease_is_held_elsewhere_is_run_again_later(
    hub: Hub, clock: Clock
) -> None:
    with hub.factory() as session:
        seed_allocated(session)
    clock.advance(seconds=1)
    async with holding(
        hub.factory, "US-EAST", JobKind.DISPATCH_OUTBOX.value, holder="cli", now=clock,
        ttl=timedelta(minutes=5),
    ):  # fmt: skip
        assert await hub.wake() == [DISPATCH]  # skipped: a person's command holds it
    assert hub.wms.created == []
    assert hub.waker.due_at() == clock() + TIMING.window
    clock.advance(seconds=1)
    assert await hub.wake() == [DISPATCH]
    assert len(hub.wms.created) == 1


async def test_another_processs_messages_are_found_by_a_look(hub: Hub, clock: Clock) -> None:
    other_process = make_session_factory(hub.factory.kw["bind"])  # no hook of the hub's
    assert hub.waker.look() == 0  # the first look learns what is due already
    with other_process() as session:
        seed_allocated(session)  # due long ago: the interval run that starts the hub sends it
    with other_process.begin() as session:
        queue_outbound(session, outbound((("CUP", 1),), part=2), now=clock())
    clock.advance(seconds=5)
    assert hub.waker.look() == 1
    assert await hub.wake() == [DISPATCH]  # at once: the look's interval gathered them
    assert len(hub.wms.created) == 2  # the run sends whatever is due
    clock.advance(seconds=5)
    assert hub.waker.look() == 0  # sent: nothing came due since


async def test_a_failed_message_is_woken_again_when_its_retry_time_comes(
    hub: Hub, clock: Clock
) -> None:
    """Seen when it first came due, failed (the warehouse was down), then due again at its
    retry time: news again (a look that knew messages by id alone left the retry to the
    interval run)."""
    hub.waker.look()
    other_process = make_session_factory(hub.factory.kw["bind"])
    with other_process.begin() as session:
        upsert_warehouse(session, Warehouse(code="US-EAST", country="US"), now=clock())
        queue_outbound(session, outbound(), now=clock())
    clock.advance(seconds=5)
    assert hub.waker.look() == 1  # new: seen
    with other_process.begin() as session:
        message_id = session.scalars(select(OutboxMessage.id)).one()
        mark_failed(session, message_id, error="warehouse down", now=clock())
        row = session.get(OutboxMessage, message_id)
        assert row is not None
        retry_at = row.next_attempt_at
    assert retry_at - clock() < LOOK_OVERLAP  # still inside the window of the next looks
    clock.at = retry_at - timedelta(seconds=1)
    assert hub.waker.look() == 0
    clock.at = retry_at + timedelta(seconds=1)
    assert hub.waker.look() == 1
    clock.advance(seconds=5)
    assert hub.waker.look() == 0  # once per time it comes due


def test_a_look_reads_behind_its_last_one_and_takes_each_message_once(clock: Clock) -> None:
    windows: list[tuple[object, object]] = []
    rows = [CameDue(1, clock(), "warehouse:US-EAST")]
    look = OutboxLook(lambda after, until: windows.append((after, until)) or list(rows))
    assert look.news(clock()) == frozenset()
    clock.advance(seconds=5)
    rows.append(CameDue(2, clock(), "warehouse:US-WEST"))
    assert look.news(clock()) == {"warehouse:US-WEST"}
    assert windows[-1] == (clock() - timedelta(seconds=5) - LOOK_OVERLAP, clock())
    assert look.news(clock()) == frozenset()


async def test_a_finished_bulk_query_wakes_the_accounts_import(hub: Hub, clock: Clock) -> None:
    with hub.factory.begin() as session:
        note_topics(session, [("shopify", "shop-us", "bulk_operations/finish")])
        note_topics(session, [("shopify", "shop-us", "orders/create")])
    clock.advance(seconds=1)
    assert await hub.wake() == [IMPORT]


async def test_a_database_error_while_serving_is_one_warning_and_the_waker_goes_on(
    hub: Hub, caplog: pytest.LogCaptureFixture
) -> None:
    """The serve loop a waker shares (``Waker.serve``): a look or a wake the database refuses
    is one warning line; the waker keeps serving (cancelled here by the test)."""
    looked, resolved = asyncio.Event(), asyncio.Event()

    def unreadable_outbox(after: object, until: object) -> list[CameDue]:
        looked.set()
        raise OperationalError("SELECT", {}, Exception("database is locked"))

    def unreadable_accounts(targets: frozenset[str]) -> set[tuple[str, JobKind]]:
        resolved.set()
        raise OperationalError("SELECT", {}, Exception("database is locked"))

    hub.waker._look = OutboxLook(unreadable_outbox)
    hub.waker.resolve = unreadable_accounts
    with caplog.at_level(logging.WARNING, logger="channelhub.jobs.engine.waker"):
        serving = hub.waker.start()
        await asyncio.wait_for(looked.wait(), 10)
        hub.waker.notify(frozenset({"warehouse:US-EAST"}))
        hub.clock.advance(seconds=1)  # the window passed: the wake tries to resolve
        await asyncio.wait_for(resolved.wait(), 10)
        assert not serving.done()
        serving.cancel()
    warnings = [r.getMessage() for r in caplog.records]
    assert warnings == [
        "unit wake: cannot read the outbox (OperationalError); looking again in 5 s, the "
        "interval runs send them meanwhile",
        "unit wake: cannot read which accounts send the new messages (OperationalError); "
        "trying again in 1 s, the interval runs send them meanwhile",
    ]
    assert hub.waker.due_at() is not None  # the targets wait for the next window
