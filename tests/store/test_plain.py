"""plain: a statement of mapped columns run on the session's connection returns the rows
``Session.execute`` returns (same values, same keys), pending ORM objects flushed first as the
session's autoflush would, and none under ``no_autoflush``."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from channelhub.store.plain import plain
from channelhub.store.tables.stock import WarehouseRow

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
QUERY = select(WarehouseRow.id, WarehouseRow.code, WarehouseRow.country, WarehouseRow.created_at)


def _warehouse(code: str) -> WarehouseRow:
    return WarehouseRow(code=code, country="US", created_at=AT, updated_at=AT)


def test_plain_reads_what_the_session_reads_pending_objects_flushed(session: Session) -> None:
    session.add(_warehouse("A"))
    session.commit()
    session.add(_warehouse("B"))  # pending: the ORM would flush it before its read
    rows = plain(session).execute(QUERY.order_by(WarehouseRow.code)).all()
    assert not session.new
    expected = session.execute(QUERY.order_by(WarehouseRow.code)).all()
    assert rows == expected
    assert [r.code for r in rows] == ["A", "B"]
    assert rows[0]._fields == expected[0]._fields
    assert rows[0].created_at == AT  # the column types' result processing, as the ORM's


def test_plain_leaves_pending_objects_under_no_autoflush(session: Session) -> None:
    session.add(_warehouse("C"))
    with session.no_autoflush:
        rows = plain(session).execute(QUERY).all()
        assert rows == session.execute(QUERY).all() == []
    assert session.new
