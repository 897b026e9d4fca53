"""Leases that cannot be outlived: heartbeat, fence before the world changes, dead holders.

Time is the injected clock; the heartbeat's sleep wakes when a test moves that clock.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from channelhub.jobs import JobKind
from channelhub.jobs.engine.runner import JobContext, JobOptions, run_job
from channelhub.store.repos.jobs import list_dead_letters, list_runs
from channelhub.store.repos.leases import (
    LeaseOwner,
    acquire_lease,
    read_lease,
    release_lease,
    renew_lease,
)
from channelhub.store.tables.jobs import RunOutcome
from tests.jobs.conftest import Clock
from tests.jobs.fakes import ACCOUNT, FakeChannel

pytestmark = pytest.mark.anyio
KIND = JobKind.PUSH_STOCK
TTL = timedelta(minutes=10)


class Ticker:
    """The heartbeat's sleep on the injected clock: it returns once the test moved time."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.waiting: list[tuple[object, asyncio.Future[None]]] = []
        self.slept = 0

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting.append((self.clock() + timedelta(seconds=seconds), future))
        self.slept += 1
        await future

    async def advance(self, seconds: float) -> None:
        self.clock.advance(seconds=seconds)
        for entry in list(self.waiting):
            due, future = entry
            if due <= self.clock():  # type: ignore[operator]
                self.waiting.remove(entry)
                future.set_result(None)
        for _ in range(5):  # let the woken heartbeat renew
            await asyncio.sleep(0)


def _other_takes(factory: sessionmaker[Session], clock: Clock, holder: str = "other") -> int | None:
    with factory.begin() as session:
        return acquire_lease(session, ACCOUNT, KIND.value, holder=holder, now=clock(), ttl=TTL)


async def _long_unit_run(
    factory: sessionmaker[Session], clock: Clock, heartbeat: timedelta | None
) -> tuple[object, list[str], list[int | None]]:
    """A unit that runs 1.5 lease lengths, then makes its external call behind the fence;
    another runner tries to take the lease all along."""
    ticker = Ticker(clock)
    calls: list[str] = []
    others: list[int | None] = []

    async def long_unit(context: JobContext) -> bool:
        for _ in range(6):
            await ticker.advance(150)  # a slow platform: 900 s in all, the lease is 600 s
            others.append(_other_takes(factory, clock))
            if others[-1] is not None:
                break
        context.fence()
        calls.append("push_quantities")
        return False

    result = await run_job(
        factory,
        ACCOUNT,
        KIND,
        connector_factory=lambda row: FakeChannel(pages=[]),
        now=clock,
        options=JobOptions(lease_ttl=TTL, heartbeat=heartbeat),
        handlers={KIND: long_unit},
        sleep=ticker.sleep,
    )
    return result, calls, others


async def test_the_heartbeat_keeps_a_long_units_lease(
    session_factory: sessionmaker[Session], clock: Clock
) -> None:
    result, calls, others = await _long_unit_run(session_factory, clock, heartbeat=None)
    assert others == [None] * 6  # nobody got in over 900 s
    assert calls == ["push_quantities"]
    assert result.outcome is RunOutcome.OK  # type: ignore[attr-defined]


async def test_a_unit_whose_lease_was_taken_over_makes_no_external_call(
    session_factory: sessionmaker[Session], clock: Clock
) -> None:
    """Without a heartbeat (switched off here) the lease lapses and another runner takes it:
    the fence stops the unit before its call, cleanly (interrupted, no dead letter)."""
    result, calls, others = await _long_unit_run(session_factory, clock, heartbeat=timedelta(0))
    assert others[-1] == 2 and others[:-1] == [None] * (len(others) - 1)
    assert calls == []
    assert result.outcome is RunOutcome.INTERRUPTED  # type: ignore[attr-defined]
    assert "lease passed to another runner" in (result.error or "")  # type: ignore[attr-defined]
    with session_factory() as session:
        assert list_dead_letters(session) == []
        assert list_runs(session)[0].outcome == "interrupted"
        lease = read_lease(session, ACCOUNT, KIND.value)
    assert lease is not None and lease.holder == "other"  # our release left it alone


async def test_a_heartbeat_that_finds_the_lease_taken_stops_at_the_next_fence(
    session_factory: sessionmaker[Session], clock: Clock
) -> None:
    ticker = Ticker(clock)
    calls: list[str] = []

    async def unit(context: JobContext) -> bool:
        await ticker.advance(0)  # the heartbeat waits for its first beat (200 s)
        clock.advance(minutes=11)  # the event loop stalled past the lease (no beat ran)...
        assert _other_takes(session_factory, clock) == 2  # ...and it was taken over
        await ticker.advance(0)  # the overdue beat runs now
        assert context.lost  # the heartbeat (at 200 s) found it gone
        context.fence()
        calls.append("create_outbound")
        return False

    result = await run_job(
        session_factory, ACCOUNT, KIND, connector_factory=lambda row: FakeChannel(pages=[]),
        now=clock, handlers={KIND: unit}, sleep=ticker.sleep,
        options=JobOptions(lease_ttl=TTL),
    )  # fmt: skip
    assert calls == [] and result.outcome is RunOutcome.INTERRUPTED


def test_two_holders_never_both_pass_the_fence(engine: Engine) -> None:
    """A seeded random schedule of acquire / fence / release / time passing among three
    holders: after every step at most one holder's fence passes, and a token once replaced
    never passes again."""
    factory = sessionmaker(engine)
    clock = Clock()
    for seed in range(3):
        rng = random.Random(seed)
        tokens: dict[str, int] = {}
        retired: set[int] = set()
        account = f"acct-{seed}"
        for _ in range(60):
            who = rng.choice("abc")
            step = rng.choice(["acquire", "acquire", "fence", "release", "time"])
            if step == "fence" and who in tokens:
                with factory.begin() as session:
                    renew_lease(
                        session, account, "push_stock",
                        holder=who, now=clock(), ttl=TTL, token=tokens[who],
                    )  # fmt: skip
            with factory.begin() as session:
                if step == "acquire":
                    token = acquire_lease(
                        session, account, "push_stock", holder=who, now=clock(), ttl=TTL
                    )
                    if token is not None:
                        retired.update(t for t in tokens.values() if t < token)
                        tokens[who] = token
                elif step == "release":
                    release_lease(session, account, "push_stock", holder=who)
                elif step == "time":
                    clock.advance(minutes=rng.choice([1, 5, 11]))
            passing = []
            for holder, token in tokens.items():
                with factory() as session:  # the fence, rolled back: looking changes nothing
                    if renew_lease(
                        session, account, "push_stock",
                        holder=holder, now=clock(), ttl=TTL, token=token,
                    ):  # fmt: skip
                        passing.append(token)
                    session.rollback()
            assert len(passing) <= 1
            assert not (set(passing) & retired)
        assert len(retired) >= 2  # the schedule did change hands


def test_racing_runners_get_one_lease_each_token_once(engine: Engine) -> None:
    """Eight threads race for a free lease at one instant: one wins; then it lapses and they
    race again: one wins with the next token."""
    factory = sessionmaker(engine)
    clock = Clock()
    for round_, expected in ((0, 1), (1, 2)):
        barrier = threading.Barrier(8)
        won: list[int] = []

        def race(name: str, barrier: threading.Barrier, won: list[int]) -> None:
            barrier.wait()
            with factory.begin() as session:
                token = acquire_lease(
                    session, ACCOUNT, "push_stock", holder=name, now=clock(), ttl=TTL
                )
            if token is not None:
                won.append(token)

        threads = [
            threading.Thread(target=race, args=(f"r{round_}-{i}", barrier, won)) for i in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert won == [expected]
        clock.advance(minutes=11)


HOLD_SCRIPT = """
import sys
from datetime import datetime, timedelta
from sqlalchemy.orm import Session
from channelhub.store.db import make_engine
from channelhub.store.repos.leases import acquire_lease
url, now = sys.argv[1], datetime.fromisoformat(sys.argv[2])
engine = make_engine(url)
with Session(engine) as session, session.begin():
    token = acquire_lease(session, "shop1", "push_stock", holder="victim", now=now,
                          ttl=timedelta(minutes=10))
print(token, flush=True)
sys.stdin.read()  # hold it until killed
"""


@pytest.mark.parametrize("reaped", [True, False], ids=["reaped", "zombie"])
def test_a_killed_holders_lease_is_taken_over_at_once(engine: Engine, reaped: bool) -> None:
    """A real process takes the lease and is SIGKILLed: a runner on the same host takes the
    lease over at the same instant, without waiting out the 600 s lease."""
    factory = sessionmaker(engine)
    clock = Clock()
    url = engine.url.render_as_string(hide_password=False)
    victim = subprocess.Popen(
        [sys.executable, "-c", HOLD_SCRIPT, url, clock().isoformat()],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    try:
        assert victim.stdout is not None and victim.stdout.readline().strip() == "1"
        with factory.begin() as session:  # alive: it keeps its lease
            assert (
                acquire_lease(session, ACCOUNT, "push_stock", holder="me", now=clock(), ttl=TTL)
                is None
            )
            lease = read_lease(session, ACCOUNT, "push_stock")
        assert lease is not None and lease.pid == victim.pid and lease.started is not None
        victim.send_signal(signal.SIGKILL)
        if reaped:
            victim.wait()
        else:  # killed but not yet reaped by its parent: a zombie is gone too
            import psutil

            while psutil.Process(victim.pid).status() != psutil.STATUS_ZOMBIE:
                pass
        with factory.begin() as session:
            assert (
                acquire_lease(session, ACCOUNT, "push_stock", holder="me", now=clock(), ttl=TTL)
                == 2
            )
    finally:
        victim.kill()
        victim.wait()
        if victim.stdin is not None:
            victim.stdin.close()
        if victim.stdout is not None:
            victim.stdout.close()


def test_a_live_holder_elsewhere_or_a_reused_pid_is_judged_right(engine: Engine) -> None:
    """Another host's holder, or another pid namespace's (a container with the host's name),
    is never judged from here (its lease must lapse); a pid that now names a younger process
    (pid reuse) is a gone holder."""
    factory = sessionmaker(engine)
    clock = Clock()
    me = LeaseOwner.this_process()
    elsewhere = LeaseOwner("another-host", 1, 0.0)
    other_container = LeaseOwner(f"{socket.gethostname()}/pid:[1]", 1, 0.0)  # same name
    reused = LeaseOwner(me.host, me.pid, (me.started or 0.0) - 3600)
    with factory.begin() as session:
        assert (
            acquire_lease(
                session, "x", "push_stock", holder="far", now=clock(), ttl=TTL, owner=elsewhere
            )
            == 1
        )
        assert acquire_lease(session, "x", "push_stock", holder="me", now=clock(), ttl=TTL) is None
        assert acquire_lease(
            session, "z", "push_stock", holder="box", now=clock(), ttl=TTL, owner=other_container
        ) == 1  # fmt: skip
        assert acquire_lease(session, "z", "push_stock", holder="me", now=clock(), ttl=TTL) is None
        assert (
            acquire_lease(
                session, "y", "push_stock", holder="old", now=clock(), ttl=TTL, owner=reused
            )
            == 1
        )
        assert acquire_lease(session, "y", "push_stock", holder="me", now=clock(), ttl=TTL) == 2
