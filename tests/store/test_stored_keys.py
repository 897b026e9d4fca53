"""stored_keys looks the page's keys up by their external ids alone, then matches the rows to
the keys: an order of the same external id under another account or channel is not one of
them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from channelhub.core.order import Order
from channelhub.store.repos.orders_bulk import stored_keys, upsert_orders
from tests.store.one_line_orders import one_line_order

AT = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)


def _order(channel: str, account: str, external_id: str) -> Order:
    return one_line_order(channel, account, external_id, at=AT)


def test_only_the_keys_stored_are_found_whatever_else_shares_their_ids(session: Session) -> None:
    stored = [("shopify", "s1", "1"), ("shopify", "s2", "2"), ("amazon", "s1", "3")]
    upsert_orders(session, [_order(*key) for key in stored], now=AT)
    asked = [
        ("shopify", "s1", "1"),  # stored
        ("shopify", "s2", "1"),  # its id stored under another account
        ("amazon", "s2", "2"),  # under another channel and account
        ("shopify", "s1", "3"),  # under another channel
        ("shopify", "s1", "9"),  # not at all
        ("amazon", "s1", "3"),  # stored
    ]
    assert stored_keys(session, asked) == {("shopify", "s1", "1"), ("amazon", "s1", "3")}
    assert stored_keys(session, asked[1:5]) == set()
    assert stored_keys(session, []) == set()
