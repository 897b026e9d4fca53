"""``channelhub`` CLI processes on a hub home, as an operator starts them (``channelhub jobs
run``, ``channelhub run``, ``channelhub worker``): shared by the chaos rig and the engine
bench, whose workers must be the real commands, not a stand-in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

_MAIN = "import sys; from channelhub.cli import main; sys.argv[0] = 'channelhub'; main()"


def channelhub(
    home: Path,
    database_url: str,
    *argv: str,
    env: dict[str, str] | None = None,
    log: Path | None = None,
) -> subprocess.Popen[str]:
    """``channelhub --home HOME ARGV...`` on ``database_url``, this interpreter's path kept;
    its output (stdout and stderr) on a pipe, or appended to ``log`` (a long-running process
    whose pipe nobody reads would block once the pipe is full)."""
    output = log.open("a") if log is not None else subprocess.PIPE
    return subprocess.Popen(
        [sys.executable, "-c", _MAIN, "--home", str(home), *argv],
        env={
            **os.environ,
            "CHANNELHUB_DATABASE_URL": database_url,
            "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
            **(env or {}),
        },
        stdout=output,
        stderr=subprocess.STDOUT,
        text=True,
    )
