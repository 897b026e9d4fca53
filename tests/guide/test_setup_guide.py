"""docs/setup-guide.md cannot rot: its commands exist, and its walkthrough runs.

The walkthrough (the guide's ``<!-- guide-test: run -->`` blocks) is run as a person would run
it, in a shell, with real ``channelhub`` processes: simulators on loopback ports, the hub's
``run`` serving callbacks, every command from the guide word for word (only the ports are
mapped to free ones). Then the hub's own database must show what the guide promises: the
reference warehouse accepted the outbound orders, its callbacks arrived, and the tracking
numbers reached the channels. Once on SQLite and, when configured, once on PostgreSQL.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import click
import typer.main

from tests.guide.guide import (
    GUIDE,
    REPO_ROOT,
    channelhub_lines,
    guide_ports,
    walkthrough_script,
)

TEXT = GUIDE.read_text(encoding="utf-8")


def _command_tree() -> click.Command:
    from channelhub.cli import _register, app

    _register()
    return typer.main.get_command(app)


def _resolve(root: click.Command, argv: list[str]) -> tuple[click.Command, list[str]]:
    """The (sub)command argv names and the option words given to it."""
    command, options = root, []
    for word in argv:
        if word.startswith("-"):
            options.append(word.split("=", 1)[0])
        elif isinstance(command, click.Group) and not options:
            sub = command.commands.get(word)
            if sub is None:
                raise AssertionError(f"`{word}` is not a command of `{command.name}`")
            command = sub
    return command, options


def test_every_channelhub_command_in_the_guide_exists() -> None:
    root = _command_tree()
    lines = channelhub_lines(TEXT)
    assert len(lines) > 30, "the guide lost its commands"
    for guide_line, argv in lines:
        try:
            command, options = _resolve(root, argv)
        except AssertionError as exc:
            raise AssertionError(f"guide block at line {guide_line}: {exc}") from None
        assert not isinstance(command, click.Group) or "--help" in options, (
            f"guide block at line {guide_line}: `channelhub {' '.join(argv)}` names a group"
        )
        known = {opt for param in command.params for opt in param.opts + param.secondary_opts}
        known |= {"--help", "--home"}
        unknown = [opt for opt in options if opt not in known]
        assert not unknown, f"guide block at line {guide_line}: unknown options {unknown}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_walkthrough(tmp_path: Path, extra_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    ports = {port: _free_port() for port in sorted(guide_ports(TEXT))}
    script = walkthrough_script(TEXT, ports)
    (tmp_path / "walkthrough.sh").write_text(script, encoding="utf-8")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CHANNELHUB_", "PYTEST_"))
    }
    env.update(
        HOME=str(tmp_path / "home"),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        PYTHONPATH=str(REPO_ROOT),
        **extra_env,
    )
    (tmp_path / "home").mkdir()
    return subprocess.run(
        ["bash", str(tmp_path / "walkthrough.sh")],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
