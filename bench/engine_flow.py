"""The engine bench's flow: four job kinds per account chained by the jobs themselves, each
making a few "platform calls" of a fixed latency, and a worker process that runs them.

import (3 calls) -> dispatch (2) -> tracking push (2) -> stock push (1): each unit, in its
page's transaction, defers the next one (the distributed engine) or returns it to the
caller (the embedded baseline). Handlers stand in for the platforms (an awaited latency per
call), so the figures measure the engine's own cost and its parallelism, not a simulator.
``python -m bench.engine_flow URL CONCURRENCY LATENCY`` is one worker (until SIGTERM).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from channelhub.connectors.roles import Role
from channelhub.jobs.distributed.app import build_app
from channelhub.jobs.distributed.defer import defer_unit
from channelhub.jobs.distributed.tasks import WorkerRuntime
from channelhub.jobs.distributed.worker import run_worker
from channelhub.jobs.engine.kinds import JobKind
from channelhub.jobs.engine.runner import JobContext, JobHandler, JobOptions
from channelhub.store.db import make_engine, make_session_factory
from channelhub.store.repos.jobs import RunCounts

#: each stage, its calls to the platform, and what it queues next
FLOW = {
    JobKind.PULL_ORDERS: (3, JobKind.DISPATCH_OUTBOX),
    JobKind.DISPATCH_OUTBOX: (2, JobKind.PUSH_TRACKING),
    JobKind.PUSH_TRACKING: (2, JobKind.PUSH_STOCK),
    JobKind.PUSH_STOCK: (1, None),
}
TABLE = (
    "CREATE TABLE IF NOT EXISTS bench_flow (account text, kind text, "
    "at timestamptz DEFAULT clock_timestamp())"
)


def handlers(latency: float, chain: bool) -> dict[JobKind, JobHandler]:
    """The flow's handlers; ``chain``: each defers the next stage in its page."""

    def make(kind: JobKind) -> JobHandler:
        calls, after = FLOW[kind]

        async def handler(context: JobContext) -> bool:
            for _ in range(calls):
                await asyncio.sleep(latency)

            def write(session: Session) -> RunCounts:
                session.execute(
                    text("INSERT INTO bench_flow (account, kind) VALUES (:a, :k)"),
                    {"a": context.account.name, "k": kind.value},
                )
                if chain and after is not None:
                    defer_unit(session, context.account.name, after)
                return RunCounts(updated=1)

            context.commit_page(write)
            return False

        return handler

    return {kind: make(kind) for kind in FLOW}


def options() -> JobOptions:
    return JobOptions(lease_ttl=timedelta(seconds=60), heartbeat=timedelta(0))


def main(url: str, concurrency: int, latency: float) -> None:
    engine = make_engine(url)
    runtime = WorkerRuntime(
        session_factory=make_session_factory(engine),
        connector_factory=lambda row: None,
        now=lambda: datetime.now(UTC),
        options=options(),
        intervals={},
        roles_of=lambda platform: frozenset({Role.SALES_CHANNEL}),
        handlers=handlers(latency, chain=True),
    )
    app = build_app(url, schedule_seconds=3600, stalled_check_seconds=3600)

    async def work() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        print("ready", flush=True)
        await run_worker(
            app,
            runtime,
            stop=stop,
            concurrency=concurrency,
            poll_seconds=1.0,
            name=f"bench-{os.getpid()}",
        )

    asyncio.run(work())
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]))
