"""``channelhub demo``: the whole hub against simulators on loopback, in a throwaway home.

Uses its own ``--home`` (default ``./.channelhub-demo``, wiped and recreated each run when it
is a previous demo's), never the global ``--home`` / ``CHANNELHUB_HOME``, so a demo cannot
touch a real hub.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer
from rich.console import Console

from channelhub.cli import app
from channelhub.demo.flow import DONE, FAILED
from channelhub.demo.home import DEFAULT_HOME
from channelhub.demo.runner import DEFAULT_SIZE, DEFAULT_SPEED, run_demo

console = Console(highlight=False)
STYLES = {DONE: "green", FAILED: "red"}


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
) -> None:
    """Run the whole flow (import, pair, hold, allocate, dispatch, ship, track, stock,
    reconcile) against Amazon, Shopify, two warehouses and UPS simulated on loopback."""
    with console.status("channelhub demo") as status:

        def progress(message: str) -> None:
            mark = message[:1]
            if mark in STYLES:  # a stage ended: keep its line
                console.print(f"[{STYLES[mark]}]{mark}[/]{message[1:]}")
            else:  # a stage (or the setup) started: the spinner says what is going on
                status.update(f"{message} …")

        summary = asyncio.run(run_demo(home, size=size, speed=speed, progress=progress))
    console.print(summary.table())
    if summary.failed():
        raise typer.Exit(1)
