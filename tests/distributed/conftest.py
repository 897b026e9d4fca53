"""The engine tests' PostgreSQL database (skipped without CHANNELHUB_TEST_POSTGRES_URL) and
worker processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, throwaway_database


@pytest.fixture(scope="module")
def engine_db() -> Iterator[str]:
    """A throwaway database migrated to head (the procrastinate schema included)."""
    from channelhub.store.db import upgrade

    for url in throwaway_database("chengine"):
        upgrade(url)
        yield url


def spawn(argv: list[str], stdin: int | None = None, **env: str) -> subprocess.Popen[str]:
    """A Python process with the repository on its path."""
    return subprocess.Popen(
        [sys.executable, *argv],
        stdin=stdin,
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), *sys.path]), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop_all(processes: list[subprocess.Popen[str]]) -> list[str]:
    """SIGTERM each live one, wait, and return their outputs."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    return [process.communicate(timeout=30)[0] for process in processes]


def wait_ready(process: subprocess.Popen[str]) -> None:
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.strip() == "ready", line + (process.stdout.read() if process.poll() else "")


__all__ = ["Path", "spawn", "stop_all", "wait_ready"]
