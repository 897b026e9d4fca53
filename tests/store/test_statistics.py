"""Planner statistics on PostgreSQL: a table that grew well past what the planner knows is
analyzed at the end of the write that grew it, once; a small change is not; SQLite is left
alone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from channelhub.core.order import Order
from channelhub.store.repos.orders_bulk import upsert_orders
from channelhub.store.statistics import FLOOR, refresh_statistics

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _orders(first: int, count: int) -> list[Order]:
    return [
        Order.model_validate(
            {
                "channel": "shopify",
                "account": "s",
                "external_id": f"S{n}",
                "channel_status": "paid",
                "placed_at": NOW,
                "updated_at": NOW,
                "totals": {"total": {"amount": "1.00", "currency": "USD"}},
                "lines": [{"line_id": "1", "channel_sku": "MUG", "quantity": 1}],
            },
            strict=False,
        )
        for n in range(first, first + count)
    ]


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
