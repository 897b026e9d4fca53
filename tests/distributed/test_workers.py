"""Three real worker processes on one PostgreSQL database: per-(account, job) locks hold
across them, every job ends exactly once, and a periodic task fires once per tick."""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from channelhub.jobs.distributed.defer import defer_unit
from channelhub.store.db import make_engine, make_session_factory
from channelhub.store.tables.accounts import Account
from tests.distributed.conftest import spawn, stop_all, wait_ready
from tests.distributed.probe import PROBE_TABLES, PROBED

pytestmark = pytest.mark.postgres
ACCOUNTS = [f"seller-{n}" for n in range(6)]
JOBS = 300
#: a run that never comes is a hang, not a slow machine
DEADLINE_SECONDS = 120.0


@pytest.fixture(scope="module")
def workers(engine_db: str) -> Iterator[str]:
    """Three probe workers (two jobs at once each) on a database with six accounts."""
    engine = make_engine(engine_db)
    with engine.begin() as connection:
        connection.exec_driver_sql(PROBE_TABLES)
    now = datetime.now(UTC)
    with make_session_factory(engine).begin() as session:
        for name in ACCOUNTS:
            session.add(Account(platform="shopify", name=name, settings={}, credentials=b"",
                                created_at=now, updated_at=now))  # fmt: skip
    engine.dispose()
    processes = [spawn(["-m", "tests.distributed.probe", engine_db, "2"]) for _ in range(3)]
    try:
        for process in processes:
            wait_ready(process)
        yield engine_db
    finally:
        outputs = stop_all(processes)
        codes = [process.returncode for process in processes]
        assert codes == [0, 0, 0], "\n".join(outputs)  # SIGTERM stops them gracefully


def _wait_until(check: str, url: str, *, at_least: int) -> None:
    """Poll the database (the work happens in other processes) until ``check`` counts
    ``at_least``, or fail at the deadline."""
    engine = make_engine(url)
    deadline = time.monotonic() + DEADLINE_SECONDS
    try:
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                if connection.scalar(text(check)) >= at_least:
                    return
            time.sleep(0.2)
    finally:
        engine.dispose()
    raise AssertionError(f"never reached {at_least}: {check}")


def test_300_jobs_over_6_accounts_and_2_kinds_never_overlap_and_run_once(workers: str) -> None:
    engine = make_engine(workers)
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        for n in range(JOBS):
            account, kind = ACCOUNTS[n % len(ACCOUNTS)], PROBED[(n // len(ACCOUNTS)) % 2]
            assert defer_unit(session, account, kind, queueing=False) is not None
    _wait_until(
        "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'channelhub.unit' "
        "AND status NOT IN ('todo', 'doing')",
        workers,
        at_least=JOBS,
    )
    with engine.connect() as connection:
        statuses = dict(connection.execute(text(
            "SELECT status::text, count(*) FROM procrastinate_jobs "
            "WHERE task_name = 'channelhub.unit' GROUP BY status"
        )).all())  # fmt: skip
        succeeded_twice = connection.scalar(text(
            "SELECT count(*) FROM (SELECT job_id FROM procrastinate_events "
            "WHERE type = 'succeeded' GROUP BY job_id HAVING count(*) > 1) twice"
        ))  # fmt: skip
        runs = connection.execute(
            text("SELECT account, kind, pid, started, ended FROM probe_runs ORDER BY started")
        ).all()
        logged = connection.scalar(text("SELECT count(*) FROM job_runs WHERE outcome = 'ok'"))
    engine.dispose()
    assert statuses == {"succeeded": JOBS}  # every job ended, none failed
    assert succeeded_twice == 0
    assert len(runs) == JOBS and logged == JOBS  # each ran once, in the shared run log
    by_key: dict[tuple[str, str], list[tuple[datetime, datetime]]] = defaultdict(list)
    for account, kind, _pid, started, ended in runs:
        by_key[(account, kind)].append((started, ended))
    assert {key: len(spans) for key, spans in by_key.items()} == {
        (account, kind.value): JOBS // 12 for account in ACCOUNTS for kind in PROBED
    }
    for key, spans in by_key.items():
        for (_, ended), (started, _) in itertools.pairwise(spans):
            assert ended <= started, f"two runs of {key} overlapped"
    assert len({pid for _, _, pid, _, _ in runs}) == 3  # the three workers shared the work


def test_a_one_second_periodic_task_fires_once_per_tick_across_three_workers(
    workers: str,
) -> None:
    # the ticks are the periodic deferrer's own timestamps: no wall-clock assertion, only
    # that every tick between the first and the last ran exactly once
    _wait_until("SELECT count(DISTINCT tick) FROM probe_ticks", workers, at_least=4)
    engine = make_engine(workers)
    with engine.connect() as connection:
        ticks = [row[0] for row in connection.execute(text("SELECT tick FROM probe_ticks"))]
        pids = connection.scalar(text("SELECT count(DISTINCT pid) FROM probe_ticks"))
    engine.dispose()
    assert len(ticks) == len(set(ticks)), "a tick fired twice"
    assert sorted(ticks) == list(range(min(ticks), max(ticks) + 1)), "a tick was skipped"
    assert pids >= 1
