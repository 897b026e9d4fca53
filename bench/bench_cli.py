"""CLI: how long ``channelhub`` takes to reach a command's work, beside a plain baseline.

``python -m bench.run cli`` (``--orders N``, default 100,000). Each command runs in a fresh
interpreter, once to warm the bytecode cache (as pip's install does; ``PYTHONDONTWRITEBYTECODE``
is dropped for the children) and then 5 times; the median wall time and the child's CPU time
are printed. Baselines: ``python -c pass`` (the interpreter alone), ``import sqlalchemy`` and
``import sqlalchemy.orm`` (the floor of any command that opens the database through the ORM
tables), the eager import of every command module (what ``channelhub`` did before the command
table: ``_register()``), and for ``orders list`` the same page read by a plain SQL query in this
process. The orders are bulk-loaded into a fresh hub home's SQLite database (``channelhub
init``) the way the reports bench loads them. The commands that open the database have the
issue's goal beside them (a command reaches its work in 0.5 s). The hub holds one account of
every built-in platform, so ``jobs list`` and ``accounts list`` ask each platform's roles and
capabilities (from its manifest: no connector is imported).
(``orders show`` is not here: the bulk-loaded orders carry no order document to show.)
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from pydantic import SecretStr

from bench.bench_reports import COLUMNS, _generate
from bench.run import Figure
from channelhub.connectors.registry import BUILTIN_CONNECTORS
from channelhub.store.crypto import Vault, read_key_file
from channelhub.store.db import make_engine, make_session_factory
from channelhub.store.repos.accounts import add_account

TRACE_MEMORY = False
DEFAULT_ORDERS = 100_000
RUNS = 5
ROOT = Path(__file__).resolve().parents[1]
CHANNELHUB = "import sys; from channelhub.cli import main; sys.argv[0] = 'channelhub'; main()"
#: Further commands that open the database (each runs to its end on the bench's hub).
DB_COMMANDS = (
    "jobs state",
    "jobs log",
    "jobs deadletters",
    "stock transit list",
    "report trends",
    "pairing list",
    "jobs list",
    "accounts list",
)
PAGE_SQL = (
    "SELECT id, channel, account, external_id, hub_status, channel_status, placed_at, "
    "total_amount, currency, buyer_name, (SELECT count(*) FROM order_lines l "
    "WHERE l.order_id = orders.id) FROM orders ORDER BY placed_at DESC, id DESC LIMIT 51"
)


def _env() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "120"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed channelhub has its bytecode cached
    return env


def _child(argv: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one fresh interpreter running ``argv``."""
    env = _env()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, env=env, cwd=ROOT, check=True, capture_output=True, timeout=120)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _median(name: str, argv: list[str], *, goal: float | None = None) -> list[Figure]:
    _child(argv)  # warm-up: bytecode written, files in the page cache
    runs = [_child(argv) for _ in range(RUNS)]
    return [
        Figure(name, statistics.median(w for w, _ in runs), "s", goal=goal),
        Figure(f"{name} CPU", statistics.median(c for _, c in runs), "s"),
    ]


def _hub(home: Path, n_orders: int) -> str:
    """A hub home with ``n_orders`` orders and an account of every built-in platform; the key
    of the order in the list's middle."""
    subprocess.run(
        [sys.executable, "-c", CHANNELHUB, "--home", str(home), "init"],
        env=_env(),
        check=True,
        capture_output=True,
        timeout=300,
    )
    data = _generate(n_orders, pg=False)
    db = sqlite3.connect(home / "hub.db")
    for table in ("orders", "order_lines"):
        columns = COLUMNS[table]
        marks = ", ".join("?" for _ in columns.split(","))
        db.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", data[table])
    db.commit()
    db.execute("ANALYZE")
    channel, account, external_id = db.execute(
        "SELECT channel, account, external_id FROM orders ORDER BY placed_at DESC, id DESC "
        "LIMIT 1 OFFSET ?",
        (n_orders // 2,),
    ).fetchone()
    db.close()
    add_every_platform(home)
    return f"{channel}:{account}:{external_id}"


def add_every_platform(home: Path, *, now: datetime | None = None) -> None:
    """One account of every built-in platform (what ``jobs list`` and ``accounts list`` show);
    the CLI's tests build their hub with it too."""
    vault = Vault(read_key_file(home / "secret.key"))
    engine = make_engine(f"sqlite:///{home / 'hub.db'}")
    try:
        with make_session_factory(engine).begin() as session:
            for platform in BUILTIN_CONNECTORS:
                add_account(
                    session,
                    vault,
                    platform=platform,
                    name=f"{platform}-1",
                    credentials={"key": SecretStr("bench")},
                    now=now or datetime.now(UTC),
                )
    finally:
        engine.dispose()


def _plain_page(db_path: Path) -> Figure:
    """The first page of ``orders list`` as one plain SQL query (the floor for the query)."""
    db = sqlite3.connect(db_path)
    try:
        times = []
        for _ in range(RUNS):
            started = time.perf_counter()
            db.execute(PAGE_SQL).fetchall()
            times.append(time.perf_counter() - started)
    finally:
        db.close()
    return Figure("baseline: that page as a plain SQL query", statistics.median(times), "s")


def run(args: argparse.Namespace) -> list[Figure]:
    """The command table's figures, then ``orders list`` on ``--orders`` orders."""
    n_orders = getattr(args, "orders", None) or int(DEFAULT_ORDERS * getattr(args, "scale", 1))
    py = sys.executable
    figures = [
        *_median("baseline: python -c pass", [py, "-c", "pass"]),
        *_median("baseline: python -c 'import sqlalchemy'", [py, "-c", "import sqlalchemy"]),
        *_median(
            "baseline: python -c 'import sqlalchemy.orm'", [py, "-c", "import sqlalchemy.orm"]
        ),
        *_median(
            "before: import every command module",
            [py, "-c", "import channelhub.cli as c; c._register()"],
        ),
        *_median("channelhub --help", [py, "-c", CHANNELHUB, "--help"], goal=0.5),
        *_median(
            "channelhub report --help (loads one module)",
            [py, "-c", CHANNELHUB, "report", "--help"],
        ),
    ]
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder) / "home"
        middle = _hub(home, n_orders)
        hub = [py, "-c", CHANNELHUB, "--home", str(home)]
        base = [*hub, "orders", "list"]
        figures += [
            *_median(f"channelhub orders list ({n_orders:,} orders)", base, goal=0.5),
            *_median(
                "channelhub orders list --after (the middle page)",
                [*base, "--after", middle],
                goal=0.5,
            ),
            _plain_page(home / "hub.db"),
        ]
        for command in DB_COMMANDS:
            argv = [*hub, *command.split()]
            figures += _median(f"channelhub {command}", argv, goal=0.5)
    return figures
