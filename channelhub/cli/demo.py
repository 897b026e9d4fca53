"""``channelhub demo``: the whole hub against simulators on loopback, in a throwaway home.

Uses its own ``--home`` (default ``./.channelhub-demo``, wiped and recreated each run when it
is a previous demo's), never the global ``--home`` / ``CHANNELHUB_HOME``, so a demo cannot
touch a real hub. ``--keep`` then keeps the hub (served as ``channelhub run`` serves it: the
scheduler and the HTTP app) and the simulators up on real time until Ctrl-C; see
:mod:`channelhub.demo.keep`.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from pathlib import Path

import typer

from channelhub.cli import app
from channelhub.cli.output import cli_console
from channelhub.cli.run import console_config, serve_hub
from channelhub.cli.runtime import job_options
from channelhub.connectors.registry import ConnectorRegistry
from channelhub.core.errors import ConfigError
from channelhub.demo.flow import DONE, FAILED, Hub
from channelhub.demo.home import DEFAULT_HOME
from channelhub.demo.keep import TICK_SECONDS, Kept, demo_login, kept, live_world
from channelhub.demo.next_steps import Step, home_arg, urls, what_next, what_to_try
from channelhub.demo.runner import DEFAULT_SIZE, DEFAULT_SPEED, Keep, run_demo
from channelhub.demo.summary import DemoSummary
from channelhub.jobs.engine.scheduler import (
    JobService,
    intervals_from_seconds,
    plan_jobs,
    roles_from_registry,
)
from channelhub.settings import load_settings
from channelhub.store.repos.accounts import list_accounts

console = cli_console()
STYLES = {DONE: "green", FAILED: "red"}


def print_steps(title: str, steps: list[Step]) -> None:
    console.print(f"\n[bold]{title}[/]")
    for command, what in steps:
        console.print(f"  {command}", markup=False, soft_wrap=True)  # copy-pasteable
        console.print(f"      {what}", style="dim", markup=False)


def check_port(port: int, host: str = "127.0.0.1") -> None:
    """Refuse a busy ``--port`` before the demo runs, not after (0: any free port)."""
    if port == 0:
        return
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigError(
                f"--port {port}: {host}:{port} is in use ({exc.strerror}); "
                "choose another port, or 0 for any free one"
            ) from exc


async def keep_serving(
    hub: Hub,
    *,
    home: str,
    port: int = 0,
    on_ready: Callable[[Kept], None],
    stop: asyncio.Event | None = None,
    schedule: bool = True,
    tick_every: float = TICK_SECONDS,
) -> None:
    """Serve the demo hub as ``channelhub run`` does (scheduler + HTTP app on loopback) with
    the demo world on real time, until SIGINT/SIGTERM or ``stop``. ``schedule=False`` serves
    HTTP only (a test drives the jobs itself)."""
    settings = load_settings(hub.home, env={})
    with hub.sessions() as session:
        accounts = list_accounts(session)
    plan = plan_jobs(
        accounts if schedule else [],
        intervals_from_seconds(settings.jobs.every.model_dump()),
        roles_of=roles_from_registry(ConnectorRegistry()),
    )

    login = demo_login(hub)

    def ready(bound: int, _service: JobService) -> None:
        on_ready(kept(hub, f"http://127.0.0.1:{bound}", home, login))

    async with live_world(hub, every=tick_every):
        await serve_hub(
            session_factory=hub.sessions,
            connector_factory=hub.factory(),
            plan=plan,
            options=job_options(settings),
            port=port,
            now=hub.now,
            on_ready=ready,
            stop=stop,
            console_config=console_config(settings, job_options(settings)),
        )


@app.command()
def demo(
    home: Path = typer.Option(
        DEFAULT_HOME,
        "--home",
        help="demo hub home (wiped and recreated; refuses a directory that is not a demo's)",
    ),
    size: int = typer.Option(
        DEFAULT_SIZE, "--size", min=0, max=500, help="ordinary orders per channel"
    ),
    speed: float = typer.Option(
        DEFAULT_SPEED,
        "--speed",
        min=1.0,
        help="demo seconds per real second (rate-limit waits take 1/speed of their time)",
    ),
    keep: bool = typer.Option(
        False,
        "--keep",
        help="afterwards keep the hub and the simulators running on real time until Ctrl-C",
    ),
    port: int = typer.Option(
        0, "--port", min=0, max=65535, help="with --keep: the hub's HTTP port (0: any free)"
    ),
) -> None:
    """Run the whole flow (import, pair, hold, allocate, dispatch, ship, track, stock,
    reconcile) against Amazon, Shopify, two warehouses and UPS simulated on loopback."""
    shown = home_arg(home)
    if keep:
        check_port(port)
    with console.status("channelhub demo") as status:

        def progress(message: str) -> None:
            mark = message[:1]
            if mark in STYLES:  # a stage ended: keep its line
                console.print(f"[{STYLES[mark]}]{mark}[/]{message[1:]}")
            else:  # a stage (or the setup) started: the spinner says what is going on
                status.update(f"{message} …")

        def show(summary: DemoSummary) -> None:
            status.stop()
            console.print(summary.table(shown))

        def ready(up: Kept) -> None:
            print_steps("Up on loopback (Ctrl-C stops them):", urls(up))
            console.print(f"  demo home: {shown}", markup=False)
            print_steps("Try, in another terminal:", what_to_try(up, kept_summary[0]))

        kept_summary: list[DemoSummary] = []

        async def keep_up(summary: DemoSummary, hub: Hub) -> None:
            show(summary)
            kept_summary.append(summary)
            await keep_serving(hub, home=shown, port=port, on_ready=ready)

        keeper: Keep | None = keep_up if keep else None
        summary = asyncio.run(
            run_demo(home, size=size, speed=speed, progress=progress, keep=keeper)
        )
    if keep:
        console.print(
            f"channelhub demo stopped: hub and simulators down; demo home {shown} kept",
            markup=False,
            soft_wrap=True,
        )
    else:
        show(summary)
        print_steps("What next", what_next(summary, home))
    if summary.failed():
        raise typer.Exit(1)
