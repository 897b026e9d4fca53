"""The bench's database clock counts each statement and each commit from the driver's start
to its end, and nothing between them (a clock that ticks once per reading shows which)."""

from __future__ import annotations

from itertools import count
from pathlib import Path

from sqlalchemy import text

from bench.database_clock import DatabaseClock
from channelhub.store.db import make_engine, make_session_factory


def test_statements_and_commits_are_timed_and_the_python_between_is_not(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'hub.db'}")
    factory = make_session_factory(engine)
    ticks = count()
    try:
        with DatabaseClock(engine, factory, clock=lambda: float(next(ticks))) as clock:
            with factory() as session, session.begin():
                session.execute(text("SELECT 1"))  # read at ticks 0 and 1
                next(ticks), next(ticks)  # Python between: not counted
                session.execute(text("SELECT 2"))  # 4 and 5
            # the commit: from the connection's commit (6) to the session's after_commit (7)
            with factory() as session, session.begin():
                pass  # nothing sent: no connection to commit, nothing counted
        assert clock.seconds == 3.0
        with factory() as session, session.begin():  # after the block: no longer listening
            session.execute(text("SELECT 3"))
        assert clock.seconds == 3.0
    finally:
        engine.dispose()
