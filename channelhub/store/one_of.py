"""``column IN (values)`` written the way each database runs it best, for lists that change
length from call to call (a chunk's order ids, keys, SKUs).

Why: an ``IN`` list renders one placeholder per value, so every length is a new query text.
On PostgreSQL psycopg then parses the text anew (it caches only texts it has seen, and long
ones not at all), it is never prepared, and the server plans it anew: a chunk's five such
statements cost the pipeline more than its inserts. ``column = ANY(:array)`` is one text
whatever the length: parsed once, prepared after a few runs, planned once. SQLite has no
arrays and plans ``IN`` cheaply: it keeps ``IN``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, String, any_, bindparam
from sqlalchemy.orm import Session


def one_of(session: Session, column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """``column`` is one of ``values``, for ``session``'s database."""
    listed = list(values)
    if session.get_bind().dialect.name == "postgresql":
        # imported here, where the engine has loaded it: at module level it cost every
        # command on SQLite ~0.04 s
        from sqlalchemy.dialects.postgresql import ARRAY

        # a string column's values as unbounded text: a cast to varchar(n) would cut a longer
        # value down to one that matches
        element = String() if isinstance(column.type, String) else column.type
        array = bindparam(None, listed, type_=ARRAY(element))
        return column == any_(array)  # type: ignore[no-any-return]
    return column.in_(listed)  # type: ignore[no-any-return]
