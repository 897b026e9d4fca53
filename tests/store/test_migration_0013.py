"""Migration 0013 fills orders.buyer_name from each stored order's document (the buyer's
name, else the ship-to name), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import column, insert, table, text

from channelhub.store.db import make_engine, upgrade
from channelhub.store.types import JsonDocument, UTCDateTime

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def test_0013_fills_buyer_name_from_the_documents(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine, "0010")
        documents = {
            "1": {"buyer": {"name": "Ann Lee"}, "ship_to": {"name": "Ann at work"}},
            "2": {"buyer": None, "ship_to": {"name": "Ben Ortiz"}},
            "3": {},
        }
        orders = table(
            "orders",
            *(column(name) for name in ("channel", "account", "external_id", "channel_status")),
            *(column(name) for name in ("channel_state", "hub_status", "fulfilled_by")),
            *(column(name, UTCDateTime()) for name in ("placed_at", "remote_updated_at")),
            *(column(name, UTCDateTime()) for name in ("created_at", "updated_at")),
            column("currency"),
            column("total_amount"),
            column("document", JsonDocument()),
        )
        with engine.begin() as connection:
            connection.execute(
                insert(orders),
                [
                    {
                        "channel": "shopify",
                        "account": "shop1",
                        "external_id": external_id,
                        "channel_status": "paid",
                        "channel_state": "unshipped",
                        "hub_status": "new",
                        "fulfilled_by": "merchant",
                        "placed_at": NOW,
                        "remote_updated_at": NOW,
                        "created_at": NOW,
                        "updated_at": NOW,
                        "currency": "USD",
                        "total_amount": 10,
                        "document": document,
                    }
                    for external_id, document in documents.items()
                ],
            )
        upgrade(engine)
        with engine.connect() as connection:
            names = dict(
                connection.execute(text("SELECT external_id, buyer_name FROM orders")).all()
            )
        assert names == {"1": "Ann Lee", "2": "Ben Ortiz", "3": None}
    finally:
        engine.dispose()
