"""Many rows in one ``INSERT .. ON CONFLICT .. RETURNING``, at the least cost per dialect.

Why not ``session.execute(insert(table).returning(..), rows)`` on PostgreSQL: SQLAlchemy
sends the rows as one statement with a placeholder per value ("insertmanyvalues": 2,000 for
100 orders), and psycopg caches its parse of a statement only up to 50 parameters and 4 KiB,
so it re-parses that statement on every call: a fifth of an import's intake time. Here the
rows go as one array per column, unnested by the server (``SELECT * FROM unnest(..)``): a
short statement psycopg parses once and the server prepares once, whatever the number of
rows, and its arrays are sent in binary (``%b``: no text escaping of every quote in a JSON
document). On SQLite the rows go as one multi-row ``INSERT .. VALUES (..), (..)`` (as
SQLAlchemy's own statement), built here and sent with ``exec_driver_sql``: SQLAlchemy's
statement built every row's parameters through its compiler (each value's bind processor,
row by row), which was half the intake's time on SQLite.

Each column's own bind processor (the same conversion SQLAlchemy applies: aware datetimes,
exact decimals, JSON documents) is applied first, once per column, on both paths; a JSON
column also takes a document's finished text (:mod:`channelhub.store.json_text`). On SQLite
the parameters pass through the engine's cursor hook (``exec_driver_sql`` goes through it, as
SQLAlchemy's statement did); on PostgreSQL the arrays pass through
:func:`~channelhub.store.redaction.redacted` (the statement bypasses the hook). No library
offers array inserts with ``RETURNING`` for both databases; psycopg's binary arrays are used
here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.orm import Session

from channelhub.store.bulk import processed_columns, refuse_unfilled, value_processor
from channelhub.store.redaction import redacted

#: At most this many rows per SQLite statement (SQLAlchemy's own page for multi-row inserts).
_SQLITE_PAGE = 1000


@dataclass(frozen=True)
class OnConflict:
    """What a row whose ``key`` is already stored does: nothing (no ``update``), or update
    the stored row where it is older."""

    key: tuple[str, ...]
    #: columns set from the new row
    update: tuple[str, ...] = ()
    #: columns set from the new row unless the new row's value is NULL (the stored one kept)
    update_unless_null: tuple[str, ...] = ()
    #: update only where the stored row's column is less than the new row's
    only_if_newer: str | None = None


def insert_returning(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    conflict: OnConflict,
    returning: Sequence[str],
) -> list[tuple[Any, ...]]:
    """Insert ``rows`` (every row naming the same columns) with ``conflict``'s rule; the
    ``returning`` columns of every row inserted or updated (a row left alone returns none)."""
    if not rows:
        return []
    names = list(rows[0])
    columns = [table.c[name] for name in names]
    refuse_unfilled(table, columns)
    connection = session.connection()
    dialect = connection.dialect
    by_column = processed_columns(rows, columns, lambda c: value_processor(c, dialect))
    if dialect.name == "postgresql":
        return _unnested(connection, table, names, by_column, conflict, returning)
    return _multi_row(connection, table, names, by_column, conflict, returning)


def _multi_row(
    connection: Connection,
    table: Table,
    names: list[str],
    by_column: list[list[Any]],
    conflict: OnConflict,
    returning: Sequence[str],
) -> list[tuple[Any, ...]]:
    """SQLite: ``INSERT .. VALUES (..), (..) .. RETURNING``, as many rows per statement as its
    limit on parameters allows (``by_column``: each named column's converted values); the
    returned values converted as SQLAlchemy converts them."""
    dialect = connection.dialect
    values = list(zip(*by_column, strict=True))
    page = max(1, min(_SQLITE_PAGE, _max_parameters(connection) // len(names)))
    head = _insert_head(table, names)
    tail = _conflict_sql(conflict, returning, returned='"{}"')  # SQLite: unqualified
    mark = f"({', '.join('?' for _ in names)})"
    out: list[tuple[Any, ...]] = []
    for start in range(0, len(values), page):
        part = values[start : start + page]
        sql = f"{head} VALUES {', '.join([mark] * len(part))} {tail}"
        out += map(tuple, connection.exec_driver_sql(sql, tuple(chain.from_iterable(part))))
    return _converted(table, returning, dialect, out)


def _max_parameters(connection: Connection) -> int:
    """The SQLite connection's limit on a statement's parameters (999 before 3.32)."""
    driver = connection.connection.driver_connection
    assert isinstance(driver, sqlite3.Connection)  # the SQLite branch's
    return int(driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))


def _converted(
    table: Table, returning: Sequence[str], dialect: Any, rows: list[tuple[Any, ...]]
) -> list[tuple[Any, ...]]:
    """``rows`` with each returned column's result processor applied (SQLAlchemy's own
    conversion of what it reads: aware datetimes, decimals, documents); ids and text have
    none, so the rows usually come back as they are."""
    processors: list[Callable[[Any], Any] | None] = [
        table.c[name].type.dialect_impl(dialect).result_processor(dialect, None)
        for name in returning
    ]
    if all(p is None for p in processors):
        return rows
    return [
        tuple(v if p is None else p(v) for p, v in zip(processors, row, strict=True))
        for row in rows
    ]


def _unnested(
    connection: Connection,
    table: Table,
    names: list[str],
    by_column: list[list[Any]],
    conflict: OnConflict,
    returning: Sequence[str],
) -> list[tuple[Any, ...]]:
    """PostgreSQL: one array per column (``by_column``: each named column's converted
    values), unnested by the server."""
    dialect = connection.dialect
    # a tuple: one parameter set's values (the statement bypasses the cursor hook)
    arrays = [list(redacted(tuple(values))) for values in by_column]
    driver = connection.connection.driver_connection
    assert driver is not None  # a checked-out connection
    with driver.cursor() as cursor:
        cursor.execute(_unnest_sql(table, names, conflict, returning, dialect), arrays)
        return [tuple(row) for row in cursor.fetchall()]


def _unnest_sql(
    table: Table,
    names: list[str],
    conflict: OnConflict,
    returning: Sequence[str],
    dialect: Any,
) -> str:
    arrays = ", ".join(
        f"%b::{table.c[n].type.dialect_impl(dialect).compile(dialect=dialect)}[]" for n in names
    )
    head = _insert_head(table, names)
    tail = _conflict_sql(conflict, returning, returned='stored."{}"')
    return f"{head} SELECT * FROM unnest({arrays}) {tail}"


def _quoted(name: str) -> str:
    return f'"{name}"'


def _insert_head(table: Table, names: list[str]) -> str:
    """``INSERT INTO`` the table, aliased ``stored`` (as the conflict clause names it)."""
    return f'INSERT INTO "{table.name}" AS stored ({", ".join(map(_quoted, names))})'


def _conflict_sql(conflict: OnConflict, returning: Sequence[str], *, returned: str) -> str:
    """The ``ON CONFLICT .. RETURNING`` clause for a table aliased ``stored``; each returned
    column is ``returned`` formatted with its name."""
    sql = f"ON CONFLICT ({', '.join(map(_quoted, conflict.key))}) "
    if conflict.update or conflict.update_unless_null:
        sets = [f"{_quoted(c)} = EXCLUDED.{_quoted(c)}" for c in conflict.update]
        sets += [
            f"{_quoted(c)} = COALESCE(EXCLUDED.{_quoted(c)}, stored.{_quoted(c)})"
            for c in conflict.update_unless_null
        ]
        sql += f"DO UPDATE SET {', '.join(sets)}"
        if conflict.only_if_newer is not None:
            newer = _quoted(conflict.only_if_newer)
            sql += f" WHERE stored.{newer} < EXCLUDED.{newer}"
    else:
        sql += "DO NOTHING"
    return f"{sql} RETURNING {', '.join(returned.format(c) for c in returning)}"
