"""The pipeline bench's measure of an overlapped writer: could a thread that writes one page
while the next is planned get the pipeline nearer the plain insert?

The README names that design (a writer running a page's statements while the next page is
built) as one way to the issue's ratio: SQLite and psycopg release the GIL while they work.
This measures its best case before anyone builds it: the domain's planning of each chunk
(:func:`~bench.pipeline_planning.plan_chunk`: in memory, no rows built, no serialization) and
the plain bulk insert of the rows the pipeline wrote for it
(:func:`~bench.pipeline_rows.chunked_insert`), run

- **sequentially**: plan chunk n+1, then insert chunk n (the floor ``planning + plain``);
- **overlapped**: insert chunk n in a writer thread while chunk n+1 is planned, then join.

A real overlapped pipeline would also build and redact its rows and wait for the page before
it to commit before reading the next one's stock, so the overlapped figure is the most such a
design could gain. Generating a chunk's orders (the connector's work) is not timed, and
nothing else runs while it is generated.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Engine, Table

from bench.pipeline_planning import Balances, plan_chunk
from bench.pipeline_rows import Written, chunked_insert, delete_keys
from channelhub.core.models import Order
from channelhub.jobs.orders.planner import Planner


class Overlap(NamedTuple):
    """Seconds for planning and inserting every chunk, one after the other and overlapped."""

    sequential: float
    overlapped: float


def overlap_seconds(
    engine: Engine,
    tables: list[Table],
    rows: Written,
    chunks: Callable[[], Iterable[Sequence[Order]]],
    planners: Callable[[], Planner],
    balances: Balances,
    *,
    now: datetime,
) -> Overlap:
    """Both ways over the same chunks (``chunks()`` gives them afresh, ``planners()`` a
    fresh planner, so neither way inherits the other's memos), each into ``engine`` in the
    pre-run state: the sequential way writes its rows, which are then taken out again
    (untimed) before the overlapped way writes them."""
    parts = sum(1 for _ in chunks())
    sequential = _timed(engine, tables, rows, parts, chunks(), planners(), balances, now, False)
    overlapped = _timed(engine, tables, rows, parts, chunks(), planners(), balances, now, True)
    return Overlap(sequential, overlapped)


def _timed(
    engine: Engine,
    tables: list[Table],
    rows: Written,
    parts: int,
    chunks: Iterable[Sequence[Order]],
    planner: Planner,
    balances: Balances,
    now: datetime,
    threaded: bool,
) -> float:
    stock = dict(balances)
    seconds = 0.0
    with chunked_insert(engine, tables, rows, parts) as write:
        try:
            for n, chunk in enumerate(chunks):  # generated here, untimed, nothing running
                started = time.perf_counter()
                writer = None if n == 0 else _Writer(write, n - 1, threaded)
                plan_chunk(planner, chunk, stock, now)
                if writer is not None:
                    writer.join()
                seconds += time.perf_counter() - started
            started = time.perf_counter()
            write(parts - 1)
            seconds += time.perf_counter() - started
        finally:
            _remove(engine, tables, rows)
    return seconds


class _Writer:
    """Inserts one chunk: threaded, beside the next chunk's planning; else at once, before
    it (the same order of work, one after the other)."""

    def __init__(self, write: Callable[[int], None], n: int, threaded: bool) -> None:
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        if threaded:
            self._thread = threading.Thread(target=self._run, args=(write, n))
            self._thread.start()
        else:
            write(n)

    def _run(self, write: Callable[[int], None], n: int) -> None:
        try:
            write(n)
        except BaseException as error:  # noqa: BLE001 - raised again in the caller's thread
            self._error = error

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join()
        if self._error is not None:
            raise self._error


def _remove(engine: Engine, tables: list[Table], rows: Written) -> None:
    """Take out the rows inserted (children first): the state :func:`chunked_insert` starts
    from (it takes the changed rows' pre-run versions out, as here)."""
    pg = engine.dialect.name == "postgresql"
    by_name = {t.name: t for t in tables}
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for name in reversed([t.name for t in tables if t.name in rows.rows]):
            table = by_name[name]
            names = [c.name for c in table.columns]
            at = [names.index(c.name) for c in table.primary_key.columns]
            keys = [tuple(row[i] for i in at) for row in rows.rows[name]]
            delete_keys(cursor, table, keys, pg=pg)
        raw.commit()
    finally:
        raw.close()
