"""Intercept after dispatch: stopped in time releases and moves the order; too late keeps it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from channelhub.connectors.errors import BadRequest, ConnectFailure, ServerError
from channelhub.connectors.roles import Capability
from channelhub.core.errors import ChannelhubError, InvalidInput
from channelhub.core.models import HubStatus, OrderKey, OutboundState
from channelhub.jobs.fulfilment.dispatch import dispatch_outbox
from channelhub.jobs.fulfilment.intercept import (
    AFTER_SENDING,
    apply_cancel_answer,
    intercept_status,
    request_intercept,
)
from channelhub.jobs.fulfilment.outbound import warehouse_target
from channelhub.jobs.fulfilment.warehouse_hold import request_warehouse_hold
from channelhub.jobs.orders.pipeline import OUTBOUND_CANCEL
from channelhub.store.db import make_session_factory
from channelhub.store.repos.decisions import order_decisions
from channelhub.store.repos.outbox import claim_due, enqueue, mark_sent
from channelhub.store.repos.stock import stock_balances
from channelhub.store.tables.orders import OrderRow
from channelhub.store.tables.outbox import OutboxMessage
from channelhub.store.tables.stock import StockMovementRow
from tests.jobs.dispatch_fakes import (
    ORDER_KEY,
    T0,
    WH,
    FakeWarehouse,
    outbound,
    queue_outbound,
    seed_allocated,
)

pytestmark = pytest.mark.anyio
KEY = outbound().idempotency_key
OKEY = OrderKey(channel="shopify", account="shop-us", external_id="5678901234567890123")
T1 = T0 + timedelta(hours=1)
T2 = T0 + timedelta(hours=2)


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


async def dispatched(factory: sessionmaker[Session], wms: FakeWarehouse) -> int:
    with factory() as session:
        order_id = seed_allocated(session)
    await dispatch_outbox(factory, warehouses={WH: wms}, now=T0)
    return order_id


def intercept(factory: sessionmaker[Session], then: HubStatus = HubStatus.CANCELLED) -> list[str]:
    with factory() as session, session.begin():
        return request_intercept(session, OKEY, then=then, reason="buyer cancelled", now=T1)


def reserved(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return stock_balances(session, warehouse=WH, skus=["MUG"])[(WH, "MUG")].reserved


def status(factory: sessionmaker[Session], order_id: int) -> str:
    with factory() as session:
        return session.get_one(OrderRow, order_id).hub_status


async def test_intercept_before_packing_cancels_and_releases(
    factory: sessionmaker[Session],
) -> None:
    wms = FakeWarehouse()
    order_id = await dispatched(factory, wms)
    assert reserved(factory) == 2
    assert intercept(factory) == [KEY]
    assert intercept(factory) == [KEY]  # asked twice, queued once
    summary = await dispatch_outbox(factory, warehouses={WH: wms}, now=T1)
    assert summary.cancels == [(KEY, "cancelled")]
    assert wms.cancels == [(KEY, "buyer cancelled")]
    assert status(factory, order_id) == "cancelled"
    assert reserved(factory) == 0
    with factory() as session:
        found = intercept_status(session, KEY)
        assert found is not None and found.state is OutboundState.CANCELLED
        assert found.then is HubStatus.CANCELLED


async def test_intercept_after_packing_is_too_late_and_order_stays(
    factory: sessionmaker[Session],
) -> None:
    wms = FakeWarehouse(cancel_answer=OutboundState.CANCEL_TOO_LATE)
    order_id = await dispatched(factory, wms)
    intercept(factory, HubStatus.ON_HOLD)
    summary = await dispatch_outbox(factory, warehouses={WH: wms}, now=T1)
    assert summary.cancels == [(KEY, "cancel_too_late")]
    assert status(factory, order_id) == "dispatched"
    assert reserved(factory) == 2
    with factory() as session:
        found = intercept_status(session, KEY)
        assert found is not None and found.state is OutboundState.CANCEL_TOO_LATE
        assert found.answer == "already packed"
        decisions = [d.reason for d in order_decisions(session, order_id)]
        assert decisions[-2] == "intercept requested (buyer cancelled); then on_hold"
        assert "answered too late" in decisions[-1] and "already packed" in decisions[-1]


async def test_asynchronous_answer_arrives_later_and_twice(factory: sessionmaker[Session]) -> None:
    wms = FakeWarehouse(cancel_answer=OutboundState.CANCEL_REQUESTED)
    order_id = await dispatched(factory, wms)
    intercept(factory, HubStatus.ON_HOLD)
    summary = await dispatch_outbox(factory, warehouses={WH: wms}, now=T1)
    assert summary.cancels == [(KEY, "cancel_requested")]
    assert status(factory, order_id) == "dispatched"
    for expected in (True, False):  # the callback, then its duplicate
        with factory() as session, session.begin():
            changed = apply_cancel_answer(session, KEY, stopped=True, reason="stopped", now=T2)
        assert changed is expected
    assert status(factory, order_id) == "on_hold"
    assert reserved(factory) == 0
    with factory() as session:
        releases = session.scalar(
            select(func.count())
            .select_from(StockMovementRow)
            .where(StockMovementRow.kind == "release")
        )
        assert releases == 1
    # a contradicting late answer does not undo the first
    with factory() as session, session.begin():
        assert not apply_cancel_answer(session, KEY, stopped=False, reason="late", now=T2)
        assert intercept_status(session, KEY).state is OutboundState.CANCELLED  # type: ignore[union-attr]


async def test_cancel_faults_are_retried_or_listed(factory: sessionmaker[Session]) -> None:
    wms = FakeWarehouse(
        cancel_before=[ServerError("503", status=503), BadRequest("no", status=400)]
    )
    order_id = await dispatched(factory, wms)
    intercept(factory)
    first = await dispatch_outbox(factory, warehouses={WH: wms}, now=T1)
    second = await dispatch_outbox(factory, warehouses={WH: wms}, now=T1 + timedelta(hours=1))
    assert first.cancels == [(KEY, "failed")] and second.cancels == [(KEY, "dead")]
    assert status(factory, order_id) == "dispatched"
    with factory() as session:
        dead = session.scalars(select(OutboxMessage).where(OutboxMessage.state == "dead")).one()
        assert dead.idempotency_key == f"{KEY}#cancel" and "400" in (dead.last_error or "")


@pytest.mark.parametrize("silent", [True, False])
async def test_a_cancel_the_warehouse_never_answers_holds_back_the_runs_other_messages(
    factory: sessionmaker[Session], silent: bool
) -> None:
    """Connection refused on a cancel: the run's next message for that warehouse (a new
    order) is handed back untried, due with the cancel, as after a refused order; a 503
    answer is an answer, and the order behind it is sent."""
    fault = ConnectFailure("connection refused") if silent else ServerError("503", status=503)
    wms = FakeWarehouse(cancel_before=[fault])
    await dispatched(factory, wms)
    intercept(factory)
    later = outbound((("CUP", 1),), part=2)
    with factory() as session, session.begin():
        queue_outbound(session, later, now=T1)
    summary = await dispatch_outbox(factory, warehouses={WH: wms}, now=T1)
    assert summary.cancels == [(KEY, "failed")]
    created = [o.key for o in wms.created]
    with factory() as session:
        cancel, create = (
            session.scalars(select(OutboxMessage).where(OutboxMessage.idempotency_key == key)).one()
            for key in (f"{KEY}#cancel", later.idempotency_key)
        )
        assert cancel.attempts == 1
        if silent:
            assert [k for k, _ in summary.deferred] == [later.idempotency_key]
            assert later.idempotency_key not in created
            assert (create.state, create.attempts) == ("pending", 0)  # no try spent
            assert create.next_attempt_at == cancel.next_attempt_at  # due together
        else:
            assert summary.deferred == [] and summary.sent == [later.idempotency_key]
            assert later.idempotency_key in created


@dataclass
class HoldingFake(FakeWarehouse):
    """The fake warehouse that can also hold an accepted order (``HOLD_OUTBOUND``)."""

    hold_before: list[BaseException] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.capabilities = self.capabilities | {Capability.HOLD_OUTBOUND}

    async def hold_outbound(self, idempotency_key: str, *, reason: str) -> OutboundState:
        self.calls.append(f"hold {idempotency_key}")
        if self.hold_before:
            raise self.hold_before.pop(0)
        return OutboundState.ACCEPTED

    async def release_outbound(self, idempotency_key: str) -> OutboundState:
        self.calls.append(f"release {idempotency_key}")
        return OutboundState.ACCEPTED


async def test_a_hold_the_warehouse_never_answers_holds_back_the_runs_other_messages(
    factory: sessionmaker[Session],
) -> None:
    wms = HoldingFake(hold_before=[ConnectFailure("connection refused")])
    await dispatched(factory, wms)
    later = outbound((("CUP", 1),), part=2)
    with factory() as session, session.begin():
        assert request_warehouse_hold(session, OKEY, reason="address check", now=T1) == [KEY]
        queue_outbound(session, later, now=T1)
    summary = await dispatch_outbox(factory, warehouses={WH: wms}, now=T1)
    assert summary.holds == [(KEY, "failed")]
    assert [k for k, _ in summary.deferred] == [later.idempotency_key]
    assert f"create {later.idempotency_key}" not in wms.calls  # one try in all: the hold's


async def test_a_cancel_waits_untried_while_another_run_sends_its_order(
    factory: sessionmaker[Session],
) -> None:
    """The order is being sent by another run (claimed, no answer yet) when its cancel comes
    due: the cancel is handed back untried, due again shortly, every time, with no try spent;
    once the send is over the cancel is decided (here the other run stored nothing of the
    order at the warehouse, so it is cancelled without a call)."""
    with factory() as session:
        seed_allocated(session)
    with factory() as session, session.begin():  # another run claims the order and is sending
        (claimed,) = claim_due(session, now=T0, claim_for=timedelta(minutes=5))
        enqueue(
            session, idempotency_key=f"{KEY}#cancel", target=warehouse_target(WH),
            kind=OUTBOUND_CANCEL, payload={"idempotency_key": KEY, "reason": "re-planned"},
            now=T0,
        )  # fmt: skip
    wms = FakeWarehouse()
    for seconds in (0, 30, 60):  # the send still in flight
        at = T0 + timedelta(seconds=seconds)
        summary = await dispatch_outbox(factory, warehouses={WH: wms}, now=at)
        assert summary.cancels == [(KEY, "pending")] and wms.calls == []
        with factory() as session:
            cancel = session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == OUTBOUND_CANCEL)
            ).one()
            assert (cancel.state, cancel.attempts) == ("pending", 0)
            assert cancel.next_attempt_at == at + AFTER_SENDING
            assert "is being sent" in (cancel.last_error or "")
    with factory() as session, session.begin():
        mark_sent(session, claimed.id, now=T0 + timedelta(seconds=70))  # the other run's answer
    summary = await dispatch_outbox(factory, warehouses={WH: wms}, now=T0 + timedelta(seconds=90))
    assert summary.cancels == [(KEY, "cancelled")] and wms.calls == []


async def test_cancel_of_an_outbound_not_yet_sent_never_reaches_the_warehouse(
    factory: sessionmaker[Session],
) -> None:
    part2 = outbound((("CUP", 1),), part=2)
    with factory() as session:
        order_id = seed_allocated(session, outbound(), part2)
    wms = FakeWarehouse(before=[ServerError("503", status=503)])
    await dispatch_outbox(factory, warehouses={WH: wms}, now=T0)  # part 1 fails, part 2 sent
    assert status(factory, order_id) == "dispatched"
    assert [o.key for o in wms.created] == [part2.idempotency_key]
    intercept(factory)
    summary = await dispatch_outbox(factory, warehouses={WH: wms}, now=T2)
    assert summary.withdrawn[0][0] == KEY  # part 1 created never leaves (it never did)
    assert wms.calls.count(f"create {KEY}") == 1  # only the failed first attempt
    assert status(factory, order_id) == "cancelled"
    with factory() as session:
        balances = stock_balances(session, warehouse=WH)
        assert balances[(WH, "MUG")].reserved == 0 and balances[(WH, "CUP")].reserved == 0


def test_intercept_refuses_orders_not_at_a_warehouse(session: Session) -> None:
    seed_allocated(session)
    with pytest.raises(ChannelhubError, match="allocated: intercept is for orders at a warehouse"):
        request_intercept(session, OKEY, then=HubStatus.CANCELLED, reason="x", now=T1)
    with pytest.raises(InvalidInput, match="then"):
        request_intercept(session, OKEY, then=HubStatus.SHIPPED, reason="x", now=T1)
    assert str(OKEY) == ORDER_KEY


async def test_cancel_answered_while_the_create_waits_for_a_retry(
    factory: sessionmaker[Session],
) -> None:
    part2 = outbound((("CUP", 1),), part=2)
    with factory() as session:
        order_id = seed_allocated(session, outbound(), part2)
    wms = FakeWarehouse(idempotent=False, before=[ServerError("503", status=503)])
    await dispatch_outbox(factory, warehouses={WH: wms}, now=T0)  # part 1 fails, part 2 sent
    soon = T0 + timedelta(seconds=10)  # part 1 is retried 30 s after its failure
    with factory() as session, session.begin():
        request_intercept(session, OKEY, then=HubStatus.CANCELLED, reason="buyer", now=soon)
    # the cancels are sent before part 1's retry: the warehouse never had part 1
    first = await dispatch_outbox(factory, warehouses={WH: wms}, now=soon)
    assert sorted(state for _, state in first.cancels) == ["cancelled", "cancelled"]
    later = await dispatch_outbox(factory, warehouses={WH: wms}, now=T2)
    assert later.withdrawn == [(KEY, "it was cancelled before it was sent")]
    assert wms.calls.count(f"create {KEY}") == 1 and not wms.orders_for(KEY)
    assert status(factory, order_id) == "cancelled"
