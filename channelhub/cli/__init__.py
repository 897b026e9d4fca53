"""The ``channelhub`` command.

Each command group lives in its own module under ``channelhub.cli`` and registers itself on
``app`` here. Every error a user can cause is a :class:`~channelhub.core.errors.ChannelhubError`
(or a subclass) and prints one clear line and exits 1, never a traceback.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from channelhub.core.errors import ChannelhubError

app = typer.Typer(
    name="channelhub",
    help="Integration hub for cross-border sellers: pairing, dispatch, stock sync, reconciliation.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
err_console = Console(stderr=True, highlight=False)


def _register() -> None:
    """Import the command modules so they attach their commands to ``app``."""
    # Each import registers commands as a side effect; keep them in one place.
    from channelhub.cli import commands  # noqa: F401


def main() -> None:
    """Console-script entry point: run the app, turning user errors into one line."""
    _register()
    try:
        app(standalone_mode=False)
    except ChannelhubError as exc:
        err_console.print(f"error: {exc}", markup=False)
        sys.exit(1)
    except typer.Abort:
        err_console.print("aborted", markup=False)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except SystemExit:
        raise
    except Exception as exc:  # click usage errors arrive as ClickException subclasses
        import click

        if isinstance(exc, click.ClickException):
            err_console.print(f"error: {exc.format_message()}", markup=False)
            sys.exit(exc.exit_code)
        raise
