"""Raw payload archive (replay stores once) and sync cursors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from channelhub.store.repos.cursors import get_cursor, set_cursor
from channelhub.store.repos.payloads import find_raw_payloads, get_raw_payload, store_raw_payload
from channelhub.store.tables.sync import RawPayload

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
BODY = b'{"id": 4503599627370497, "updated_at": "2026-03-01T11:00:00Z"}'


def _store(session: Session, body: bytes = BODY, when: datetime = NOW) -> tuple[int, bool]:
    return store_raw_payload(
        session,
        platform="shopify",
        account="shop-eu",
        kind="order",
        external_id="4503599627370497",
        body=body,
        received_at=when,
    )


def test_replay_stores_once(session: Session) -> None:
    first = _store(session)
    again = _store(session, when=NOW + timedelta(minutes=5))
    session.commit()
    assert first.is_new is True
    assert again == (first.id, False)
    assert session.scalar(select(func.count()).select_from(RawPayload)) == 1
    stored = get_raw_payload(session, first.id)
    assert stored is not None and stored.body == BODY and stored.received_at == NOW


def test_changed_body_is_a_new_version(session: Session) -> None:
    _store(session)
    _store(session, BODY.replace(b"11:00", b"11:30"), NOW + timedelta(hours=1))
    versions = find_raw_payloads(
        session, platform="shopify", account="shop-eu", kind="order", external_id="4503599627370497"
    )
    assert [v.received_at for v in versions] == [NOW, NOW + timedelta(hours=1)]


def test_same_body_other_account_is_kept(session: Session) -> None:
    _store(session)
    other = store_raw_payload(
        session, platform="shopify", account="shop-us", kind="order", body=BODY, received_at=NOW
    )
    assert other.is_new


def test_cursor_round_trip(session: Session) -> None:
    assert get_cursor(session, "shop-eu", "pull_orders") is None
    set_cursor(session, "shop-eu", "pull_orders", {"since": "2026-03-01T00:00:00Z"}, now=NOW)
    set_cursor(session, "shop-eu", "pull_orders", {"since": "2026-03-01T06:00:00Z"}, now=NOW)
    session.commit()
    assert get_cursor(session, "shop-eu", "pull_orders") == {"since": "2026-03-01T06:00:00Z"}
    assert get_cursor(session, "shop-eu", "pull_listings") is None


def test_cursor_rolls_back_with_the_data(session: Session) -> None:
    set_cursor(session, "shop-eu", "pull_orders", {"page": 1}, now=NOW)
    session.commit()
    _store(session)
    set_cursor(session, "shop-eu", "pull_orders", {"page": 2}, now=NOW)
    session.rollback()
    assert get_cursor(session, "shop-eu", "pull_orders") == {"page": 1}
    assert session.scalar(select(func.count()).select_from(RawPayload)) == 0
