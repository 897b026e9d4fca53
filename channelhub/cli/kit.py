"""``channelhub new-connector NAME [--dir PATH]``: start a connector plugin package that
passes the conformance suite from its first commit (see docs/connectors.md)."""

from __future__ import annotations

from pathlib import Path

import typer

from channelhub.cli import app
from channelhub.kit import check_name, scaffold


@app.command("new-connector")
def new_connector(
    name: str = typer.Argument(..., help="the platform name, e.g. walmart (lowercase, _ allowed)"),
    directory: Path | None = typer.Option(
        None, "--dir", help="where to write the package (default: ./plugin-NAME)"
    ),
) -> None:
    """Write a sales-channel plugin package with a stub simulator and its conformance test."""
    target = directory or Path(f"plugin-{check_name(name)}")
    written = scaffold(name, target)
    typer.echo(f"wrote {len(written)} files to {target}/")
    typer.echo(
        f"next: cd {target} && pip install -e '.[dev]' && pytest -q   "
        "(then make the simulator and connector speak the real platform: docs/connectors.md)"
    )
