"""mark_dirty: every SKU marked for every served account in one call; a second mark keeps
the burst's start and moves its last change; no account served, no row (but still noted);
the ledger's running sums mark their SKUs the same way when asked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from channelhub.store.repos.rollups import stock_rollup_add
from channelhub.store.repos.stock_sync import mark_dirty, marked_in_transaction, record_sweep
from channelhub.store.tables.rollups import StockPositionRow
from channelhub.store.tables.stock_sync import StockDirtyRow

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _marks(session: Session) -> set[tuple[str, str, str, datetime, datetime]]:
    d = StockDirtyRow
    rows = session.execute(select(d.channel, d.account, d.sku, d.first_changed_at, d.changed_at))
    return {tuple(r) for r in rows}  # type: ignore[misc]


def test_no_served_account_marks_nothing_but_notes_the_skus(session: Session) -> None:
    mark_dirty(session, ["MUG", "LID"], now=T0)
    assert _marks(session) == set()
    assert marked_in_transaction(session) == {"MUG", "LID"}


def test_every_sku_is_marked_for_every_served_account(session: Session) -> None:
    for channel, account in (("shopify", "shop1"), ("amazon", "us1")):
        record_sweep(session, channel=channel, account=account, now=T0)
    mark_dirty(session, ["MUG", "LID", "MUG"], now=T0)
    later = T0 + timedelta(minutes=5)
    mark_dirty(session, ["LID", 'TASSE-É "2"'], now=later)
    accounts = (("amazon", "us1"), ("shopify", "shop1"))
    assert _marks(session) == {
        *((c, a, "MUG", T0, T0) for c, a in accounts),
        *((c, a, "LID", T0, later) for c, a in accounts),  # the burst's start is kept
        *((c, a, 'TASSE-É "2"', later, later) for c, a in accounts),
    }
    assert marked_in_transaction(session) == {"MUG", "LID", 'TASSE-É "2"'}


def _moved(sku: str, kind: str, quantity: int, at: datetime) -> dict[str, object]:
    return {"warehouse": "US-EAST", "sku": sku, "kind": kind, "quantity": quantity, "at": at}


def test_the_ledgers_running_sums_mark_their_skus_as_mark_dirty_does(session: Session) -> None:
    """``stock_rollup_add(.., dirty_at=)``: the marks and notes of ``mark_dirty`` (one
    statement with the sums on PostgreSQL), and the same sums as without them."""
    for channel, account in (("shopify", "shop1"), ("amazon", "us1")):
        record_sweep(session, channel=channel, account=account, now=T0)
    later = T0 + timedelta(minutes=5)
    stock_rollup_add(session, [_moved("MUG", "receive", 5, T0), _moved("LID", "receive", 3, T0)])
    assert _marks(session) == set() and marked_in_transaction(session) == set()
    stock_rollup_add(session, [_moved("MUG", "reserve", 2, T0)] * 2, dirty_at=T0)
    stock_rollup_add(
        session,
        [_moved('TASSE-É "2"', "receive", 1, later), _moved("MUG", "consume", 1, later)],
        dirty_at=later,
    )
    accounts = (("amazon", "us1"), ("shopify", "shop1"))
    assert _marks(session) == {
        *((c, a, "MUG", T0, later) for c, a in accounts),
        *((c, a, 'TASSE-É "2"', later, later) for c, a in accounts),
    }
    assert marked_in_transaction(session) == {"MUG", 'TASSE-É "2"'}
    p = StockPositionRow
    sums = session.execute(select(p.sku, p.on_hand, p.reserved, p.shipped, p.received, p.moves))
    assert sorted(tuple(row) for row in sums) == [
        ("LID", 3, 0, 0, 3, 1),
        ("MUG", 4, 3, 1, 5, 4),
        ('TASSE-É "2"', 1, 0, 0, 1, 1),
    ]
