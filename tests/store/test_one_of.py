"""one_of: the same rows as IN on both databases; on PostgreSQL one query text for any
number of values (what lets psycopg and the server parse, prepare and plan it once)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from channelhub.core.models import Warehouse
from channelhub.store.one_of import one_of
from channelhub.store.repos.stock import upsert_warehouse
from channelhub.store.tables.stock import WarehouseRow

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def test_the_rows_of_in_and_one_text_for_any_length_on_postgresql(session: Session) -> None:
    long = "L" * 64  # the column's length
    for code in ("A", "B", "C", "D", long):
        upsert_warehouse(session, Warehouse(code=code, country="US"), now=NOW)

    def query(values: list[str]) -> object:
        return select(WarehouseRow.code).where(one_of(session, WarehouseRow.code, values))

    def codes(values: list[str]) -> list[str]:
        return sorted(session.scalars(query(values)))  # type: ignore[call-overload]

    assert codes(["B", "D", "Z"]) == ["B", "D"]
    assert codes(["A"]) == ["A"]
    assert codes([]) == []
    assert codes([long + "X"]) == []  # longer than the column: never cut down to a match
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
    assert (texts[0] == texts[1]) is (engine.dialect.name == "postgresql")
