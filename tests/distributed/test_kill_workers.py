"""``channelhub worker`` processes SIGKILLed mid-import, mid-dispatch, mid-tracking push and
mid-stock push; the survivor's periodic "retry stalled jobs" task puts the dead worker's job
back and every order is imported once, every warehouse order created once, every fulfilment
pushed once and every listing's quantity lands (the simulators' own state proves it).

The kill is placed by request count (the chaos suite's tripwire: the victim dies when the
simulator receives its n-th request, n seeded), so it lands mid-job on any machine; the test
waits by polling the database with a deadline (the work happens in other processes).
"""

from __future__ import annotations

import asyncio
import os
import queue
import signal
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text, update

from bench.chaos_world import CHANNELS, WAREHOUSE_ACCOUNTS, Chaos, Sizes, chaos_world
from channelhub.demo import flow
from channelhub.jobs.distributed.defer import defer_unit
from channelhub.jobs.distributed.events import install_event_defers
from channelhub.jobs.engine.kinds import JobKind
from channelhub.jobs.fulfilment.outbound import FULFILMENT
from channelhub.jobs.orders.stopping import OUTBOUND_CREATE
from channelhub.jobs.stock.push import StockSyncTiming
from channelhub.store.tables.outbox import OutboxMessage, OutboxState
from tests.distributed.conftest import spawn

pytestmark = [pytest.mark.postgres, pytest.mark.anyio]
#: a stage that does not finish within this is a hang
STAGE_SECONDS = 30.0
ENGINE_ENV = {
    "CHANNELHUB_ENGINE__KIND": "procrastinate",
    "CHANNELHUB_ENGINE__HEARTBEAT_SECONDS": "0.3",
    "CHANNELHUB_ENGINE__STALLED_SECONDS": "1",
    "CHANNELHUB_ENGINE__STALLED_CHECK_SECONDS": "1",
    "CHANNELHUB_STOCK__DEBOUNCE_SECONDS": "0",
    # nothing on a timer: the test defers each stage's jobs (the events defer the rest); the
    # stock push is on (a day) so that a ledger change wakes it
    **{f"CHANNELHUB_JOBS__EVERY__{kind.value.upper()}": "0" for kind in JobKind},
    "CHANNELHUB_JOBS__EVERY__PUSH_STOCK": "86400",
}


class Worker:
    """A worker process forked by the fork server: its pid, its end, its output."""

    def __init__(self, pid: int, log: Path, ended: threading.Event) -> None:
        self.pid, self.log, self.ended = pid, log, ended
        self.returncode: int | None = None

    def send_signal(self, sig: int) -> None:
        os.kill(self.pid, sig)

    async def wait(self, timeout: float) -> str:
        """Its output once it ended (TimeoutError after ``timeout``)."""
        if not await asyncio.to_thread(self.ended.wait, timeout):
            raise TimeoutError(f"worker {self.pid} still running")
        return self.log.read_text()


class Workers:
    """The test's worker processes, forked by one server that imported channelhub once
    (:mod:`tests.distributed.gated`): each starts at once when its turn comes."""

    def __init__(self, chaos: Chaos, logs: Path) -> None:
        self.home, self.logs = chaos.home, logs
        self.server = spawn(["-m", "tests.distributed.gated"], stdin=subprocess.PIPE,
                            CHANNELHUB_DATABASE_URL=chaos.database_url, **ENGINE_ENV)  # fmt: skip
        assert self.server.stdout is not None
        self.lines: queue.Queue[str] = queue.Queue()
        self.workers: dict[int, Worker] = {}
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        assert self.lines.get(timeout=STAGE_SECONDS).strip() == "loaded"

    def _read(self) -> None:
        assert self.server.stdout is not None
        for line in self.server.stdout:
            word, *rest = line.split()
            if word == "exit":
                worker = self.workers.get(int(rest[0]))
                if worker is not None:
                    worker.returncode = int(rest[1])
                    worker.ended.set()
                continue
            self.lines.put(line)

    def go(self, queues: str) -> Worker:
        assert self.server.stdin is not None
        log = self.logs / f"worker-{len(self.workers)}.log"
        argv = ["--home", str(self.home), "worker", "--concurrency", "1", "--queues", queues]
        self.server.stdin.write(" ".join(["go", str(log), *argv]) + "\n")
        self.server.stdin.flush()
        word, pid = self.lines.get(timeout=STAGE_SECONDS).split()
        assert word == "pid"
        worker = self.workers[int(pid)] = Worker(int(pid), log, threading.Event())
        return worker

    def close(self) -> None:
        for worker in self.workers.values():
            if not worker.ended.is_set():
                worker.send_signal(signal.SIGKILL)
        self.server.kill()
        self.server.communicate()


def _open_units(chaos: Chaos, queues: str) -> int:
    with chaos.sessions() as session:
        return int(session.scalar(text(
            "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing') "
            "AND task_name IN ('channelhub.unit', 'channelhub.stock_wake') "
            "AND queue_name = ANY(:queues)"
        ), {"queues": queues.split(",")}))  # fmt: skip


def _states(chaos: Chaos) -> list[tuple[object, ...]]:
    with chaos.sessions() as session:
        rows = session.execute(text(
            "SELECT id, task_name, queue_name, status::text, args, attempts, worker_id "
            "FROM procrastinate_jobs ORDER BY id"
        ))  # fmt: skip
        return [tuple(row) for row in rows]


def _unsent(chaos: Chaos, kind: str | None) -> bool:
    if kind is None:
        return False
    with chaos.sessions() as session:
        return session.scalar(select(OutboxMessage.id).where(
            OutboxMessage.kind == kind, OutboxMessage.state != OutboxState.SENT.value
        ).limit(1)) is not None  # fmt: skip


async def _stage(
    chaos: Chaos,
    workers: Workers,
    kind: JobKind,
    accounts: tuple[str, ...],
    *,
    queues: str,
    outbox_kind: str | None = None,
    budget: int = 2,
) -> str:
    """Queue the stage's units, let a worker die at its n-th platform request, and let a
    second worker (whose periodic task retries the stalled job) finish the stage."""
    with chaos.sessions.begin() as session:
        if outbox_kind is not None:  # written on the channels' clock, a few seconds ahead
            past = datetime.now(UTC) - timedelta(seconds=1)
            session.execute(update(OutboxMessage).where(OutboxMessage.kind == outbox_kind)
                            .values(next_attempt_at=past))  # fmt: skip
        for account in accounts:
            defer_unit(session, account, kind)
    t0 = time.monotonic()
    victim = workers.go(queues)
    target = chaos.rng.randint(1, budget)
    chaos.wire.arm(victim.pid, target)
    try:
        out = await victim.wait(STAGE_SECONDS)
    except TimeoutError:
        victim.send_signal(signal.SIGTERM)
        out = await victim.wait(30)
    fired = chaos.wire.fired
    chaos.wire.disarm()
    assert victim.returncode == -signal.SIGKILL and fired, f"not killed mid-job:\n{out}"
    t_killed = time.monotonic()
    rescuer = workers.go(queues)
    finished = False
    try:
        deadline = time.monotonic() + STAGE_SECONDS
        while _open_units(chaos, queues) or _unsent(chaos, outbox_kind):
            if time.monotonic() > deadline:
                break
            if not _open_units(chaos, queues) and _unsent(chaos, outbox_kind):
                # the dead run's claims lapse (what minutes of waiting would do); the
                # scheduler's next pass would queue the unit again: here the test does
                chaos.fast_forward()
                with chaos.sessions.begin() as session:
                    for account in accounts:
                        defer_unit(session, account, kind)
            await asyncio.sleep(0.2)
        else:
            finished = True
    finally:
        t_done = time.monotonic()
        rescuer.send_signal(signal.SIGTERM)
        rest = await rescuer.wait(30)
    assert finished, f"{kind.value} never finished:\n{out}\n---\n{rest}\n{_states(chaos)}"
    assert rescuer.returncode == 0, rest
    assert "retried 1 stalled job" in rest, rest  # the periodic task did the rescue
    seconds = f"{t_killed - t0:.1f}/{t_done - t_killed:.1f}/{time.monotonic() - t_done:.1f} s"
    return f"{kind.value}: killed at request {target} ({fired}); {seconds}"


async def test_workers_killed_mid_job_then_retried_are_exactly_once(
    engine_db: str, tmp_path: Path
) -> None:
    with chaos_world(tmp_path / "home", engine_db, Sizes(orders=2, kills=1, seed=11)) as chaos:
        uninstall = install_event_defers(
            chaos.sessions, now=chaos.hub.now, timing=StockSyncTiming(debounce=timedelta(0))
        )
        log = []
        workers = Workers(chaos, tmp_path)
        try:
            for account in CHANNELS:
                await chaos.in_process(JobKind.PULL_LISTINGS, account)
            log.append(
                await _stage(chaos, workers, JobKind.PULL_ORDERS, CHANNELS, queues="pull_orders")
            )
            chaos.check_imports()
            await flow.plan_orders(chaos.hub)
            log.append(await _stage(
                chaos, workers, JobKind.DISPATCH_OUTBOX, WAREHOUSE_ACCOUNTS,
                queues="dispatch_outbox", outbox_kind=OUTBOUND_CREATE,
            ))  # fmt: skip
            chaos.check_dispatch()
            await chaos.ship()
            log.append(await _stage(
                chaos, workers, JobKind.PUSH_TRACKING, CHANNELS,
                queues="push_tracking", outbox_kind=FULFILMENT,
            ))  # fmt: skip
            chaos.check_tracking()
            for account in CHANNELS:  # the first push: a full sweep of every listing
                await chaos.in_process(JobKind.PUSH_STOCK, account)
            for index, (sku, quantity) in enumerate((("MUG-RED", 7), ("TEE-M", 5))):
                chaos.receive_stock(sku, quantity, "US-EAST", f"restock-{index}")
            # the ledger change deferred the stock wake; it defers the pushes
            log.append(
                await _stage(chaos, workers, JobKind.PUSH_STOCK, (), queues="events,push_stock")
            )
            chaos.check_stock()
        finally:
            workers.close()
            uninstall()
            await chaos.hub.aclose()
    print(log)
    counts = chaos.report.counts
    assert counts["orders imported"] > 0 and counts["warehouse orders"] > 0
    assert counts["fulfilments pushed"] > 0 and counts["listing quantities checked"] > 0
