"""Many rows in one ``INSERT .. ON CONFLICT .. RETURNING``, at the least cost per dialect.

Why not ``session.execute(insert(table).returning(..), rows)`` on PostgreSQL: SQLAlchemy
sends the rows as one statement with a placeholder per value ("insertmanyvalues": 2,000 for
100 orders), and psycopg caches its parse of a statement only up to 50 parameters and 4 KiB,
so it re-parses that statement on every call: a fifth of an import's intake time. Here the
rows go as one array per column, unnested by the server (``SELECT * FROM unnest(..)``): a
short statement psycopg parses once and the server prepares once, whatever the number of
rows, and its arrays are sent in binary (``%b``: no text escaping of every quote in a JSON
document). On SQLite SQLAlchemy's statement is kept: it is already one multi-row ``INSERT``.

Each column's own bind processor (the same conversion SQLAlchemy applies: aware datetimes,
exact decimals, JSON documents) is applied first on both paths, and on PostgreSQL the
arrays pass through :func:`~channelhub.store.redaction.redacted` (the statement bypasses
the engine's cursor hook). No library offers array inserts with ``RETURNING`` for both
databases; psycopg's binary arrays are used here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, func
from sqlalchemy.orm import Session

from channelhub.store.bulk import column_processor
from channelhub.store.redaction import redacted
from channelhub.store.repos._upsert import insert_for


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
    if session.get_bind().dialect.name == "postgresql":
        return _unnested(session, table, names, rows, conflict, returning)
    statement = _sqlalchemy_statement(session, table, conflict, returning)
    return [tuple(row) for row in session.execute(statement, list(rows))]


def _sqlalchemy_statement(
    session: Session, table: Table, conflict: OnConflict, returning: Sequence[str]
) -> Any:
    statement = insert_for(session, table)
    if conflict.update or conflict.update_unless_null:
        new = statement.excluded
        values: dict[str, Any] = {c: new[c] for c in conflict.update}
        values |= {c: func.coalesce(new[c], table.c[c]) for c in conflict.update_unless_null}
        newer = conflict.only_if_newer
        statement = statement.on_conflict_do_update(
            index_elements=list(conflict.key),
            set_=values,
            where=None if newer is None else table.c[newer] < new[newer],
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(conflict.key))
    return statement.returning(*(table.c[c] for c in returning))


def _unnested(
    session: Session,
    table: Table,
    names: list[str],
    rows: Sequence[Mapping[str, Any]],
    conflict: OnConflict,
    returning: Sequence[str],
) -> list[tuple[Any, ...]]:
    connection = session.connection()
    dialect = connection.dialect
    arrays: list[list[Any]] = []
    for name in names:
        values = [row[name] for row in rows]
        process = column_processor(table.c[name], dialect)
        if process is not None:
            values = list(map(process, values))
        arrays.append(list(redacted(tuple(values))))  # a tuple: one parameter set's values
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
    def quoted(name: str) -> str:
        return f'"{name}"'

    arrays = ", ".join(
        f"%b::{table.c[n].type.dialect_impl(dialect).compile(dialect=dialect)}[]" for n in names
    )
    sql = (
        f'INSERT INTO "{table.name}" AS stored ({", ".join(map(quoted, names))}) '
        f"SELECT * FROM unnest({arrays}) "
        f"ON CONFLICT ({', '.join(map(quoted, conflict.key))}) "
    )
    if conflict.update or conflict.update_unless_null:
        sets = [f"{quoted(c)} = EXCLUDED.{quoted(c)}" for c in conflict.update]
        sets += [
            f"{quoted(c)} = COALESCE(EXCLUDED.{quoted(c)}, stored.{quoted(c)})"
            for c in conflict.update_unless_null
        ]
        sql += f"DO UPDATE SET {', '.join(sets)}"
        if conflict.only_if_newer is not None:
            newer = quoted(conflict.only_if_newer)
            sql += f" WHERE stored.{newer} < EXCLUDED.{newer}"
    else:
        sql += "DO NOTHING"
    return f"{sql} RETURNING {', '.join(f'stored.{quoted(c)}' for c in returning)}"
