"""listed: a statement built once, its IN list given at execution, reads the rows of IN on
both databases; on PostgreSQL one query text for any number of values."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from channelhub.core.models import Warehouse
from channelhub.store.listed import dialect_of, listed
from channelhub.store.repos.stock import upsert_warehouse
from channelhub.store.tables.stock import WarehouseRow

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def test_one_statement_reads_the_rows_of_in_for_any_values(session: Session) -> None:
    long = "L" * 64  # the column's length
    ids = {
        code: upsert_warehouse(session, Warehouse(code=code, country="US"), now=NOW)
        for code in ("A", "B", "C", "D", long)
    }
    dialect = dialect_of(session)
    by_code = select(WarehouseRow.code).where(listed(WarehouseRow.code, "codes", dialect))
    by_id = select(WarehouseRow.code).where(listed(WarehouseRow.id, "ids", dialect))

    def codes(values: list[str]) -> list[str]:
        return sorted(session.scalars(by_code, {"codes": values}))

    assert codes(["B", "D", "Z"]) == ["B", "D"]
    assert codes(["A"]) == ["A"]
    assert codes([]) == []
    assert codes([long + "X"]) == []  # longer than the column: never cut down to a match
    assert sorted(session.scalars(by_id, {"ids": [ids["C"], ids[long]]})) == ["C", long]
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
    assert (texts[0] == texts[1]) is (dialect == "postgresql")
