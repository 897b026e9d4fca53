"""The command table: ``channelhub --help`` imports no command module, each command still loads.

Speed is not asserted here (the bench ``python -m bench.run cli`` measures it); what would make
it slow is: a heavy import reached by ``--help``, or by a command that only reads the database
(the HTTP client, the web app, the job queue, the connectors, Alembic, every table).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench.bench_cli import add_every_platform
from channelhub.cli import main
from channelhub.cli.commands import COMMANDS, load_command
from channelhub.connectors.registry import BUILTIN_CONNECTORS
from channelhub.store.crypto import create_key_file
from channelhub.store.tables import TABLE_MODULES

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


#: What a command that only reads the hub's database never needs.
NOT_FOR_READING = ("httpx", "fastapi", "starlette", "procrastinate", "alembic", "apscheduler",
                   "cryptography", "channelhub.api", "channelhub.simulators",
                   "channelhub.jobs.engine.runner", "channelhub.connectors.registry")  # fmt: skip
#: The connectors' modules a reading command may hold: the errors the CLI turns into one line,
#: and the interfaces and manifests (roles, capabilities) the job kinds are declared with (no
#: connector, no HTTP).
INTERFACE_MODULES = {
    f"channelhub.connectors{m}" for m in ("", ".errors", ".roles", ".results", ".manifest")
}


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


@pytest.mark.parametrize(
    ("command", "says", "also_not"),
    [
        # plain text on SQLite: no rich, no PostgreSQL dialect either
        ("orders list", "0 order(s)", ("rich", "sqlalchemy.dialects.postgresql")),
        ("jobs log", "no job runs yet", ()),
        ("stock transit list", "nothing on its way", ()),
        # the rollups' partial index (postgresql_where) is defined apart (rollup_receipts)
        ("report trends", "sales per week by channel", ("sqlalchemy.dialects.postgresql",)),
        ("pairing list", "bindings (0):", ("channelhub.jobs.orders.pipeline",)),
    ],
)
def test_a_read_command_imports_no_connector_web_queue_or_migration_code(
    command: str,
    says: str,
    also_not: tuple[str, ...],
    tmp_path: Path,
    _migrated_sqlite_template: Path,
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(_migrated_sqlite_template, home / "hub.db")
    modules, printed = _modules_after("--home", str(home), *command.split())
    assert printed.startswith(says)  # it ran (the module list is printed after it returned)
    unwanted = (*NOT_FOR_READING, *also_not)
    loaded = sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in unwanted))
    assert loaded == []
    assert {m for m in modules if m.startswith("channelhub.connectors")} <= INTERFACE_MODULES
    tables = {m for m in modules if m.startswith("channelhub.store.tables.")}
    assert 0 < len(tables) < len(TABLE_MODULES)  # the ones its code queries, not every table


#: What listing the accounts or their jobs may hold of the connectors: the interfaces, the
#: registry, which reads each platform's roles and capabilities from its manifest, and the
#: account settings' declarations (``spec``).
LISTING_MODULES = INTERFACE_MODULES | {f"channelhub.connectors.{m}" for m in ("registry", "spec")}
#: What a listing never needs: a connector's HTTP client or mapping, the runner, the web app.
NOT_FOR_LISTING = ("httpx", "graphql", "fastapi", "apscheduler", "procrastinate", "alembic",
                   "channelhub.mappings", "channelhub.api", "channelhub.simulators",
                   "channelhub.jobs.engine.runner", "channelhub.jobs.engine.scheduler")  # fmt: skip


@pytest.fixture
def hub_with_accounts(tmp_path: Path, _migrated_sqlite_template: Path) -> Path:
    """A hub home with one account of every built-in platform."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(_migrated_sqlite_template, home / "hub.db")
    create_key_file(home / "secret.key")
    add_every_platform(home, now=datetime(2026, 1, 1, tzinfo=UTC))
    return home


@pytest.mark.parametrize("command", ["jobs list", "accounts list"])
def test_listing_accounts_or_jobs_imports_no_connector(
    command: str, hub_with_accounts: Path
) -> None:
    modules, printed = _modules_after("--home", str(hub_with_accounts), *command.split())
    rows = printed.splitlines()
    assert all(any(f"{platform}-1 " in row for row in rows) for platform in BUILTIN_CONNECTORS)
    # what the manifests declare decides the jobs: shipbob reads money, temu does not
    assert any("shipbob-1" in row and "pull_finance" in row for row in rows)
    assert not any("temu-1" in row and "pull_finance" in row for row in rows)
    assert {m for m in modules if m.startswith("channelhub.connectors")} <= LISTING_MODULES
    unwanted = sorted(
        m for m in modules if any(m == h or m.startswith(h + ".") for h in NOT_FOR_LISTING)
    )
    assert unwanted == []


def test_a_group_registered_by_one_of_its_modules_still_gets_the_others() -> None:
    """``stock`` is registered by stock.py, which stock_levels imports; a process that imported
    stock_levels first (a test module, a plugin) must still find ``stock transit``."""
    probe = (
        "import channelhub.cli.stock_levels\n"
        "from typer.testing import CliRunner\n"
        "from channelhub.cli import app\n"
        "result = CliRunner().invoke(app, ['stock', 'transit', '--help'])\n"
        "print(result.exit_code, result.output)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert done.stdout.startswith("0 "), done.stdout
    assert "receive" in done.stdout  # transit's own subcommands listed
