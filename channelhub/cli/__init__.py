"""The ``channelhub`` command.

Each command group lives in its own module under ``channelhub.cli`` and registers itself on
``app`` here; :mod:`channelhub.cli.commands` lists them, and a module is imported only when its
command runs or shows its help (``channelhub --help`` imports none). Every error a user can
cause is a :class:`~channelhub.core.errors.ChannelhubError` (or a subclass) and prints one
clear line and exits 1, never a traceback.
"""

from __future__ import annotations

import sys
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import typer

from channelhub.cli.commands import COMMANDS, LazyCommands, load_command
from channelhub.cli.redaction import RedactingStream, redacting_excepthook, terminal_redaction
from channelhub.connectors.errors import ConnectorError
from channelhub.core.errors import ChannelhubError

app = typer.Typer(
    name="channelhub",
    cls=LazyCommands,
    help="Integration hub for cross-border sellers: pairing, dispatch, stock sync, reconciliation.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@dataclass(frozen=True)
class CliState:
    """What the global options decided, handed to every command through ``ctx.obj``."""

    home: Path | None = None


def installed_version() -> str:
    """The version pip installed (package metadata), so it cannot drift from pyproject.toml."""
    from importlib.metadata import PackageNotFoundError, version  # only --version reads it

    try:
        return version("channelhub")
    except PackageNotFoundError as exc:  # run from a source tree that was never installed
        raise ChannelhubError(
            "channelhub is not installed (no package metadata): pip install -e ."
        ) from exc


def _version_callback(on: bool) -> None:
    """``--version``: print ``channelhub X.Y.Z`` and stop before any command runs."""
    if on:
        typer.echo(f"channelhub {installed_version()}")
        raise typer.Exit()


@app.callback()
def _global_options(
    ctx: typer.Context,
    home: Path | None = typer.Option(
        None,
        "--home",
        envvar="CHANNELHUB_HOME",
        help="Hub home holding config.toml, secret.key and hub.db (default ~/.channelhub).",
    ),
    _version: bool = typer.Option(
        False,
        "--version",
        is_eager=True,
        callback=_version_callback,
        help="Print the installed channelhub version and exit.",
    ),
) -> None:
    """channelhub: pairing, order dispatch, stock back-sync and reconciliation."""
    ctx.obj = CliState(home=home)
    if not isinstance(sys.stdout, RedactingStream):  # run as `app()` (tests), not via main()
        scope = ExitStack()
        scope.enter_context(terminal_redaction())
        ctx.call_on_close(scope.close)


def cli_state(ctx: typer.Context) -> CliState:
    """The global options of this invocation (defaults when a command runs on its own)."""
    root = ctx.find_root()
    return root.obj if isinstance(root.obj, CliState) else CliState()


def _register() -> None:
    """Import every command module now (``app`` loads each on first use; this is for callers
    that walk the whole command tree)."""
    for name in COMMANDS:
        load_command(name)


def main() -> None:
    """Console-script entry point: run the app, turning user errors into one line."""
    # everything the command prints, its last error line included, passes the secret values
    # of the accounts it touched
    with terminal_redaction() as redactor:
        # a bug's traceback is printed by Python after this scope: through the same values
        sys.excepthook = redacting_excepthook(redactor)
        try:
            app()
        except (ChannelhubError, ConnectorError) as exc:
            # A platform's refusal (bad credentials, throttling left over after retries) is as
            # much the user's to act on as a bad file: one redacted line, no traceback.
            from channelhub.cli.output import err_console  # rich, only when there is an error

            err_console.print(f"error: {exc}", markup=False)
            sys.exit(1)
