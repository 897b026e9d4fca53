"""A worker process for the engine tests: the hub's app and tasks, with a probe handler for
two job kinds (it records when it ran, on the database's clock) and a 1-second periodic task.

``python -m tests.distributed.probe URL CONCURRENCY`` works until SIGTERM; it prints
``ready`` once its worker is registered.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import UTC, datetime, timedelta

from procrastinate import JobContext as TaskContext
from sqlalchemy import text

from channelhub.connectors.roles import Role
from channelhub.jobs.distributed.app import build_app
from channelhub.jobs.distributed.tasks import WorkerRuntime
from channelhub.jobs.distributed.worker import run_worker
from channelhub.jobs.engine.kinds import JobKind
from channelhub.jobs.engine.runner import JobContext, JobOptions
from channelhub.store.db import make_engine, make_session_factory

PROBED = (JobKind.PULL_ORDERS, JobKind.PUSH_STOCK)
TICK_TASK = "probe.tick"

PROBE_TABLES = """
CREATE TABLE IF NOT EXISTS probe_runs (
    account text NOT NULL, kind text NOT NULL, pid int NOT NULL,
    started timestamptz NOT NULL, ended timestamptz NOT NULL);
CREATE TABLE IF NOT EXISTS probe_ticks (tick bigint NOT NULL, pid int NOT NULL);
"""


async def probe(context: JobContext) -> bool:
    """Take a little time between two stamps of the database's clock."""
    with context.session_factory.begin() as session:
        started = session.scalar(text("SELECT clock_timestamp()"))
    await asyncio.sleep(0.005)
    with context.session_factory.begin() as session:
        session.execute(
            text(
                "INSERT INTO probe_runs VALUES (:account, :kind, :pid, :started, clock_timestamp())"
            ),
            {
                "account": context.account.name,
                "kind": context.kind.value,
                "pid": os.getpid(),
                "started": started,
            },
        )
    return False


def main(url: str, concurrency: int) -> None:
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    runtime = WorkerRuntime(
        session_factory=sessions,
        connector_factory=lambda row: None,
        now=lambda: datetime.now(UTC),
        options=JobOptions(lease_ttl=timedelta(seconds=60)),
        intervals={},
        roles_of=lambda platform: frozenset({Role.SALES_CHANNEL}),
        handlers=dict.fromkeys(PROBED, probe),
    )
    app = build_app(url, schedule_seconds=3600, stalled_check_seconds=3600)

    @app.periodic(cron="* * * * * *")
    @app.task(name=TICK_TASK, queue="hub", pass_context=True)
    async def tick(context: TaskContext, timestamp: int) -> None:
        with sessions.begin() as session:
            session.execute(
                text("INSERT INTO probe_ticks VALUES (:tick, :pid)"),
                {"tick": timestamp, "pid": os.getpid()},
            )

    async def work() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        print("ready", flush=True)
        await run_worker(
            app, runtime, stop=stop, concurrency=concurrency, keep_done=True,
            heartbeat_seconds=0.5, stalled_seconds=5, poll_seconds=0.5,
        )  # fmt: skip

    asyncio.run(work())
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
