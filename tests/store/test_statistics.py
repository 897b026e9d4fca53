"""Planner statistics on PostgreSQL: a table that grew well past what the planner knows is
analyzed at the end of the write that grew it, once (a growing table: only the columns its
plans are chosen by, and its lookups by order id are then indexed); a small change is not;
the catalog is read only when the rows a connection wrote could pass the rule; SQLite is
left alone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import pytest
from sqlalchemy import Engine, Table, event, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from channelhub.core.order import Order
from channelhub.store.bulk import insert_rows
from channelhub.store.repos.orders_bulk import upsert_orders
from channelhub.store.statistics import FLOOR, planned_columns, refresh_growth, refresh_statistics
from channelhub.store.tables.orderflow import OrderDecisionRow
from channelhub.store.tables.orders import OrderRow
from channelhub.store.tables.outbox import OutboxMessage
from tests.store.one_line_orders import one_line_order

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _orders(first: int, count: int) -> list[Order]:
    return [one_line_order("shopify", "s", f"S{n}", at=NOW) for n in range(first, first + count)]


def _flush_counters(engine: Engine) -> None:
    """Make this backend's pending table counters visible to the next transaction
    (PostgreSQL reports them when the session goes idle, at most once a second)."""
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_stat_force_next_flush()"))
        connection.commit()
        connection.execute(text("SELECT 1"))  # idle in between: the flush happened
        connection.commit()


def _planner_rows(session: Session, table: str) -> float:
    return float(
        session.scalar(text("SELECT reltuples FROM pg_class WHERE relname = :t"), {"t": table})
    )


@pytest.mark.postgres
def test_a_table_grown_past_the_planners_view_is_analyzed_once(
    _migrated_postgres_url: str,
) -> None:
    from channelhub.store.db import make_engine

    engine = make_engine(_migrated_postgres_url)
    try:
        with Session(engine) as s, s.begin():
            s.execute(text("TRUNCATE orders, order_lines RESTART IDENTITY CASCADE"))
            s.execute(text("ANALYZE orders, order_lines"))
        grown = FLOOR + 200
        with Session(engine) as s, s.begin():
            upsert_orders(s, _orders(0, grown), now=NOW)
        _flush_counters(engine)
        with Session(engine) as s, s.begin():
            assert _planner_rows(s, "orders") < 1  # what the planner believes: empty
            assert refresh_statistics(s, ["orders", "order_lines"]) == ["order_lines", "orders"]
            assert _planner_rows(s, "orders") == grown
        _flush_counters(engine)
        with Session(engine) as s, s.begin():  # analyzed: nothing is stale any more
            assert refresh_statistics(s, ["orders", "order_lines"]) == []
        with Session(engine) as s, s.begin():  # less than double is not yet enough
            upsert_orders(s, _orders(grown, 100), now=NOW)
        _flush_counters(engine)
        with Session(engine) as s, s.begin():
            assert refresh_statistics(s, ["orders"]) == []
            assert _planner_rows(s, "orders") == grown
    finally:
        engine.dispose()


def test_sqlite_needs_no_statistics(session: Session) -> None:
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("the SQLite case")
    assert refresh_statistics(session, ["orders"]) == []


def _decisions(session: Session, count: int) -> None:
    """``count`` decisions spread over the stored orders, four an order (as the pipeline's)."""
    ids = list(session.scalars(text("SELECT id FROM orders ORDER BY id")))
    rows = [
        {"order_id": ids[n // 4 % len(ids)], "kind": "note", "reason": f"r{n}", "detail": {}}
        | {"actor": "hub", "at": NOW}
        for n in range(count)
    ]
    insert_rows(session, cast(Table, OrderDecisionRow.__table__), rows)


def _analyzed_columns(session: Session, table: str) -> set[str]:
    return set(
        session.scalars(
            text("SELECT attname FROM pg_stats WHERE tablename = :t AND schemaname = 'migrated'"),
            {"t": table},
        )
    )


@pytest.mark.postgres
def test_a_grown_table_has_its_planned_columns_analyzed_once_and_its_lookups_indexed(
    _migrated_postgres_url: str,
) -> None:
    from channelhub.store.db import make_engine

    decisions = cast(Table, OrderDecisionRow.__table__)
    engine = make_engine(_migrated_postgres_url)
    try:
        with Session(engine) as s, s.begin():
            s.execute(text("TRUNCATE orders, order_lines RESTART IDENTITY CASCADE"))
            s.execute(text("ANALYZE orders, order_decisions"))
            upsert_orders(s, _orders(0, 2 * FLOOR), now=NOW)
        grown = 4 * FLOOR
        with Session(engine) as s, s.begin():
            _decisions(s, grown)
        _flush_counters(engine)
        with Session(engine) as s, s.begin():
            assert _planner_rows(s, "order_decisions") < 1  # what the planner believes: empty
            assert refresh_growth(s, [decisions]) == ["order_decisions"]
            assert _planner_rows(s, "order_decisions") == grown
            # the columns its plans are chosen by, not its text (the rest: autovacuum's)
            assert _analyzed_columns(s, "order_decisions") == {"order_id"}
            ids = list(s.scalars(text("SELECT id FROM orders ORDER BY id DESC LIMIT 100")))
            plan = "\n".join(
                s.scalars(
                    text("EXPLAIN SELECT * FROM order_decisions WHERE order_id = ANY(:ids)"),
                    {"ids": ids},
                )
            )
            assert "order_decisions_order_id" in plan and "Seq Scan" not in plan, plan
        _flush_counters(engine)
        with Session(engine) as s, s.begin():  # analyzed: it has not grown since
            assert refresh_growth(s, [decisions]) == []
        with Session(engine) as s, s.begin():  # less than double is not yet enough
            _decisions(s, grown // 2)
        _flush_counters(engine)
        with Session(engine) as s, s.begin():
            assert refresh_growth(s, [decisions]) == []
            assert _planner_rows(s, "order_decisions") == grown
    finally:
        engine.dispose()


def test_the_planned_columns_are_those_of_indexes_and_foreign_keys_less_unique_keys() -> None:
    assert planned_columns(cast(Table, OrderDecisionRow.__table__)) == ("order_id",)
    assert planned_columns(cast(Table, OutboxMessage.__table__)) == ("state", "next_attempt_at")
    orders = planned_columns(cast(Table, OrderRow.__table__))
    assert {"channel", "account", "external_id", "hub_status"} <= set(orders)
    assert "id" not in orders and "document" not in orders


def test_sqlite_needs_no_growth_statistics(session: Session) -> None:
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("the SQLite case")
    assert refresh_growth(session, [cast(Table, OrderDecisionRow.__table__)]) == []


def _catalog_reads(engine: Engine) -> list[str]:
    """The statements that read the rules' counts from the catalog, as they are sent."""
    reads: list[str] = []

    def sent(_c: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "FROM pg_class" in statement:
            reads.append(statement)

    event.listen(engine, "before_cursor_execute", sent)
    return reads


@pytest.mark.postgres
def test_the_catalog_is_read_only_when_the_rows_written_could_pass_the_rule(
    _migrated_postgres_url: str,
) -> None:
    from channelhub.store.db import make_engine

    engine = make_engine(_migrated_postgres_url, poolclass=StaticPool)  # one connection
    tables = ["orders", "order_lines"]
    try:
        with Session(engine) as s, s.begin():
            s.execute(text("TRUNCATE orders, order_lines RESTART IDENTITY CASCADE"))
            s.execute(text("ANALYZE orders, order_lines"))
        reads = _catalog_reads(engine)
        grown = FLOOR + 200
        with Session(engine) as s, s.begin():  # nothing known of the tables yet: read
            upsert_orders(s, _orders(0, grown), now=NOW)
        assert len(reads) == 1
        _flush_counters(engine)
        with Session(engine) as s, s.begin():  # those rows were past the rule: read again
            assert refresh_statistics(s, tables, written={}) == ["order_lines", "orders"]
        assert len(reads) == 2
        with Session(engine) as s, s.begin():  # analyzed: FLOOR rows to go before a read
            upsert_orders(s, _orders(grown, 100), now=NOW)
            assert refresh_statistics(s, tables, written={"orders": FLOOR - 101}) == []
            assert len(reads) == 2
            assert refresh_statistics(s, tables, written={"orders": 2}) == []  # past: read
            assert len(reads) == 3
            # still far from the rule (2,200 rows), but read again within FLOOR rows: others'
            # writes are not counted here
            assert refresh_statistics(s, tables, written={"order_lines": FLOOR}) == []
            assert len(reads) == 3
            assert refresh_statistics(s, tables, written={"order_lines": 1}) == []
            assert len(reads) == 4
            assert refresh_statistics(s, tables) == []  # nothing written said: read
            assert len(reads) == 5
            assert _planner_rows(s, "orders") == grown
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_a_grown_table_is_read_again_only_when_the_rows_appended_could_pass_the_rule(
    _migrated_postgres_url: str,
) -> None:
    from channelhub.store.db import make_engine

    decisions = cast(Table, OrderDecisionRow.__table__)
    engine = make_engine(_migrated_postgres_url, poolclass=StaticPool)
    try:
        with Session(engine) as s, s.begin():
            s.execute(text("TRUNCATE orders, order_lines RESTART IDENTITY CASCADE"))
            s.execute(text("ANALYZE orders, order_decisions"))
            upsert_orders(s, _orders(0, FLOOR), now=NOW)
        reads = _catalog_reads(engine)
        grown = 2 * FLOOR
        with Session(engine) as s, s.begin():
            _decisions(s, grown)
            assert refresh_growth(s, [decisions], written={"order_decisions": grown}) == []
        assert len(reads) == 1  # not counted yet (this transaction's), but past the rule
        _flush_counters(engine)
        with Session(engine) as s, s.begin():
            assert refresh_growth(s, [decisions], written={}) == ["order_decisions"]
            assert len(reads) == 2
            assert refresh_growth(s, [decisions], written={"order_decisions": 10}) == []
            assert len(reads) == 2
            assert _planner_rows(s, "order_decisions") == grown
    finally:
        engine.dispose()


def test_sqlite_needs_no_statistics_whatever_was_written(session: Session) -> None:
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("the SQLite case")
    assert refresh_statistics(session, ["orders"], written={"orders": 10 * FLOOR}) == []
    decisions = cast(Table, OrderDecisionRow.__table__)
    assert refresh_growth(session, [decisions], written={"order_decisions": 10 * FLOOR}) == []
