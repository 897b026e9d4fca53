"""``column IN (:values)`` for a statement built once per database, its values given at
execution: the rows of :func:`~channelhub.store.one_of.one_of`, without building the
statement again for every call.

Why: a hot read (the order pipeline's, per chunk of orders) spent more in Python building its
``select``, its ``IN`` lists and the statement's cache key than the database spent answering
it. Built once (:func:`functools.cache` on the dialect's name), a statement's cache key is
computed once and its values are plain parameters: an expanding ``IN`` on SQLite, one array
(``= ANY``) on PostgreSQL, so there too one query text for any number of values.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, String, any_, bindparam
from sqlalchemy.orm import Session


def dialect_of(session: Session) -> str:
    """The name of ``session``'s database ("sqlite", "postgresql"): the key of the
    statements built once per database."""
    return session.get_bind().dialect.name


def listed(column: Any, name: str, dialect: str) -> ColumnElement[bool]:
    """``column`` is one of the values given as parameter ``name`` at execution (a list)."""
    if dialect == "postgresql":
        # imported here, where the engine has loaded it (as store.one_of does)
        from sqlalchemy.dialects.postgresql import ARRAY

        # a string column's values as unbounded text: a cast to varchar(n) would cut a longer
        # value down to one that matches
        element = String() if isinstance(column.type, String) else column.type
        return column == any_(bindparam(name, type_=ARRAY(element)))  # type: ignore[no-any-return]
    return column.in_(bindparam(name, expanding=True))  # type: ignore[no-any-return]
