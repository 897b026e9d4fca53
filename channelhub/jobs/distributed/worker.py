"""Run one procrastinate worker until asked to stop, and stop it gracefully.

Stopping (SIGTERM, handled by the caller who sets ``stop``): the runs in flight are asked to
stop at their next page boundary (:class:`~channelhub.jobs.engine.runner.StopToken`); the
worker waits ``grace`` seconds for them, then cancels those a slow platform still holds (the
page in flight is abandoned uncommitted, and the job is queued again by the stalled retry or
the next scheduler pass). A unit that stopped with work left queues itself again, so another
worker carries on.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from procrastinate import App

from channelhub.connectors.registry import ConnectorRegistry
from channelhub.core.errors import InvalidInput
from channelhub.jobs.accounts.connectors import ConnectorFactoryFn
from channelhub.jobs.distributed.defer import EVENTS_QUEUE, HUB_QUEUE
from channelhub.jobs.distributed.tasks import WorkerRuntime, context_value
from channelhub.jobs.engine.kinds import JobKind
from channelhub.jobs.engine.runner import JobOptions, SessionFactory
from channelhub.jobs.engine.scheduler import (
    STOP_GRACE_SECONDS,
    capabilities_from_registry,
    intervals_from_seconds,
    roles_from_registry,
)

#: The queues a worker may be given: one per job kind, and the event-driven passes.
QUEUES = (EVENTS_QUEUE, *(kind.value for kind in JobKind))


def parse_queues(values: Iterable[str] | None) -> list[str] | None:
    """``--queues`` as typed (repeated or comma-separated), plus the housekeeping queue every
    worker serves; None: every queue."""
    names = [name.strip() for value in values or () for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in QUEUES]
    if unknown:
        known = ", ".join(QUEUES)
        raise InvalidInput.field("--queues", ",".join(unknown), f"is not one of {known}")
    return [*dict.fromkeys(names), HUB_QUEUE] if names else None


def worker_runtime(
    session_factory: SessionFactory,
    *,
    connector_factory: ConnectorFactoryFn,
    now: Callable[[], datetime],
    options: JobOptions,
    every_seconds: Mapping[str, int],
    stalled_seconds: float,
) -> WorkerRuntime:
    """The runtime the tasks of a worker share, from the ``[jobs]`` and ``[engine]`` settings."""
    return WorkerRuntime(
        session_factory=session_factory,
        connector_factory=connector_factory,
        now=now,
        options=options,
        intervals=intervals_from_seconds(every_seconds),
        roles_of=roles_from_registry(ConnectorRegistry()),
        capabilities_of=capabilities_from_registry(ConnectorRegistry()),
        stalled_seconds=stalled_seconds,
    )


async def run_worker(
    app: App,
    runtime: WorkerRuntime,
    *,
    stop: asyncio.Event,
    concurrency: int,
    queues: Sequence[str] | None = None,
    heartbeat_seconds: float = 10.0,
    stalled_seconds: float = 60.0,
    grace: float = STOP_GRACE_SECONDS,
    keep_done: bool = False,
    name: str | None = None,
    poll_seconds: float = 5.0,
) -> None:
    """Work until ``stop`` is set (then stop gracefully, see the module docstring) or the
    worker fails. ``keep_done``: keep succeeded jobs in the table (the tests read them);
    by default only failed ones are kept, for ``channelhub jobs state``."""
    options: dict[str, Any] = {"queues": list(queues)} if queues else {}
    async with app.open_async():
        working = asyncio.create_task(
            app.run_worker_async(
                **options,
                concurrency=concurrency,
                name=name or runtime.holder,
                additional_context=context_value(runtime),
                install_signal_handlers=False,
                update_heartbeat_interval=heartbeat_seconds,
                stalled_worker_timeout=stalled_seconds,
                shutdown_graceful_timeout=grace,
                delete_jobs="never" if keep_done else "successful",
                fetch_job_polling_interval=poll_seconds,
            ),
            name="procrastinate worker",
        )
        stopping = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({working, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if working in done:
            stopping.cancel()
            working.result()  # the worker failed: its error, not a silent stop
            return
        runtime.stop.request()
        working.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await working


@dataclass
class InRunWorker:
    """The procrastinate side of ``channelhub run``: its commits defer jobs; with a
    concurrency (``[engine] run_worker_concurrency``) it also runs a worker beside HTTP."""

    app: App
    runtime: WorkerRuntime
    concurrency: int = 0
    heartbeat_seconds: float = 10.0
    stalled_seconds: float = 60.0
    poll_seconds: float = 5.0
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        await run_worker(
            self.app,
            self.runtime,
            stop=self.stop,
            concurrency=self.concurrency,
            heartbeat_seconds=self.heartbeat_seconds,
            stalled_seconds=self.stalled_seconds,
            poll_seconds=self.poll_seconds,
        )
