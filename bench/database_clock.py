"""The time a run spends inside the database driver: its statements and its commits.

Why: the pipeline bench compares the pipeline with the plain bulk insert of its rows. What
the pipeline spends outside the database (planning, building and converting rows, checking
them for secrets, SQLAlchemy's handling) bounds the ratio it can reach whatever the storage
does: with a database that cost nothing, the ratio would be the plain insert's time over
that. This clock measures the rest.

A statement is timed from SQLAlchemy's ``before_cursor_execute`` to its
``after_cursor_execute``: registered after the engine's own hooks (the redactor's scan runs
in one), it starts when they are done, so it holds the driver's work and no Python of the
hub's. A commit is timed from the connection's ``commit`` event (just before the driver's
commit) to the session's ``after_commit``. PostgreSQL's ``COPY`` goes to psycopg past
SQLAlchemy and is not seen here: the figures are printed for SQLite only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import sessionmaker


class DatabaseClock:
    """Seconds inside the driver, over the statements and commits of ``engine`` and the
    sessions of ``factory``, within its ``with`` block."""

    def __init__(
        self,
        engine: Engine,
        factory: sessionmaker[Any],
        *,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.engine = engine
        self.factory = factory
        self.clock = clock
        self.seconds = 0.0
        self._started: list[float] = []

    def __enter__(self) -> DatabaseClock:
        event.listen(self.engine, "before_cursor_execute", self._start)
        event.listen(self.engine, "after_cursor_execute", self._stop)
        event.listen(self.engine, "commit", self._start)
        event.listen(self.factory, "after_commit", self._stop)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._start)
        event.remove(self.engine, "after_cursor_execute", self._stop)
        event.remove(self.engine, "commit", self._start)
        event.remove(self.factory, "after_commit", self._stop)

    def _start(self, *_: object) -> None:
        self._started.append(self.clock())

    def _stop(self, *_: object) -> None:
        if self._started:  # a session that sent nothing commits no connection: not started
            self.seconds += self.clock() - self._started.pop()
