"""``channelhub simulate PLATFORM --port N [--seed S]``: serve a platform simulator locally.

Point an account at it with ``--base-url http://127.0.0.1:N`` to run the hub against seeded,
deterministic data with switchable faults (``PUT /_sim/faults``).
"""

from __future__ import annotations

import typer
from rich.console import Console

from channelhub.cli import app
from channelhub.simulators.registry import create_simulator, simulator_names
from channelhub.simulators.serve import serve


@app.command()
def simulate(
    platform: str = typer.Argument(..., help="which platform to simulate (see the error for all)"),
    port: int = typer.Option(8000, "--port", help="loopback port to listen on"),
    seed: int = typer.Option(0, "--seed", help="seed of the simulator's data and faults"),
    host: str = typer.Option("127.0.0.1", "--host", help="address to bind (loopback default)"),
) -> None:
    """Serve a platform simulator until Ctrl-C."""
    sim = create_simulator(platform, seed=seed, in_process=False)
    Console(stderr=True, highlight=False).print(
        f"{platform} simulator (seed {seed}) on http://{host}:{port} — "
        f"known platforms: {', '.join(simulator_names())}; Ctrl-C stops it",
        markup=False,
    )
    serve(sim, host=host, port=port)
