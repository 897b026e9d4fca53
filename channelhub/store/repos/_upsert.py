"""``INSERT ... ON CONFLICT`` for the session's dialect (SQLite and PostgreSQL agree on it).

Dedupe is always done by the database's unique constraint, never check-then-insert, so two
writers racing on the same natural key still store one row.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_for(session: Session, table: Any) -> Any:
    """A dialect ``insert(table)`` that has ``on_conflict_do_nothing/do_update``."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"unsupported database dialect {dialect!r}")
