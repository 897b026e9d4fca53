"""The pipeline bench's baseline: the rows the pipeline wrote, bulk-inserted plainly.

:func:`snapshot` reads every hub table in the database's own text form (SQLite: the stored
values as they are; PostgreSQL: each column ``::text``, what ``COPY`` reads back verbatim).
:func:`written` is what a pipeline run left that was not there before (new rows, and the few
rollup rows it changed). :func:`bulk_insert` writes exactly those rows into a database in the
pre-run state (the changed rows deleted first, untimed) with ``executemany`` on SQLite and
``COPY`` on PostgreSQL, one transaction per chunk: the least any code can do to store what
the pipeline stores. Rows are tuples prepared before timing; only the inserts are timed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, Table

from channelhub.store.tables import hub_metadata

Row = tuple[Any, ...]


def hub_tables(engine: Engine) -> list[Table]:
    """The hub's tables in foreign-key order (parents first) that exist in ``engine``."""
    with engine.connect() as connection:
        names = set(engine.dialect.get_table_names(connection))
    return [t for t in hub_metadata().sorted_tables if t.name in names]


def snapshot(engine: Engine, tables: list[Table]) -> dict[str, dict[Row, Row]]:
    """Every row of ``tables`` keyed by its primary key, values in the database's text form."""
    pg = engine.dialect.name == "postgresql"
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        out: dict[str, dict[Row, Row]] = {}
        for table in tables:
            columns = [c.name for c in table.columns]
            listed = ", ".join(f'"{c}"::text' if pg else f'"{c}"' for c in columns)
            cursor.execute(f'SELECT {listed} FROM "{table.name}"')
            keys = [columns.index(c.name) for c in table.primary_key.columns]
            out[table.name] = {tuple(r[i] for i in keys): tuple(r) for r in cursor.fetchall()}
        raw.rollback()
    finally:
        raw.close()
    return out


@dataclass
class Written:
    """Per table (parents first): the rows a run wrote, and the keys of rows it changed."""

    rows: dict[str, list[Row]] = field(default_factory=dict)
    changed: dict[str, list[Row]] = field(default_factory=dict)

    def count(self, only: set[str] | None = None) -> int:
        return sum(len(r) for t, r in self.rows.items() if only is None or t in only)

    def only(self, names: set[str]) -> Written:
        return Written(
            {t: r for t, r in self.rows.items() if t in names},
            {t: k for t, k in self.changed.items() if t in names},
        )


def written(before: dict[str, dict[Row, Row]], after: dict[str, dict[Row, Row]]) -> Written:
    """What ``after`` holds that ``before`` did not (a changed row counts as written)."""
    result = Written()
    for name, rows in after.items():
        old = before.get(name, {})
        new = [row for key, row in rows.items() if old.get(key) != row]
        if new:
            result.rows[name] = new
            result.changed[name] = [k for k, row in rows.items() if k in old and old[k] != row]
    return result


def bulk_insert(engine: Engine, tables: list[Table], rows: Written, chunks: int) -> float:
    """Seconds to insert ``rows`` in ``chunks`` transactions (each table's rows split evenly,
    tables parents first): ``executemany`` on SQLite, ``COPY`` on PostgreSQL."""
    with chunked_insert(engine, tables, rows, chunks) as write:
        started = time.perf_counter()
        for n in range(chunks):
            write(n)
        return time.perf_counter() - started


@contextmanager
def chunked_insert(
    engine: Engine, tables: list[Table], rows: Written, chunks: int
) -> Iterator[Callable[[int], None]]:
    """A writer of ``rows`` split into ``chunks``: calling it with ``n`` inserts the ``n``-th
    part in one transaction (parts in order: a parent before its children). The changed rows'
    pre-run state is restored and the parts are built before it is handed out (untimed)."""
    pg = engine.dialect.name == "postgresql"
    by_name = {t.name: t for t in tables}
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for name, keys in rows.changed.items():  # the pre-run state of the rows it changed
            delete_keys(cursor, by_name[name], keys, pg=pg)
        raw.commit()
        order_part: dict[str, int] = {}  # order id (text) -> its part
        referenced = {fk.column.table.name for t in tables for fk in t.foreign_keys}
        plan = [
            _slices(t, rows.rows[t.name], chunks, pg, order_part, t.name in referenced)
            for t in tables
            if t.name in rows.rows
        ]

        def write(n: int) -> None:
            for sql, slices in plan:
                part = slices[n]
                if not part:
                    continue
                if pg:
                    with cursor.copy(sql) as copy:  # type: ignore[attr-defined]
                        for row in part:
                            copy.write_row(row)
                else:
                    cursor.executemany(sql, part)
            raw.commit()

        yield write
    finally:
        raw.close()


def delete_keys(cursor: Any, table: Table, keys: list[Row], *, pg: bool) -> None:
    """Delete the rows of ``table`` whose primary keys are ``keys`` (in the text form
    :func:`snapshot` reads on PostgreSQL)."""
    pk = [c.name for c in table.primary_key.columns]
    where = " AND ".join(f'"{c}"::text = %s' if pg else f'"{c}" = ?' for c in pk)
    cursor.executemany(f'DELETE FROM "{table.name}" WHERE {where}', keys)


def _slices(
    table: Table,
    rows: list[Row],
    chunks: int,
    pg: bool,
    order_part: dict[str, int],
    referenced: bool,
) -> tuple[str, list[list[Row]]]:
    """The table's insert statement and its rows split into ``chunks`` parts: rows of an order
    (an ``order_id`` column) with their order's part, so a parent is always written first;
    a table with fewer rows than parts (the rollups, an automatic pairing), and any other
    table whose rows others reference (the sales rollup's listings), in the first."""
    columns = [c.name for c in table.columns]
    listed = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    sql = (
        f'COPY "{table.name}" ({listed}) FROM STDIN'
        if pg
        else f'INSERT INTO "{table.name}" ({listed}) VALUES ({marks})'
    )
    parts: list[list[Row]] = [[] for _ in range(chunks)]
    if table.name == "orders":
        ordered = sorted(rows, key=lambda r: int(r[0]))
        for i, row in enumerate(ordered):
            parts[i * chunks // len(ordered)].append(row)
        order_part.update({str(r[0]): n for n, part in enumerate(parts) for r in part})
    elif "order_id" in columns and order_part:
        at = columns.index("order_id")
        for row in rows:
            parts[order_part.get(str(row[at]), 0)].append(row)
    elif len(rows) < chunks or referenced:
        parts[0] = list(rows)
    else:
        for i, row in enumerate(rows):
            parts[i * chunks // len(rows)].append(row)
    return sql, parts
