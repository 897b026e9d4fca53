"""The event-driven stock push: a committed ledger change wakes the push of the accounts that
list its SKU once the debounce window passed; a rollback wakes nothing; a burst is one push per
account; the maximum wait bounds a SKU that never goes quiet; the interval run and the full
sweep still catch what no wake announces. An injected clock drives it all (no sleeps)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from channelhub.connectors.results import QuantityPushResult, QuantityUpdate
from channelhub.core.errors import ConfigError
from channelhub.core.stock import MovementKind
from channelhub.jobs.engine.kinds import JobKind
from channelhub.jobs.engine.leasing import holding
from channelhub.jobs.engine.runner import JobOptions
from channelhub.jobs.engine.scheduler import (
    JobService,
    LivePlan,
    ScheduledJob,
    build_scheduler,
    stock_waker,
)
from channelhub.jobs.stock.push import StockSyncTiming
from channelhub.jobs.stock.wake import LOOKBACK, StockWaker, install_stock_wake
from channelhub.settings import load_settings
from channelhub.store.crypto import Vault, generate_key
from channelhub.store.db import make_session_factory
from channelhub.store.repos.accounts import add_account
from channelhub.store.repos.stock_sync import last_sweep
from tests.jobs.conftest import Clock
from tests.jobs.fakes import PLATFORM
from tests.jobs.test_handlers import Shop
from tests.stocksync.seed import add_catalog, add_listing, move

pytestmark = pytest.mark.anyio
TIMING = StockSyncTiming(
    debounce=timedelta(seconds=2), max_wait=timedelta(seconds=30), sweep_every=timedelta(hours=1)
)
#: account -> (listing id, SKU) it lists
LISTS = {
    "shop1": [("S1-MUG", "MUG"), ("S1-SET", "MUG-SET")],
    "shop2": [("S2-LID", "LID")],
    "shop3": [("S3-SPOON", "SPOON")],
}


@dataclass
class CountingShop(Shop):
    """A channel that counts its push calls."""

    push_calls: list[list[tuple[str, int]]] = field(default_factory=list)
    pushed_event: asyncio.Event = field(default_factory=asyncio.Event)

    async def push_quantities(self, updates: Sequence[QuantityUpdate]) -> list[QuantityPushResult]:
        self.push_calls.append([(u.listing.listing_id, u.quantity) for u in updates])
        self.pushed_event.set()
        return await super().push_quantities(updates)


@dataclass
class Hub:
    factory: sessionmaker[Session]
    clock: Clock
    shops: dict[str, CountingShop]
    service: JobService
    waker: StockWaker
    plan: list[ScheduledJob]

    def move(self, sku: str, quantity: int) -> None:
        with self.factory.begin() as session:
            move(session, sku, quantity, at=self.clock())

    def move_elsewhere(self, sku: str, quantity: int) -> None:
        """A movement committed by another process (a CLI): no hook of the hub's sees it."""
        other_process = make_session_factory(self.factory.kw["bind"])
        with other_process.begin() as session:
            move(session, sku, quantity, kind=MovementKind.ADJUST, at=self.clock())

    async def wake(self) -> list[str]:
        """Wake what is due now and let those pushes finish; the accounts woken."""
        before = dict(self.waker.runs)
        await asyncio.gather(*await self.waker.tick())
        return sorted(name for name, n in self.waker.runs.items() if n != before.get(name))

    def forget_pushes(self) -> None:
        for shop in self.shops.values():
            shop.push_calls.clear()
            shop.pushed.clear()
            shop.pushed_event.clear()


@pytest.fixture
async def hub(engine: Engine) -> Iterator[Hub]:
    clock = Clock()
    vault = Vault(generate_key())
    factory = make_session_factory(engine)
    shops = {name: CountingShop(pages=[], account=name) for name in LISTS}
    with factory.begin() as session:
        add_catalog(session)
        for name, listings in LISTS.items():
            add_account(
                session,
                vault,
                platform=PLATFORM,
                name=name,
                credentials={"token": SecretStr("tok")},
                now=clock(),
                settings={"jobs": {"push_stock": True}},
            )
            for listing_id, sku in listings:
                add_listing(session, PLATFORM, name, listing_id, sku=sku)
        move(session, "MUG", 12)
        move(session, "LID", 4)
        move(session, "SPOON", 30)
    service = JobService(
        factory,
        connector_factory=lambda row: shops[row.name],
        now=clock,
        options=JobOptions(stock_timing=TIMING),
    )
    plan = [ScheduledJob(name, JobKind.PUSH_STOCK, timedelta(minutes=5)) for name in LISTS]
    waker = stock_waker(service, plan)
    assert waker is not None
    uninstall = install_stock_wake(factory, waker.announce)
    for name in LISTS:  # each account's first run: a full sweep that registers it
        await service.run(name, JobKind.PUSH_STOCK)
    assert waker.due_at() is None  # the seed committed before the hook: nothing waits
    clock.advance(minutes=1)
    built = Hub(factory, clock, shops, service, waker, plan)
    built.forget_pushes()
    yield built
    uninstall()


async def test_a_committed_movement_pushes_its_listings_once_the_debounce_passed(hub: Hub) -> None:
    hub.move("MUG", 5)
    assert hub.waker.due_at() == hub.clock() + timedelta(seconds=2)
    hub.clock.advance(seconds=1.9)
    assert await hub.wake() == []  # still inside the window
    hub.clock.advance(seconds=0.1)
    assert await hub.wake() == ["shop1"]  # only the account listing MUG
    assert hub.shops["shop1"].push_calls == [[("S1-MUG", 17)]]  # the set stays 4 (4 lids)
    assert hub.shops["shop2"].push_calls == hub.shops["shop3"].push_calls == []
    assert hub.waker.due_at() is None


async def test_a_rolled_back_movement_wakes_nothing(hub: Hub) -> None:
    with hub.factory() as session:
        move(session, "MUG", 5, at=hub.clock())
        session.rollback()
        session.commit()  # a later commit of the same session announces nothing either
    with pytest.raises(RuntimeError), hub.factory.begin() as session:
        move(session, "LID", 5, at=hub.clock())
        raise RuntimeError("the caller fails after recording")
    assert hub.waker.due_at() is None
    hub.clock.advance(seconds=10)
    assert await hub.wake() == []
    assert all(shop.push_calls == [] for shop in hub.shops.values())


async def test_a_burst_of_100_movements_is_one_push_per_account(hub: Hub) -> None:
    for index in range(100):
        hub.move("MUG" if index % 2 else "LID", 1)
        hub.clock.advance(seconds=0.01)
        assert await hub.wake() == []  # the burst never goes quiet for 2 s
    hub.clock.advance(seconds=2)
    assert await hub.wake() == ["shop1", "shop2"]
    assert hub.shops["shop1"].push_calls == [[("S1-MUG", 62), ("S1-SET", 31)]]
    assert hub.shops["shop2"].push_calls == [[("S2-LID", 54)]]
    assert hub.shops["shop3"].push_calls == []
    assert hub.waker.runs == {"shop1": 1, "shop2": 1}


async def test_the_max_wait_bounds_a_sku_that_never_goes_quiet(hub: Hub) -> None:
    woken_at = []
    for second in range(65):
        hub.move("MUG", 1)  # one sale a second, for a minute
        if await hub.wake():
            woken_at.append(second)
        hub.clock.advance(seconds=1)
    # the first push at the 30 s bound; the next burst began at 31 s, so bound again at 61 s
    assert woken_at == [30, 61]
    assert hub.shops["shop1"].push_calls == [[("S1-MUG", 43)], [("S1-MUG", 74)]]


async def test_the_serving_waker_pushes_a_change_once_it_is_due(hub: Hub) -> None:
    hub.move("SPOON", 1)
    hub.clock.advance(seconds=2)  # already due: serve() ticks without waiting
    serving = hub.waker.start()
    try:
        await asyncio.wait_for(hub.shops["shop3"].pushed_event.wait(), timeout=30)
    finally:
        serving.cancel()
        await hub.service.drain(grace=None)  # the woken run finishes, as at shutdown
    assert hub.shops["shop3"].push_calls == [[("S3-SPOON", 31)]]
    with pytest.raises(asyncio.CancelledError):
        await serving


async def test_a_change_committed_in_another_thread_is_noted_on_the_waker_loop(
    hub: Hub,
) -> None:
    noted_on = []

    def now() -> datetime:
        noted_on.append(threading.get_ident())
        return hub.clock()

    hub.waker.now = now
    await asyncio.to_thread(hub.move, "LID", 2)  # a sync HTTP route commits in a worker thread
    assert noted_on == [threading.get_ident()]  # handed over to the loop's thread
    hub.clock.advance(seconds=2)
    assert await hub.wake() == ["shop1", "shop2"]  # shop1's set holds a lid


async def test_an_account_whose_push_runs_elsewhere_is_woken_again_after_it(hub: Hub) -> None:
    hub.move("MUG", 1)
    hub.clock.advance(seconds=2)
    async with holding(
        hub.factory,
        "shop1",
        JobKind.PUSH_STOCK.value,
        holder="someone else",
        now=hub.clock,
        ttl=timedelta(minutes=1),
    ) as lease:
        assert lease is not None
        assert await hub.wake() == ["shop1"]  # skipped: the lease is held elsewhere
    assert hub.shops["shop1"].push_calls == []
    assert hub.waker.due_at() == hub.clock() + timedelta(seconds=2)  # looks again
    hub.clock.advance(seconds=2)
    assert await hub.wake() == ["shop1"]
    assert hub.shops["shop1"].push_calls == [[("S1-MUG", 13)]]


async def test_the_interval_run_and_the_sweep_still_catch_what_no_wake_announced(
    hub: Hub,
) -> None:
    scheduler = build_scheduler(hub.service, hub.plan)
    assert {job.id for job in scheduler.get_jobs()} == {f"push_stock:{n}" for n in LISTS}
    other_process = make_session_factory(hub.factory.kw["bind"])  # no hook: like a CLI
    with other_process.begin() as session:
        move(session, "SPOON", -5, kind=MovementKind.ADJUST, at=hub.clock())
    assert hub.waker.due_at() is None
    hub.clock.advance(seconds=2)
    await hub.service.run("shop3", JobKind.PUSH_STOCK)  # what the interval trigger calls
    assert hub.shops["shop3"].push_calls == [[("S3-SPOON", 25)]]
    with hub.factory() as session:
        swept = last_sweep(session, channel=PLATFORM, account="shop3")
    hub.clock.advance(hours=1)
    await hub.service.run("shop3", JobKind.PUSH_STOCK)
    with hub.factory() as session:
        assert last_sweep(session, channel=PLATFORM, account="shop3") == hub.clock() != swept


async def test_a_change_another_process_committed_is_pushed_after_a_look(hub: Hub) -> None:
    changed_at = hub.clock()
    hub.move_elsewhere("LID", 3)
    assert hub.waker.due_at() is None  # no hook of this process announced it
    hub.clock.advance(seconds=1)
    assert hub.waker.look() == 1
    # the debounce counts from the change the mark records, not from the look
    assert hub.waker.due_at() == changed_at + timedelta(seconds=2)
    hub.clock.advance(seconds=1)
    assert await hub.wake() == ["shop1", "shop2"]  # shop1's set holds a lid
    assert hub.shops["shop2"].push_calls == [[("S2-LID", 7)]]
    assert hub.waker.look() == 0  # the pushes consumed the marks: nothing to note again


async def test_a_look_leaves_alone_what_this_process_announced(hub: Hub) -> None:
    hub.move("SPOON", 2)
    due = hub.waker.due_at()
    hub.clock.advance(seconds=1)
    assert hub.waker.look() == 0  # its mark is the change the hook noted
    assert hub.waker.due_at() == due
    hub.clock.advance(seconds=1)
    assert await hub.wake() == ["shop3"]
    assert hub.waker.runs == {"shop3": 1}


async def test_a_later_change_elsewhere_is_noted_again(hub: Hub) -> None:
    hub.move("MUG", 1)  # noted here; its mark waits for the push
    hub.clock.advance(seconds=1)
    hub.move_elsewhere("MUG", 1)  # the same SKU's mark moves on, from another process
    assert hub.waker.look() == 1
    assert hub.waker.due_at() == hub.clock() + timedelta(seconds=2)  # its quiet starts over
    hub.clock.advance(seconds=2)
    assert await hub.wake() == ["shop1"]
    assert hub.shops["shop1"].push_calls == [[("S1-MUG", 14)]]  # both units, one push


async def test_a_mark_older_than_the_lookback_is_left_to_the_interval_run(hub: Hub) -> None:
    hub.move_elsewhere("SPOON", 4)
    hub.clock.advance(seconds=LOOKBACK.total_seconds() + 1)
    assert hub.waker.look() == 0
    assert hub.waker.due_at() is None
    await hub.service.run("shop3", JobKind.PUSH_STOCK)  # the interval run pushes it
    assert hub.shops["shop3"].push_calls == [[("S3-SPOON", 34)]]


async def test_the_serving_waker_looks_for_changes_of_other_processes(hub: Hub) -> None:
    hub.move_elsewhere("SPOON", 1)
    hub.clock.advance(seconds=2)  # already quiet: the look at start makes it due at once
    serving = hub.waker.start()
    try:
        await asyncio.wait_for(hub.shops["shop3"].pushed_event.wait(), timeout=30)
    finally:
        serving.cancel()
        await hub.service.drain(grace=None)
    assert hub.shops["shop3"].push_calls == [[("S3-SPOON", 31)]]


async def test_without_a_watch_the_waker_does_not_look(hub: Hub) -> None:
    quiet = JobOptions(stock_timing=StockSyncTiming(watch=None))
    service = JobService(
        hub.factory, connector_factory=lambda row: hub.shops[row.name], now=hub.clock, options=quiet
    )
    waker = stock_waker(service, hub.plan)
    assert waker is not None and waker.marks_since is None
    hub.move_elsewhere("LID", 1)
    assert waker.look() == 0
    assert waker.due_at() is None


async def test_an_account_switched_on_while_serving_is_woken_from_then_on(hub: Hub) -> None:
    """The waker pushes the accounts that push stock in the plan as it stands: one whose
    stock sync was switched on after ``channelhub run`` started is woken once the plan is
    refreshed (``refresh_plan``), without a restart."""
    live = LivePlan([job for job in hub.plan if job.account != "shop3"])
    waker = stock_waker(hub.service, live)
    waker.notify({"SPOON"})
    hub.clock.advance(seconds=2)
    assert await waker.tick() == []  # shop3, the only account listing spoons, is off
    live.jobs = list(hub.plan)  # what the refresh does once its stock sync is on
    waker.notify({"SPOON"})
    hub.clock.advance(seconds=2)
    await asyncio.gather(*await waker.tick())
    assert waker.runs == {"shop3": 1}


def test_the_timing_comes_from_the_stock_settings(tmp_path: object) -> None:
    from pathlib import Path

    from channelhub.cli.runtime import job_options

    home = Path(str(tmp_path))
    settings = load_settings(home, env={"CHANNELHUB_STOCK__DEBOUNCE_SECONDS": "0.5"})
    timing = job_options(settings).stock_timing
    assert timing == StockSyncTiming(
        debounce=timedelta(seconds=0.5),
        max_wait=timedelta(seconds=30),
        sweep_every=timedelta(hours=1),
    )
    assert timing.watch == timedelta(seconds=5)
    (home / "config.toml").write_text(
        "[stock]\nsweep_seconds = 0\nmax_wait_seconds = 5\nwatch_seconds = 0\n"
    )
    configured = job_options(load_settings(home, env={})).stock_timing
    assert configured.sweep_every is None
    assert configured.watch is None
    with pytest.raises(ConfigError, match="shorter than debounce_seconds"):
        load_settings(home, env={"CHANNELHUB_STOCK__DEBOUNCE_SECONDS": "9"})
