"""A savepoint stays inside its transaction on both databases, even when it is the first
thing the transaction sends (Python's sqlite3 would otherwise open the transaction with it,
and releasing it would commit everything: ``channelhub.store.db._sqlite_outer_first``)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, func, select

from channelhub.core.models import Warehouse
from channelhub.store.db import make_session_factory
from channelhub.store.repos.stock import upsert_warehouse
from channelhub.store.tables.stock import WarehouseRow

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _warehouses(engine: Engine) -> list[str]:
    with make_session_factory(engine)() as s:
        return list(s.scalars(select(WarehouseRow.code).order_by(WarehouseRow.code)))


def test_a_savepoint_sent_first_is_undone_by_the_outer_rollback(engine: Engine) -> None:
    with make_session_factory(engine)() as s:
        s.begin()
        with s.begin_nested():  # released: its writes still belong to the transaction
            upsert_warehouse(s, Warehouse(code="FIRST", country="US"), now=NOW)
        s.rollback()  # as a page whose lease was lost
    assert _warehouses(engine) == []


def test_a_savepoint_sent_first_commits_with_its_transaction(engine: Engine) -> None:
    with make_session_factory(engine)() as s, s.begin():
        with s.begin_nested():
            upsert_warehouse(s, Warehouse(code="FIRST", country="US"), now=NOW)
        upsert_warehouse(s, Warehouse(code="SECOND", country="US"), now=NOW)
        assert s.scalar(select(func.count()).select_from(WarehouseRow)) == 2
    assert _warehouses(engine) == ["FIRST", "SECOND"]
