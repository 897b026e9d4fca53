"""``channelhub run``: the scheduler and the HTTP app (webhooks, callbacks, health, metrics)
in one process, stopping on SIGTERM / SIGINT without losing work.

Shutdown order: stop scheduling new runs, ask the runs in flight to stop at their next page
boundary and wait for them a grace period (each commits its page with its cursor and releases
its lease); cancel those a slow platform still holds (their page in flight is abandoned
uncommitted, cursor included, so the next run redoes it), then stop the HTTP server. A
``kill -9`` instead loses at most the uncommitted page, which the next start redoes (the
upserts make that a no-op) once the lease has lapsed.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import errno
import logging
import os
import signal
import socket
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import typer
import uvicorn
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import SQLAlchemyError

from channelhub.api.app import create_app
from channelhub.api.console import ConsoleConfig
from channelhub.api.limits import InboundLimits
from channelhub.cli import app
from channelhub.cli.home import vault_for
from channelhub.cli.rules import load_rules
from channelhub.cli.runtime import Runtime, console, open_runtime, start_long_running, utc_now
from channelhub.cli.worker import distributed_runtime
from channelhub.connectors.registry import ConnectorRegistry
from channelhub.core.errors import ConfigError
from channelhub.jobs.accounts.connectors import ConnectorFactoryFn
from channelhub.jobs.distributed.app import build_app
from channelhub.jobs.distributed.events import (
    install_event_defers,
    look_for_messages,
    look_for_stock_changes,
)
from channelhub.jobs.distributed.worker import InRunWorker
from channelhub.jobs.engine.runner import JobOptions, SessionFactory
from channelhub.jobs.engine.scheduler import (
    STOP_GRACE_SECONDS,
    JobService,
    LivePlan,
    ScheduledJob,
    build_scheduler,
    capabilities_from_registry,
    intervals_from_seconds,
    plan_jobs,
    refresh_plan,
    roles_from_registry,
    stock_waker,
    unit_waker,
)
from channelhub.jobs.engine.unit_wake import install_unit_wake
from channelhub.jobs.engine.waker import report_ended
from channelhub.jobs.orders.sqs_orders import Consumers, start_consumers
from channelhub.jobs.stock.wake import install_stock_wake
from channelhub.settings import Settings
from channelhub.store.repos.accounts import AccountInfo, list_accounts

log = logging.getLogger(__name__)
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
#: Seconds open HTTP requests get at shutdown, after the jobs' grace period.
HTTP_GRACE = 3
#: Seconds between two sweeps of webhook deliveries left pending (the route wakes the worker).
INTAKE_SWEEP_SECONDS = 30
#: How often the embedded engine reads the accounts again for its plan: an account added or a
#: job switched on while ``channelhub run`` serves is scheduled within this many seconds.
PLAN_REFRESH_SECONDS = 30


class _HubServer(uvicorn.Server):
    """uvicorn without its own signal handling (``serve_hub`` owns SIGTERM) that reports
    when it is listening."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.listening = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets=sockets)
        self.listening.set()


async def serve_hub(
    *,
    session_factory: SessionFactory,
    connector_factory: ConnectorFactoryFn,
    plan: Sequence[ScheduledJob],
    options: JobOptions,
    host: str = "127.0.0.1",
    port: int = 8080,
    now: Callable[[], datetime] = utc_now,
    on_ready: Callable[[int, JobService], None] | None = None,
    stop: asyncio.Event | None = None,
    grace: float = STOP_GRACE_SECONDS,
    console_config: ConsoleConfig | None = None,
    limits: InboundLimits | None = None,
    distributed: InRunWorker | None = None,
    replan: Callable[[], Sequence[ScheduledJob]] | None = None,
) -> JobService:
    """Serve until SIGTERM/SIGINT (or ``stop`` is set); returns the drained job service.

    ``replan()``: the plan as the accounts now stand, read every :data:`PLAN_REFRESH_SECONDS`
    by the embedded engine (None: ``plan`` stays as given).

    ``distributed`` (``[engine] kind = "procrastinate"``): the workers run the jobs, so
    ``plan`` is empty; the commits of this process (webhooks, callbacks, console edits) defer
    their jobs, and a worker of its own runs beside HTTP when it has a concurrency.

    ``on_ready(port, service)`` is called once the HTTP port listens and the scheduler runs.
    On stop, runs in flight get ``grace`` seconds to reach a page boundary, then are cancelled
    (their uncommitted page is abandoned, their leases released).
    """
    stop = stop or asyncio.Event()
    consuming = asyncio.Event()
    consumers: Consumers | None = None
    service = JobService(
        session_factory, connector_factory=connector_factory, now=now, options=options
    )
    live = LivePlan(plan)
    scheduler = build_scheduler(service, live.jobs)
    if distributed is None and replan is not None:
        scheduler.add_job(
            partial(refresh_or_warn, scheduler, service, live, replan),
            IntervalTrigger(seconds=PLAN_REFRESH_SECONDS),
            id="plan_refresh",
        )
    # a committed ledger change wakes the push of the accounts listing its SKUs (debounced);
    # the push_stock interval above stays as the safety net
    waker = stock_waker(service, live) if distributed is None else None
    if distributed is not None:
        uninstall_wake: Callable[[], None] | None = install_event_defers(
            session_factory, now=now, timing=options.stock_timing
        )
    else:
        uninstall_wake = install_stock_wake(session_factory, waker.announce) if waker else None
    # a committed outbox message or webhook runs the job it calls for (dispatch, tracking)
    units = unit_waker(service, live) if distributed is None else None
    uninstall_units = install_unit_wake(session_factory, units.notify) if units else None
    api = create_app(
        session_factory=session_factory,
        connector_factory=connector_factory,
        now=now,
        status=lambda: {"jobs_scheduled": len(plan), "jobs_running": service.running},
        console=console_config,
        limits=limits,
        # procrastinate: a stored delivery defers the intake job for the workers
        background_intake=distributed is None,
    )
    # webhook deliveries are applied by a worker the route wakes; this sweep (and the wake at
    # start) takes in any a crash left pending (procrastinate: the scheduler task's sweep)
    intake = api.state.hub.intake
    if distributed is None:
        scheduler.add_job(
            intake.wake, IntervalTrigger(seconds=INTAKE_SWEEP_SECONDS), id="webhook_intake_sweep"
        )
    working: asyncio.Task[None] | None = None
    looking: asyncio.Task[None] | None = None
    # open HTTP requests (a webhook) get a bounded wait too: grace + this stays under 10 s
    config = uvicorn.Config(
        api, host=host, port=port, log_level="warning", timeout_graceful_shutdown=HTTP_GRACE
    )
    server = _HubServer(config)
    listening = bind_port(host, port)  # a busy port is one line here, not uvicorn's exit
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    # A fresh context: requests must not inherit this command's terminal redactor (a
    # long-lived one would gather every account's secrets and slow every stored webhook).
    serving = asyncio.create_task(
        server.serve(sockets=[listening]), name="channelhub-http", context=contextvars.Context()
    )
    try:
        await asyncio.wait(
            [asyncio.ensure_future(server.listening.wait()), serving],
            return_when=asyncio.FIRST_COMPLETED,
        )
        if serving.done():  # uvicorn stopped at start (it logged why)
            raise ConfigError(f"the HTTP server on {host}:{port} stopped at start")
        scheduler.start()
        waking = waker.start() if waker else None
        running_units = units.start() if units else None
        if distributed is None:
            intake.wake()
        elif distributed.concurrency:
            working = asyncio.create_task(distributed.run(), name="procrastinate worker")
        if distributed is not None:  # a CLI command's commits queue no job: look
            looking = asyncio.create_task(
                _looking(session_factory, now=now, options=options), name="looks"
            )
            looking.add_done_callback(report_ended)
        # Amazon ORDER_CHANGE from the sellers' SQS queues (polling stays the safety net)
        consumers = start_consumers(
            session_factory, connector_factory=connector_factory, now=now, stop=consuming
        )
        if on_ready is not None:
            on_ready(server.servers[0].sockets[0].getsockname()[1], service)
        await stop.wait()
        log.info("stopping: no new runs, waiting for %d in flight", service.running)
        scheduler.pause()  # no new runs; shutting the executor down now would cancel runs
        # the consumers finish their receive (<= sqs_wait_seconds) while the runs drain
        consuming.set()
        if waking is not None:
            waking.cancel()  # its pushes in flight are the service's: drained next
        if running_units is not None:
            running_units.cancel()  # likewise its runs
        if looking is not None:
            looking.cancel()
            looking = None
        await service.drain(grace)
        if working is not None:
            assert distributed is not None
            distributed.stop.set()  # its runs get the same grace
            await working
            working = None
        await consumers.stop(consuming)
        consumers = None
        scheduler.shutdown(wait=False)
    finally:
        if looking is not None:  # stopped on an error
            looking.cancel()
        if working is not None:  # stopped on an error: no worker outlives the hub
            working.cancel()
            await asyncio.gather(working, return_exceptions=True)
        if consumers is not None:  # stopped on an error: no consumer outlives the hub
            await consumers.stop(consuming)
        if uninstall_wake is not None:
            uninstall_wake()
        if uninstall_units is not None:
            uninstall_units()
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)
        server.should_exit = True
        with contextlib.suppress(SystemExit):  # uvicorn exits on a failed start: reported above
            await serving
        listening.close()
    return service


async def _looking(
    factory: SessionFactory, *, now: Callable[[], datetime], options: JobOptions
) -> None:
    """The procrastinate engine's looks at what other processes committed: stock changes and
    outbox messages (:mod:`channelhub.jobs.distributed.events`), until cancelled."""
    await asyncio.gather(
        look_for_stock_changes(factory, now=now, timing=options.stock_timing),
        look_for_messages(factory, now=now, timing=options.unit_wake),
    )


def refresh_or_warn(
    scheduler: AsyncIOScheduler,
    service: JobService,
    live: LivePlan,
    replan: Callable[[], Sequence[ScheduledJob]],
) -> None:
    """Bring the scheduler in line with the accounts as they stand (:func:`refresh_plan`)."""
    try:
        added, gone = refresh_plan(scheduler, service, live, replan())
    except SQLAlchemyError as error:
        log.warning(
            "cannot read the accounts for the job plan (%s); trying again in %d s",
            type(error).__name__,
            PLAN_REFRESH_SECONDS,
        )
        return
    if added or gone:
        log.info("job plan changed: scheduled %s; dropped %s", added or "none", gone or "none")


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop where it is installed (a dependency off Windows), else asyncio's: uvicorn
    picks it only when it makes the loop itself, and ``channelhub run`` makes its own. It cuts
    the event loop's share of a webhook burst (see bench/bench_webhooks.py)."""
    try:
        import uvloop
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def inbound_limits(settings: dict[str, Any]) -> InboundLimits:
    """``[inbound]`` of config.toml as the app's limits."""
    return InboundLimits(**{**settings, "trusted_proxies": tuple(settings["trusted_proxies"])})


def bind_port(host: str, port: int) -> socket.socket:
    """The listening socket for ``host:port``, or one clear line when it cannot be had."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        return socket.create_server((host, port), family=family)
    except OSError as exc:
        why = os.strerror(exc.errno) if exc.errno else str(exc)
        hint = (
            "another program (another `channelhub run`?) listens there; stop it or pass --port"
            if exc.errno == errno.EADDRINUSE
            else "pass another --host or --port"
        )
        raise ConfigError(f"cannot listen on {host}:{port}: {why.lower()}; {hint}") from None


def console_config(settings: Settings, options: JobOptions) -> ConsoleConfig:
    """The console's part of the settings, for the app ``serve_hub`` builds."""
    return ConsoleConfig(
        secure_cookies=settings.console.secure_cookies,
        session_lifetime=timedelta(hours=settings.console.session_hours),
        job_every=settings.jobs.every.model_dump(),
        job_options=options,
        engine=settings.engine.kind,
        stalled_after=timedelta(seconds=settings.engine.stalled_seconds),
        vault=vault_for(settings),
        rulebook=load_rules(settings, None),
        finance=settings.finance,
    )


def console_lines(host: str, port: int) -> list[str]:
    """What to tell the operator about the console: where it is, and how to reach it from
    another machine (a TLS proxy in front; --host only on a trusted network)."""
    lines = [f"console: http://{host}:{port}/ (log in as a user of `channelhub users add`)"]
    if host in ("127.0.0.1", "localhost", "::1"):
        lines.append(
            "  reachable from this machine only: to open it elsewhere, put a TLS proxy in front "
            "(Caddy, nginx; set [console] secure_cookies = true) or serve it with --host "
            "0.0.0.0 on a trusted network"
        )
    return lines


def in_run_worker(runtime: Runtime) -> InRunWorker | None:
    """``[engine] kind = "procrastinate"``: what ``channelhub run`` does for the workers."""
    engine = runtime.settings.engine
    if engine.kind != "procrastinate":
        return None
    return InRunWorker(
        app=build_app(
            runtime.settings.resolved_database_url,
            schedule_seconds=engine.schedule_seconds,
            stalled_check_seconds=engine.stalled_check_seconds,
        ),
        runtime=distributed_runtime(runtime),
        concurrency=engine.run_worker_concurrency,
        heartbeat_seconds=engine.heartbeat_seconds,
        stalled_seconds=engine.stalled_seconds,
        poll_seconds=engine.poll_seconds,
    )


@app.command("run")
def run(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="address to serve HTTP on"),
    port: int = typer.Option(8080, "--port", min=0, max=65535, help="HTTP port (0: any)"),
) -> None:
    """Run the scheduled jobs and serve the console, webhooks, /health and /metrics until
    SIGTERM."""
    with open_runtime(ctx) as runtime:
        # APScheduler's per-run INFO lines repeat what the run log holds
        start_long_running(runtime.settings, quiet=("httpx", "httpcore", "apscheduler"))
        with runtime.session_factory() as session:
            accounts = list_accounts(session)
        distributed = in_run_worker(runtime)
        intervals = intervals_from_seconds(runtime.settings.jobs.every.model_dump())
        registry = ConnectorRegistry()
        # one reader for every plan refresh: a missing plugin is warned about once, not
        # every PLAN_REFRESH_SECONDS
        roles_of = roles_from_registry(registry)
        capabilities_of = capabilities_from_registry(registry)

        def planned(accounts: Sequence[AccountInfo]) -> list[ScheduledJob]:
            return plan_jobs(
                accounts, intervals, roles_of=roles_of, capabilities_of=capabilities_of
            )

        def replan() -> list[ScheduledJob]:
            with runtime.session_factory() as session:
                return planned(list_accounts(session))

        plan = planned(accounts) if distributed is None else []

        def ready(bound: int, _service: JobService) -> None:
            jobs = (
                f"{len(plan)} jobs"
                if distributed is None
                else f"jobs on procrastinate workers ({distributed.concurrency} here)"
            )
            console.print(
                f"channelhub running: {jobs} for {len(accounts)} accounts, "
                f"http://{host}:{bound} (SIGTERM or Ctrl-C to stop)",
                markup=False,
            )
            for line in console_lines(host, bound):
                console.print(line, markup=False, soft_wrap=True)

        with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
            service = runner.run(
                serve_hub(
                    session_factory=runtime.session_factory,
                    connector_factory=runtime.connector_factory,
                    plan=plan,
                    options=runtime.options,
                    host=host,
                    port=port,
                    on_ready=ready,
                    console_config=console_config(runtime.settings, runtime.options),
                    limits=inbound_limits(runtime.settings.inbound.model_dump()),
                    distributed=distributed,
                    replan=replan,
                )
            )
    abandoned = (
        f"; {service.abandoned} run(s) stopped mid-page, that page is redone on the next start"
        if service.abandoned
        else ""
    )
    console.print(
        f"channelhub stopped: runs in flight finished, leases released{abandoned}", markup=False
    )
