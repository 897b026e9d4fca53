"""one_of and listed: the rows of IN on both databases, a value longer than the column never
cut down to a match, and one query text for any number of values (what lets psycopg and the
server parse, prepare and plan it once; SQLite, prepare it once), on PostgreSQL for both and
on SQLite for listed. ``one_of`` builds its statement per
call; ``listed`` is built once, its values given at execution."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from channelhub.core.models import Warehouse
from channelhub.store.listed import dialect_of, listed
from channelhub.store.one_of import one_of
from channelhub.store.repos.stock import upsert_warehouse
from channelhub.store.tables.stock import WarehouseRow

NOW = datetime(2026, 3, 1, tzinfo=UTC)
LONG = "L" * 64  # the column's length
Codes = Callable[[list[str]], list[str]]


def _by_one_of(session: Session) -> Codes:
    def codes(values: list[str]) -> list[str]:
        query = select(WarehouseRow.code).where(one_of(session, WarehouseRow.code, values))
        return sorted(session.scalars(query))

    return codes


def _by_listed(session: Session) -> Codes:
    query = select(WarehouseRow.code).where(listed(WarehouseRow.code, "codes", dialect_of(session)))
    return lambda values: sorted(session.scalars(query, {"codes": values}))


@pytest.mark.parametrize("how", [_by_one_of, _by_listed], ids=["one_of", "listed"])
def test_the_rows_of_in_and_one_text_for_any_length_on_postgresql(
    session: Session, how: Callable[[Session], Codes]
) -> None:
    for code in ("A", "B", "C", "D", LONG):
        upsert_warehouse(session, Warehouse(code=code, country="US"), now=NOW)
    codes = how(session)
    assert codes(["B", "D", "Z"]) == ["B", "D"]
    assert codes(["A"]) == ["A"]
    assert codes([]) == []
    assert codes([LONG + "X"]) == []  # longer than the column: never cut down to a match
    texts: list[str] = []

    def seen(*args: object) -> None:
        texts.append(str(args[2]))  # the statement as sent to the driver

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", seen)
    try:
        codes(["A"])
        codes(list("ABCDEFGH"))
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    # listed: one text on both databases (an array on PostgreSQL, one JSON text on SQLite);
    # one_of: SQLite's expanding IN, a text per number of values
    assert (texts[0] == texts[1]) is (how is _by_listed or dialect_of(session) == "postgresql")


def test_listed_reads_integer_columns_too(session: Session) -> None:
    ids = {c: upsert_warehouse(session, Warehouse(code=c, country="US"), now=NOW) for c in "ABC"}
    by_id = select(WarehouseRow.code).where(listed(WarehouseRow.id, "ids", dialect_of(session)))
    assert sorted(session.scalars(by_id, {"ids": [ids["A"], ids["C"]]})) == ["A", "C"]


def test_listed_reads_values_json_would_escape(session: Session) -> None:
    """SQLite reads listed's values back from one JSON text: quotes, backslashes, non-ASCII
    and lookalike numbers come back as the strings they were."""
    codes = ['Q"1', "B\\2", "É-3", "007", "7"]
    for code in codes:
        upsert_warehouse(session, Warehouse(code=code, country="US"), now=NOW)
    query = select(WarehouseRow.code).where(listed(WarehouseRow.code, "codes", dialect_of(session)))
    for code in codes:
        assert list(session.scalars(query, {"codes": [code]})) == [code]
    assert sorted(session.scalars(query, {"codes": ["7", "É-3", "X"]})) == ["7", "É-3"]
