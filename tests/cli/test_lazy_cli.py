"""The command table: ``channelhub --help`` imports no command module, each command still loads.

Speed is not asserted here (the bench ``python -m bench.run cli`` measures it); what would make
it slow is: a heavy import reached by ``--help``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from channelhub.cli import main
from channelhub.cli.commands import COMMANDS, load_command

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("sqlalchemy", "alembic", "httpx", "fastapi", "pydantic", "click")
PROBE = """
import json, sys
from channelhub.cli import main
sys.argv = ["channelhub", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)))
"""


def _modules_after(*args: str) -> tuple[set[str], str]:
    """The modules a fresh interpreter holds after ``channelhub ARGS``, and what it printed."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"COLUMNS": "200", "PATH": "", "PYTHONPATH": str(ROOT)},
        check=True,
        timeout=60,
    )
    printed, _, last = done.stdout.rstrip("\n").rpartition("\n")
    return set(json.loads(last)), printed


def test_help_lists_every_command_and_imports_no_command_module() -> None:
    modules, printed = _modules_after("--help")
    assert sorted(m for m in modules if m.split(".")[0] in HEAVY) == []
    command_modules = {m for e in COMMANDS.values() for m in e.module_names()}
    assert command_modules.isdisjoint(modules)
    for name, entry in COMMANDS.items():
        assert f" {name} " in printed and entry.help[:40] in printed


def test_a_command_s_help_imports_its_own_module_only() -> None:
    modules, printed = _modules_after("normalize", "--help")
    assert "channelhub.cli.normalize" in modules and "canonical JSON" in printed
    assert not {"channelhub.cli.run", "channelhub.cli.demo", "channelhub.cli.users"} & modules


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_table_entry_loads_its_command_with_the_same_help(name: str) -> None:
    command = load_command(name)
    assert command is not None, f"{COMMANDS[name].modules} registers no command {name!r}"
    own = " ".join((command.short_help or command.help or "").split())
    assert own.startswith(COMMANDS[name].help)


def test_a_misspelt_command_is_suggested_from_the_table(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["channelhub", "reprot"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    assert "Did you mean 'report'?" in capsys.readouterr().err
