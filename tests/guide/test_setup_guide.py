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
import shlex
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main

from tests.conftest import throwaway_database
from tests.guide.guide import (
    GUIDE,
    REPO_ROOT,
    channelhub_lines,
    guide_ports,
    walkthrough_script,
)

TEXT = GUIDE.read_text(encoding="utf-8")


def _command_tree() -> Any:
    from channelhub.cli import _register, app

    _register()
    return typer.main.get_command(app)


def _resolve(root: Any, argv: list[str]) -> tuple[Any, list[str]]:
    """The (sub)command argv names and the option words given to it."""
    command, options = root, []
    for word in argv:
        if word.startswith("-"):
            options.append(word.split("=", 1)[0])
        elif hasattr(command, "commands") and not options:  # a group (typer vendors click)
            sub = command.commands.get(word)
            if sub is None:
                raise AssertionError(f"`{word}` is not a command of `{command.name}`")
            command = sub
    return command, options


@pytest.mark.parametrize(
    "document",
    [
        GUIDE,
        REPO_ROOT / "README.md",
        REPO_ROOT / "docs" / "amazon-mcf.md",
        REPO_ROOT / "docs" / "goodcang.md",
        REPO_ROOT / "docs" / "winit-4px.md",
    ],
    ids=lambda p: p.name,
)
def test_every_channelhub_command_in_the_docs_exists(document: Path) -> None:
    """Real-platform examples included: each names a command and options that exist."""
    root = _command_tree()
    lines = channelhub_lines(document.read_text(encoding="utf-8"))
    assert len(lines) > 8, f"{document.name} lost its commands"
    for guide_line, argv in lines:
        try:
            command, options = _resolve(root, argv)
        except AssertionError as exc:
            raise AssertionError(f"guide block at line {guide_line}: {exc}") from None
        assert not hasattr(command, "commands") or {"--help", "--version"} & set(options), (
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


def _counts(url: str) -> dict[str, int]:
    """What the walkthrough left in the hub's database, read with plain SQL."""
    from sqlalchemy import text

    from channelhub.store.db import make_engine

    queries = {
        # accepted by the warehouse: it answered with its own order id
        "accepted": "SELECT count(*) FROM outbound_orders WHERE warehouse_order_id IS NOT NULL",
        # its signed shipment callbacks arrived and were applied
        "shipments": "SELECT count(*) FROM shipments",
        "shipped_orders": "SELECT count(*) FROM orders "
        "WHERE hub_status IN ('shipped', 'delivered')",
        # the tracking numbers reached the channels (fulfilment pushes sent and confirmed)
        "tracking_sent": "SELECT count(*) FROM outbox WHERE kind = 'fulfilment' AND state = 'sent'",
        # Amazon took them and the hub's next read of those orders confirms them
        # (jobs/fulfilment/confirmations.py): waiting, claimed, with no error
        "tracking_awaiting": "SELECT count(*) FROM outbox WHERE kind = 'fulfilment' "
        "AND state = 'sending' AND last_error IS NULL AND attempts >= 1 "
        "AND target LIKE 'channel:amazon:%'",
        "tracking_not_sent": "SELECT count(*) FROM outbox WHERE kind = 'fulfilment' "
        "AND state <> 'sent'",
        "callback_dead_letters": "SELECT count(*) FROM dead_letters "
        "WHERE subject = 'warehouse_callback'",
        "stock_known": "SELECT count(*) FROM warehouses WHERE stock_known_at IS NOT NULL",
        # step 11: the channels' money imported, and each seeded payout error found
        "money_lines": "SELECT count(*) FROM money_lines",
        "payout_mismatches": "SELECT count(*) FROM discrepancies "
        "WHERE discrepancy_class = 'payout_mismatch'",
    }
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return {
                name: int(connection.execute(text(sql)).scalar_one())
                for name, sql in queries.items()
            }
    finally:
        engine.dispose()


def _assert_the_guide_held(result: subprocess.CompletedProcess[str], url: str) -> None:
    tail = (result.stdout + result.stderr)[-6000:]
    assert result.returncode == 0, f"the walkthrough stopped:\n{tail}"
    counts = _counts(url)
    assert counts["stock_known"] == 1, counts
    assert counts["accepted"] >= 5, counts
    assert counts["shipments"] == counts["accepted"], counts
    assert counts["shipped_orders"] >= 5, counts
    assert counts["tracking_sent"] + counts["tracking_awaiting"] >= counts["shipments"], counts
    assert counts["tracking_not_sent"] == counts["tracking_awaiting"], counts
    assert counts["callback_dead_letters"] == 0, counts
    assert counts["money_lines"] > 0, counts
    assert counts["payout_mismatches"] == 2, counts  # Amazon's and Shopify's, off by 1.00
    assert "Traceback" not in result.stdout + result.stderr, tail


@pytest.mark.guide
def test_the_walkthrough_runs_against_the_simulators_on_sqlite(tmp_path: Path) -> None:
    result = _run_walkthrough(tmp_path, {})
    _assert_the_guide_held(result, f"sqlite:///{tmp_path / 'home' / '.channelhub' / 'hub.db'}")


@pytest.fixture
def own_postgres_database() -> Iterator[str]:
    """A database of its own on the test server: the walkthrough's ``init`` migrates it whole."""
    yield from throwaway_database("chguide")


@pytest.mark.guide
@pytest.mark.postgres
def test_the_walkthrough_runs_against_the_simulators_on_postgresql(
    tmp_path: Path, own_postgres_database: str
) -> None:
    """The same walkthrough with CHANNELHUB_DATABASE_URL set before ``init`` (Part 3)."""
    result = _run_walkthrough(tmp_path, {"CHANNELHUB_DATABASE_URL": own_postgres_database})
    _assert_the_guide_held(result, own_postgres_database)


def test_each_simulator_prints_the_account_line_the_guide_shows() -> None:
    """The guide's `accounts add` lines are what `channelhub simulate … --print-only` prints."""
    from typer.testing import CliRunner

    from channelhub.cli import _register, app

    _register()
    walkthrough = [argv for _, argv in channelhub_lines(TEXT, walkthrough=True)]
    lines = {argv[2]: argv for argv in walkthrough if argv[:2] == ["accounts", "add"]}
    started = [argv for argv in walkthrough if argv[:1] == ["simulate"]]
    assert len(started) == 4
    for argv in started:
        options = [word for word in argv[1:] if word != "&"]
        printed = CliRunner().invoke(app, ["simulate", *options, "--print-only"])
        assert printed.exit_code == 0, printed.output
        shown = shlex.split(printed.stdout.strip())
        assert shown[:1] == ["channelhub"]
        assert lines[argv[1]] == shown[1:], f"the guide's {argv[1]} line differs from simulate's"
