"""pipeline_writes.move: the lifecycle's answer for one move is asked once per chunk, but an
order whose move it refuses (a channel-fulfilled order, another starting status) is still
refused, by its own name, after others made the same move."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from channelhub.core.errors import IllegalTransition
from channelhub.core.flow import OrderPlan
from channelhub.core.lifecycle import HubStatus
from channelhub.jobs.orders.pipeline_writes import Chunk, move

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
