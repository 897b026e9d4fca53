"""``channelhub --version`` prints the installed version, the one pyproject.toml declares."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest

from channelhub.cli import main

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def _run(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["channelhub", *args])
    try:
        main()
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_version_prints_the_project_version_and_runs_no_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    declared = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["version"]
    home = tmp_path / "home"
    assert _run(monkeypatch, "--home", str(home), "--version", "init") == 0
    out, err = capsys.readouterr()
    assert out == f"channelhub {declared}\n"
    assert err == ""
    assert not home.exists()  # eager: the version stops the run before `init` creates a home
