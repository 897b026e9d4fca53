"""pipeline_writes.move: the lifecycle's answer for one move is asked once per chunk, but an
order whose move it refuses (a channel-fulfilled order, another starting status) is still
refused, by its own name, after others made the same move. write: the guarded status moves
(one statement for all the chunk's pairs of statuses) move exactly the orders named, and
refuse when one of them left its status."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from channelhub.core.errors import IllegalTransition
from channelhub.core.flow import OrderPlan
from channelhub.core.lifecycle import HubStatus
from channelhub.jobs.orders.pipeline_writes import (
    Chunk,
    StatusMoved,
    _dispatch_detail,
    move,
    write,
)
from channelhub.store.json_text import JsonText, plain_json_text
from channelhub.store.repos.orders_bulk import upsert_orders
from channelhub.store.tables.orders import OrderRow
from tests.core.orderflow_data import order

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PLAN = OrderPlan(status=HubStatus.ALLOCATED, reason="part 1 US-EAST: in stock", lines=())


def test_the_same_move_twice_writes_the_same_rows_for_each_order() -> None:
    chunk = Chunk()
    for order_id in (1, 2):
        move(order_id, f"order {order_id}", False, HubStatus.NEW, PLAN, chunk, NOW)
    steps = [("new", "approved"), ("approved", "allocated")]
    assert chunk.transitions == [
        {"order_id": order_id, "from_status": a, "to_status": b, "reason": PLAN.reason}
        | {"actor": "hub", "at": NOW}
        for order_id in (1, 2)
        for a, b in steps
    ]
    assert chunk.moves == {(HubStatus.NEW, HubStatus.ALLOCATED): [1, 2]}


@pytest.mark.parametrize(
    ("current", "channel_fulfilled"),
    [(HubStatus.NEW, True), (HubStatus.DISPATCHED, False)],
)
def test_a_refused_move_is_refused_after_an_allowed_one(
    current: HubStatus, channel_fulfilled: bool
) -> None:
    chunk = Chunk()
    move(1, "order 1", False, HubStatus.NEW, PLAN, chunk, NOW)
    with pytest.raises(IllegalTransition, match=r"^order 2: "):
        move(2, "order 2", channel_fulfilled, current, PLAN, chunk, NOW)


def _orders(session: Session, count: int) -> list[int]:
    orders = [order(external_id=str(n)) for n in range(count)]
    return [u.id for u in upsert_orders(session, orders, now=NOW)]


def _statuses(session: Session) -> dict[int, tuple[str, datetime]]:
    rows = session.execute(select(OrderRow.id, OrderRow.hub_status, OrderRow.updated_at))
    return {order_id: (status, at) for order_id, status, at in rows}


def test_the_status_moves_move_exactly_the_orders_named(session: Session) -> None:
    a, b, c, d = _orders(session, 4)
    later = NOW + timedelta(minutes=1)
    chunk = Chunk()
    chunk.moves[(HubStatus.NEW, HubStatus.APPROVED)] = [a, c]
    chunk.moves[(HubStatus.NEW, HubStatus.ON_HOLD)] = [b]
    write(session, chunk, later)
    assert _statuses(session) == {
        a: ("approved", later), b: ("on_hold", later), c: ("approved", later), d: ("new", NOW)
    }  # fmt: skip


def test_an_order_that_left_its_status_refuses_the_move(session: Session) -> None:
    a, b = _orders(session, 2)
    first = Chunk()
    first.moves[(HubStatus.NEW, HubStatus.APPROVED)] = [b]
    write(session, first, NOW)
    chunk = Chunk()
    chunk.moves[(HubStatus.NEW, HubStatus.APPROVED)] = [a, b]
    with pytest.raises(StatusMoved, match=r"left 'new'"):
        write(session, chunk, NOW)


def test_one_order_that_left_its_status_refuses_the_moves_of_every_pair(session: Session) -> None:
    a, b, c = _orders(session, 3)
    first = Chunk()
    first.moves[(HubStatus.NEW, HubStatus.ON_HOLD)] = [c]
    write(session, first, NOW)
    chunk = Chunk()
    chunk.moves[(HubStatus.NEW, HubStatus.APPROVED)] = [a, b]
    chunk.moves[(HubStatus.NEW, HubStatus.ALLOCATED)] = [c]  # c is on hold now
    with pytest.raises(StatusMoved, match=re.escape(f"left 'new' while locked: {[a, b, c]}")):
        write(session, chunk, NOW)


@pytest.mark.parametrize("key", ["shopify:s:1#p1r1", 'ü "q" \\ \u2028 \udc80#p2r3'])
def test_a_dispatch_detail_written_as_text_is_the_document(key: str) -> None:
    """The dispatch decision's detail, its expansion's text cached per chunk, is the JSON
    value of the document it stood for (any key, even one UTF-8 cannot encode: escaped as
    ``json.dumps`` escapes it); an expansion pydantic could not write stays a document."""
    expansion: list[dict[str, object]] = [
        {"order_line_id": "1", "sku": "MUG", "quantity": 2, "bound_sku": "SET", "via": ["SET"],
         "ordered_quantity": None},
    ]  # fmt: skip
    written = plain_json_text(expansion)
    assert written is not None
    detail = _dispatch_detail(key, written)
    assert isinstance(detail, JsonText)
    assert json.loads(detail.text) == {"idempotency_key": key, "expansion": expansion}
    detail.text.encode("utf-8")  # sendable as it is
    assert _dispatch_detail(key, expansion) == {"idempotency_key": key, "expansion": expansion}
