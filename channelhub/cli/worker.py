"""``channelhub worker``: run the hub's jobs as a procrastinate worker (``[engine] kind =
"procrastinate"``, PostgreSQL), until SIGTERM / SIGINT; see docs/deploy.md."""

from __future__ import annotations

import asyncio
import signal

import typer

from channelhub.cli import app
from channelhub.cli.runtime import Runtime, console, open_runtime, start_long_running, utc_now
from channelhub.core.errors import ConfigError
from channelhub.jobs.distributed.app import build_app
from channelhub.jobs.distributed.events import install_event_defers
from channelhub.jobs.distributed.tasks import WorkerRuntime
from channelhub.jobs.distributed.worker import QUEUES, parse_queues, run_worker, worker_runtime

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def distributed_runtime(runtime: Runtime) -> WorkerRuntime:
    """The worker runtime of this hub home (procrastinate engine only, else one clear line)."""
    if runtime.settings.engine.kind != "procrastinate":
        raise ConfigError(
            'the jobs run in `channelhub run` ([engine] kind = "embedded"); to run them on '
            'workers set [engine] kind = "procrastinate" (PostgreSQL, see docs/deploy.md)'
        )
    return worker_runtime(
        runtime.session_factory,
        connector_factory=runtime.connector_factory,
        now=utc_now,
        options=runtime.options,
        every_seconds=runtime.settings.jobs.every.model_dump(),
        stalled_seconds=runtime.settings.engine.stalled_seconds,
    )


async def _work(
    runtime: Runtime, hub: WorkerRuntime, concurrency: int, queues: list[str] | None
) -> None:
    engine = runtime.settings.engine
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    # what the jobs write (outbox messages, ledger changes) defers its own follow-up jobs
    uninstall = install_event_defers(
        runtime.session_factory, now=utc_now, timing=runtime.options.stock_timing
    )
    try:
        await run_worker(
            build_app(
                runtime.settings.resolved_database_url,
                schedule_seconds=engine.schedule_seconds,
                stalled_check_seconds=engine.stalled_check_seconds,
            ),
            hub,
            stop=stop,
            concurrency=concurrency,
            queues=queues,
            heartbeat_seconds=engine.heartbeat_seconds,
            stalled_seconds=engine.stalled_seconds,
            poll_seconds=engine.poll_seconds,
        )
    finally:
        uninstall()
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)


@app.command("worker")
def worker(
    ctx: typer.Context,
    concurrency: int | None = typer.Option(
        None, "--concurrency", min=1, max=200, help="jobs at once (default: [engine] concurrency)"
    ),
    queues: list[str] | None = typer.Option(
        None, "--queues", help=f"only these queues, comma-separated ({', '.join(QUEUES)})"
    ),
) -> None:
    """Run the scheduled and event-driven jobs as one worker of the procrastinate engine
    (any number of them, on any machines) until SIGTERM."""
    chosen = parse_queues(queues)
    with open_runtime(ctx) as runtime:
        hub = distributed_runtime(runtime)
        start_long_running(runtime.settings, quiet=("httpx", "httpcore"))
        jobs_at_once = concurrency or runtime.settings.engine.concurrency
        console.print(
            f"channelhub worker {hub.holder}: {jobs_at_once} job(s) at once on "
            f"{', '.join(chosen) if chosen else 'every queue'} (SIGTERM or Ctrl-C to stop)",
            markup=False,
        )
        asyncio.run(_work(runtime, hub, jobs_at_once, chosen))
    console.print(
        "channelhub worker stopped: runs in flight finished or queued again", markup=False
    )
