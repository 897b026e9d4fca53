"""A page of new orders is planned in its own transaction (SQLite and PostgreSQL); a page the
planning cannot take whole lands unplanned, and the after-page hook plans it as before."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from channelhub.connectors.results import PageOf
from channelhub.core.errors import InvalidInput
from channelhub.core.models import HubStatus, MovementKind, Order, StockMovement, Warehouse
from channelhub.jobs.orders import page_planning, pipeline_writes
from channelhub.jobs.orders.intake import intake_orders
from channelhub.jobs.orders.page_planning import PagePlanning
from channelhub.jobs.orders.pipeline_intake import process_orders
from channelhub.jobs.orders.planner import Planner
from channelhub.jobs.orders.pulls import store_order_page
from channelhub.store.db import make_session_factory
from channelhub.store.repos.orders_bulk import AlreadyStored, insert_new_orders
from channelhub.store.repos.stock import record_movement, upsert_warehouse
from channelhub.store.tables.orders import OrderRow
from channelhub.store.tables.outbox import OutboxMessage
from tests.core.orderflow_data import NOW, order
from tests.jobs.test_pipeline import SETTINGS, seed, status


def _page(*orders: Order) -> PageOf[Order]:
    return PageOf(items=orders, raw=(), cursor=None, done=True)


def _store(factory: Any, page: PageOf[Order], planning: PagePlanning) -> None:
    """What ``pull_orders`` commits for a page: the orders, and with them their plans."""
    with factory() as s, s.begin():
        store_order_page(
            s,
            page,
            platform="shopify",
            account="shop1",
            job_kind="pull_orders",
            now=NOW,
            planning=planning,
        )


def _queued(s: Session) -> int:
    return int(s.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


def test_a_page_of_new_orders_commits_planned(engine: Engine) -> None:
    factory = make_session_factory(engine)
    with factory() as s:
        seed(s, E_MUG=10)
    planning = PagePlanning(SETTINGS)
    page = _page(order(external_id="1"), order(external_id="2"))
    _store(factory, page, planning)
    assert planning.planned == {o.key for o in page.items}
    with factory() as s:
        assert [status(s, o) for o in page.items] == [HubStatus.ALLOCATED] * 2
        assert _queued(s) == 2  # one warehouse order each, committed with the page


def test_a_warehouse_registered_during_an_import_counts_from_the_next_page(
    engine: Engine,
) -> None:
    """The run's planner is moved on from page to page, its warehouse facts read again for
    each: a warehouse registered (and stocked) after the first page ships the second."""
    factory = make_session_factory(engine)
    with factory() as s:
        seed(s, E_MUG=1)
    planning = PagePlanning(SETTINGS)
    _store(factory, _page(order(external_id="1")), planning)
    kept = planning.planner
    with factory() as s:  # E is empty now: only a new warehouse can ship the next order
        upsert_warehouse(s, Warehouse(code="X", country="US"), now=NOW)
        receive = StockMovement(
            warehouse="X", sku="MUG", kind=MovementKind.RECEIVE, quantity=1, reason="in", at=NOW
        )
        record_movement(s, receive, now=NOW)
        s.commit()
    page = _page(order(external_id="2"))
    _store(factory, page, planning)
    assert planning.planned == {page.items[0].key}
    assert planning.planner is not None and kept is not None
    assert planning.planner.outcomes is kept.outcomes  # the memos carried over
    with factory() as s:
        assert status(s, page.items[0]) is HubStatus.ALLOCATED
        targets = s.scalars(select(OutboxMessage.target).order_by(OutboxMessage.id)).all()
    assert targets == ["warehouse:E", "warehouse:X"]


def test_a_page_holding_an_update_is_left_whole_to_the_hook(engine: Engine) -> None:
    factory = make_session_factory(engine)
    with factory() as s:
        seed(s, E_MUG=10)
    planning = PagePlanning(SETTINGS)
    _store(factory, _page(order(external_id="1")), planning)
    again = _page(order(external_id="2"), order(external_id="1", remarks="gift wrap"))
    _store(factory, again, planning)
    assert planning.planned == set()  # the new order "2" waits too: pages plan in order
    with factory() as s:
        assert status(s, again.items[0]) is HubStatus.NEW
    process_orders(factory, [o.key for o in again.items], settings=SETTINGS, now=NOW)
    with factory() as s:
        assert status(s, again.items[0]) is HubStatus.ALLOCATED


def test_an_order_planning_refuses_leaves_the_page_unplanned(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Planning sends one order down the one-by-one path: nothing of the page is planned
    with it (rolled back to the savepoint), the orders are stored, and the hook plans them."""
    factory = make_session_factory(engine)
    with factory() as s:
        seed(s, E_MUG=10)
    until_stock = Planner.until_stock

    def refusing(self: Planner, o: Order, *args: Any, **kwargs: Any) -> Any:
        if o.external_id == "2":
            raise InvalidInput.field("line", "1", "is refused for this test")
        return until_stock(self, o, *args, **kwargs)

    monkeypatch.setattr(Planner, "until_stock", refusing)
    planning = PagePlanning(SETTINGS)
    page = _page(order(external_id="1"), order(external_id="2"))
    _store(factory, page, planning)
    assert planning.planned == set()
    with factory() as s:
        assert [status(s, o) for o in page.items] == [HubStatus.NEW] * 2
        assert _queued(s) == 0
    counts = process_orders(factory, [o.key for o in page.items], settings=SETTINGS, now=NOW)
    assert [key for key, _ in counts.failed] == [str(page.items[1].key)]
    with factory() as s:
        assert status(s, page.items[0]) is HubStatus.ALLOCATED


def test_a_database_refusal_rolls_planning_back_and_the_page_still_lands(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    factory = make_session_factory(engine)
    with factory() as s:
        seed(s, E_MUG=10)

    def refused(*_: Any, **__: Any) -> None:
        raise IntegrityError("INSERT INTO order_transitions ...", {}, Exception("refused"))

    monkeypatch.setattr(pipeline_writes, "stock_rollup_add", refused)
    planning = PagePlanning(SETTINGS)
    page = _page(order(external_id="1"), order(external_id="2"))
    with caplog.at_level(logging.WARNING, logger="channelhub.jobs.orders.page_planning"):
        _store(factory, page, planning)
    assert planning.planned == set()
    assert "planning 2 new order(s) (1 .. 2) with their page was refused" in caplog.text
    with factory() as s:
        assert [status(s, o) for o in page.items] == [HubStatus.NEW] * 2
        assert _queued(s) == 0  # the outbox rows written before the refusal rolled back
    monkeypatch.undo()
    process_orders(factory, [o.key for o in page.items], settings=SETTINGS, now=NOW)
    with factory() as s:
        assert [status(s, o) for o in page.items] == [HubStatus.ALLOCATED] * 2


def test_an_order_stored_meanwhile_is_never_taken_for_new(engine: Engine) -> None:
    """``insert_new_orders`` reads no stored versions: an order another writer stored between
    the page's check and its insert is refused (``AlreadyStored``), never updated or taken
    for new, and the caller's rollback leaves the stored row as it was."""
    factory = make_session_factory(engine)
    with factory() as s:
        seed(s, E_MUG=10)
    stored = order(external_id="1")
    with factory() as s, s.begin():
        intake_orders(s, [stored], now=NOW)
    newer = order(external_id="1", updated_at=NOW + timedelta(hours=1), remarks="gift")
    statuses = [HubStatus.ALLOCATED, HubStatus.ALLOCATED]
    pair = [newer, order(external_id="2")]
    refused = pytest.raises(AlreadyStored, match="1 of 2")
    with factory() as s, s.begin(), refused, s.begin_nested():
        insert_new_orders(s, pair, statuses, now=NOW, raw_payload_ids=[None, None])
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(OrderRow)) == 1
        row = s.scalars(select(OrderRow)).one()
        assert row.hub_status == HubStatus.NEW.value and "gift" not in str(row.document)


def test_a_page_stored_meanwhile_lands_unplanned(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page's check missed an order another writer stored (its lookup patched to see
    nothing): planning the page rolls back, and the page is taken in as any page, the stored
    order updated by the newer version and the new one inserted, both then planned."""
    factory = make_session_factory(engine)
    with factory() as s:
        seed(s, E_MUG=10)
    with factory() as s, s.begin():
        intake_orders(s, [order(external_id="1")], now=NOW)
    monkeypatch.setattr(page_planning, "stored_keys", lambda *_: set())
    newer = order(external_id="1", updated_at=NOW + timedelta(hours=1), remarks="gift")
    page = _page(newer, order(external_id="2"))
    planning = PagePlanning(SETTINGS)
    _store(factory, page, planning)
    assert planning.planned == set()
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(OrderRow)) == 2
        assert [status(s, o) for o in page.items] == [HubStatus.NEW] * 2
        assert "gift" in str(s.scalars(select(OrderRow.document).filter_by(external_id="1")).one())
    process_orders(factory, [o.key for o in page.items], settings=SETTINGS, now=NOW)
    with factory() as s:
        assert [status(s, o) for o in page.items] == [HubStatus.ALLOCATED] * 2
