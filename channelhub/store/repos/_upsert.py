"""``INSERT ... ON CONFLICT`` for the session's dialect (SQLite and PostgreSQL agree on it).

Dedupe is always done by the database's unique constraint, never check-then-insert, so two
writers racing on the same natural key still store one row.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.orm import Session


def insert_for(session: Session, table: Any) -> Any:
    """A dialect ``insert(table)`` that has ``on_conflict_do_nothing/do_update``."""
    # each dialect's module is imported here, where its engine already loaded it: at module
    # level the PostgreSQL dialect cost every command on SQLite ~0.04 s
    return dialect_insert(session.get_bind().dialect.name, table)


def dialect_insert(dialect: str, table: Any) -> Any:
    """:func:`insert_for` by the dialect's name (for statements built once per dialect)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    if dialect == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.insert(table)
    raise RuntimeError(f"unsupported database dialect {dialect!r}")


class UpsertOutcome(StrEnum):
    """What an import did: stored a new row, changed an existing one, or nothing (stale)."""

    INSERTED = "inserted"
    UPDATED = "updated"
    STALE = "stale"


class Upserted(NamedTuple):
    """The row id and what the upsert did to it."""

    id: int
    outcome: UpsertOutcome


def guarded_upsert(
    session: Session,
    model: Any,
    *,
    key: Mapping[str, Any],
    insert_values: Mapping[str, Any],
    update_values: Mapping[str, Any],
    newer: ColumnElement[bool],
) -> Upserted:
    """Insert on the natural ``key``, else update only where ``newer`` holds.

    Two atomic statements, never check-then-insert: ``INSERT ... ON CONFLICT DO NOTHING``,
    then a conditional ``UPDATE ... WHERE key AND newer``. A concurrent writer can make this
    call a no-op, never a duplicate or an overwrite with older data.
    """
    table = model.__table__
    inserted = session.execute(
        insert_for(session, table)
        .values({**key, **insert_values})
        .on_conflict_do_nothing(index_elements=list(key))
        .returning(table.c.id)
    ).scalar_one_or_none()
    if inserted is not None:
        return Upserted(inserted, UpsertOutcome.INSERTED)
    match = and_(*(table.c[name] == value for name, value in key.items()))
    updated = session.execute(
        update(table).where(match, newer).values(dict(update_values)).returning(table.c.id)
    ).scalar_one_or_none()
    session.expire_all()  # rows loaded before now may be stale
    if updated is not None:
        return Upserted(updated, UpsertOutcome.UPDATED)
    existing = session.execute(select(table.c.id).where(match)).scalar_one()
    return Upserted(existing, UpsertOutcome.STALE)
