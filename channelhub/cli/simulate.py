"""``channelhub simulate PLATFORM [--port N] [--seed S] [--account NAME] [--hub-url URL]``:
serve a platform simulator locally, after printing the ``accounts add`` line that works
against it.

The line goes to stdout (a script can capture it; ``--print-only`` prints it and exits), the
banner to stderr. Seeded data is dated relative to now, so the first ``sync orders`` imports
it. The reference warehouse (``outbound_protocol``) POSTs its signed callbacks to the hub at
``--hub-url`` for ``--account``. Faults switch at ``PUT /_sim/faults``.
"""

from __future__ import annotations

import sys

import typer

from channelhub.cli import app
from channelhub.cli.output import cli_console
from channelhub.core.errors import InvalidInput
from channelhub.simulators.registry import served_simulator, simulator_info, simulator_names
from channelhub.simulators.serve import serve


@app.command()
def simulate(
    platform: str = typer.Argument(
        ..., help=f"which platform to simulate: {', '.join(simulator_names())}"
    ),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="loopback port to listen on"),
    seed: int = typer.Option(0, "--seed", help="seed of the simulator's data and faults"),
    host: str = typer.Option("127.0.0.1", "--host", help="address to bind (loopback default)"),
    account: str | None = typer.Option(
        None, "--account", help="account name in the line (default: my-amazon, my-warehouse, …)"
    ),
    hub_url: str | None = typer.Option(
        None,
        "--hub-url",
        help="the hub's base URL (e.g. http://127.0.0.1:8080) the reference warehouse calls back",
    ),
    print_only: bool = typer.Option(
        False, "--print-only", help="print the accounts add line and exit, serving nothing"
    ),
) -> None:
    """Print the `accounts add` line for a platform simulator, then serve it until Ctrl-C."""
    info = simulator_info(platform)
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    base_url = f"http://{shown_host}:{port}"
    # a wrong --hub-url is refused before anything is printed or served
    callbacks = info.callback_url(hub_url, account) if info and hub_url else None
    if info is not None:
        typer.echo(info.account_line(base_url, account))
        sys.stdout.flush()  # a script reading the line must get it before serving starts
    elif print_only:
        raise InvalidInput.field("platform", platform, "is no hub platform: no account line")
    if print_only:
        return
    sim = served_simulator(platform, seed=seed, account=account, hub_url=hub_url)
    err = cli_console(stderr=True, soft_wrap=True)
    err.print(
        f"{platform} simulator (seed {seed}) on {base_url} — "
        f"known platforms: {', '.join(simulator_names())}; Ctrl-C stops it",
        markup=False,
    )
    if info is not None:
        err.print("add an account pointing at it with the line above", markup=False)
    if callbacks is not None:
        err.print(f"callbacks go to {callbacks}", markup=False)
    serve(sim, host=host, port=port)
