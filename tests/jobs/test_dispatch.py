"""The warehouse outbox sender: exactly one warehouse order under faults, crashes and revisions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from channelhub.connectors.errors import BadRequest, ConnectFailure, ServerError
from channelhub.connectors.roles import Warehouse
from channelhub.core.models import OutboundState
from channelhub.jobs.fulfilment.dispatch import dispatch_outbox
from channelhub.jobs.fulfilment.outbound import warehouse_target
from channelhub.store.db import make_session_factory
from channelhub.store.repos.fulfilment import get_outbound
from channelhub.store.repos.orders import order_history
from channelhub.store.repos.outbox import enqueue, replay
from channelhub.store.tables.orders import OrderRow
from channelhub.store.tables.outbox import OutboxMessage, OutboxState
from tests.jobs.dispatch_fakes import (
    T0,
    WH,
    Crash,
    FakeWarehouse,
    outbound,
    queue_outbound,
    seed_allocated,
)

pytestmark = pytest.mark.anyio
KEY = outbound().idempotency_key
LATER = T0 + timedelta(hours=2)


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


def status(factory: sessionmaker[Session], order_id: int) -> str:
    with factory() as session:
        return session.get_one(OrderRow, order_id).hub_status


def message_state(factory: sessionmaker[Session], key: str = KEY) -> str:
    with factory() as session:
        return session.scalars(
            select(OutboxMessage.state).where(OutboxMessage.idempotency_key == key)
        ).one()


def outbound_state(factory: sessionmaker[Session], key: str = KEY) -> OutboundState:
    with factory() as session:
        return get_outbound(session, key)[1]


def test_fake_is_a_warehouse() -> None:
    assert isinstance(FakeWarehouse(), Warehouse)


async def test_sent_once_recorded_and_dispatched(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        order_id = seed_allocated(session)
    wms = FakeWarehouse()
    summary = await dispatch_outbox(factory, warehouses={WH: wms}, now=T0)
    assert summary.sent == [KEY] and not summary.dead
    again = await dispatch_outbox(factory, warehouses={WH: wms}, now=LATER)
    assert again.sent == [] and len(wms.created) == 1
    assert status(factory, order_id) == "dispatched"
    assert message_state(factory) == "sent"
    with factory() as session:
        row = session.scalars(select(OrderRow)).one()
        assert "accepted outbound" in order_history(session, row.id)[-1].reason
        assert get_outbound(session, KEY)[1] is OutboundState.ACCEPTED


async def test_other_warehouses_messages_are_left_alone(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        seed_allocated(session)
    summary = await dispatch_outbox(factory, warehouses={"EU-1": FakeWarehouse()}, now=T0)
    assert summary.sent == [] and message_state(factory) == "pending"


async def test_a_warehouse_that_gives_no_answer_gets_one_try_a_run(
    factory: sessionmaker[Session],
) -> None:
    """Connection refused on the first order: the run's other orders for that warehouse are
    handed back untried (no attempt counted, due with the first), instead of each spending
    the retry budget on a warehouse that is down; a 5xx answer does not stop the others."""
    with factory() as session:
        seed_allocated(session, *(outbound((("MUG", 1),), part=part) for part in (1, 2, 3)))
    wms = FakeWarehouse(before=[ConnectFailure("connection refused")])
    summary = await dispatch_outbox(factory, warehouses={WH: wms}, now=T0)
    assert len(summary.retrying) == 1 and len(summary.deferred) == 2 and summary.sent == []
    assert len(wms.calls) == 1  # one try, not three
    with factory() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [(row.state, row.attempts) for row in rows] == [
            ("failed", 1),
            ("pending", 0),
            ("pending", 0),
        ]
        assert len({row.next_attempt_at for row in rows}) == 1  # due together
        assert "gave no answer earlier in this run" in (rows[1].last_error or "")
    early = await dispatch_outbox(factory, warehouses={WH: wms}, now=T0 + timedelta(seconds=5))
    assert early.sent == [] and len(wms.calls) == 1  # not before the retry time
    back = await dispatch_outbox(factory, warehouses={WH: wms}, now=T0 + timedelta(minutes=1))
    assert len(back.sent) == 3 and len(wms.created) == 3
    wms.before = [ServerError("503", status=503)]  # an answer: the others still go
    with factory.begin() as session:
        for part in (4, 5):
            queue_outbound(session, outbound((("MUG", 1),), part=part), now=T0)
    answered = await dispatch_outbox(factory, warehouses={WH: wms}, now=LATER)
    assert (len(answered.retrying), len(answered.sent), answered.deferred) == (1, 1, [])


@pytest.mark.parametrize("idempotent", [True, False])
async def test_retryable_faults_before_and_after_accepting_make_one_order(
    factory: sessionmaker[Session], idempotent: bool
) -> None:
    with factory() as session:
        order_id = seed_allocated(session)
    wms = FakeWarehouse(
        idempotent=idempotent,
        before=[ConnectFailure("refused"), ServerError("503", status=503)],
        after=[ServerError("timeout after accepting", status=504)],
    )
    now = T0
    results = []
    for _ in range(4):
        summary = await dispatch_outbox(factory, warehouses={WH: wms}, now=now)
        results.append((len(summary.retrying), len(summary.sent)))
        now += timedelta(hours=2)
    assert results == [(1, 0), (1, 0), (1, 0), (0, 1)]
    assert len(wms.created) == 1
    assert status(factory, order_id) == "dispatched"
    if not idempotent:  # the last attempt read back instead of creating again
        assert wms.calls[-1] == f"get {KEY}"


@pytest.mark.parametrize("idempotent", [True, False])
async def test_crash_after_warehouse_accepted_neither_loses_nor_doubles(
    factory: sessionmaker[Session], idempotent: bool
) -> None:
    with factory() as session:
        order_id = seed_allocated(session)
    wms = FakeWarehouse(idempotent=idempotent, after=[Crash()])
    with pytest.raises(Crash):
        await dispatch_outbox(factory, warehouses={WH: wms}, now=T0)
    assert len(wms.created) == 1 and message_state(factory) == "sending"
    assert status(factory, order_id) == "allocated"
    # the claim still holds: a second runner right away does not send it again
    early = await dispatch_outbox(factory, warehouses={WH: wms}, now=T0 + timedelta(minutes=1))
    assert early.sent == []
    # once the claim lapses the restarted sender finishes the job
    summary = await dispatch_outbox(factory, warehouses={WH: wms}, now=T0 + timedelta(minutes=6))
    assert summary.sent == [KEY]
    assert len(wms.created) == 1
    assert status(factory, order_id) == "dispatched"
    with factory() as session:
        assert session.scalars(select(OrderRow)).one().hub_status == "dispatched"
    if not idempotent:
        assert wms.calls == [f"create {KEY}", f"get {KEY}"]


async def test_crash_before_the_warehouse_saw_it_sends_it_once(
    factory: sessionmaker[Session],
) -> None:
    with factory() as session:
        seed_allocated(session)
    wms = FakeWarehouse(idempotent=False, before=[Crash()])
    with pytest.raises(Crash):
        await dispatch_outbox(factory, warehouses={WH: wms}, now=T0)
    await dispatch_outbox(factory, warehouses={WH: wms}, now=T0 + timedelta(minutes=6))
    assert [o.key for o in wms.created] == [KEY]
    assert wms.calls == [f"create {KEY}", f"get {KEY}", f"create {KEY}"]


async def test_rejection_goes_to_exception_and_dead_letter_then_replays(
    factory: sessionmaker[Session],
) -> None:
    with factory() as session:
        order_id = seed_allocated(session)
    refusal = BadRequest("rejected", status=422, body="ship_to.line2: PO boxes are not served")
    wms = FakeWarehouse(before=[refusal])
    summary = await dispatch_outbox(factory, warehouses={WH: wms}, now=T0)
    assert summary.dead and "PO boxes are not served" in summary.dead[0][1]
    assert status(factory, order_id) == "exception"
    assert outbound_state(factory) is OutboundState.REJECTED
    assert message_state(factory) == "dead"
    with factory() as session:
        last = order_history(session, order_id)[-1]
        assert "refused outbound" in last.reason and "PO boxes" in last.reason
        message_id = session.scalars(select(OutboxMessage.id)).one()
        replay(session, message_id, now=LATER)
        session.commit()
    again = await dispatch_outbox(factory, warehouses={WH: wms}, now=LATER)
    assert again.sent == [KEY] and len(wms.created) == 1
    assert status(factory, order_id) == "dispatched"


async def test_giving_up_after_max_attempts_is_listed(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        order_id = seed_allocated(session)
    wms = FakeWarehouse(before=[ServerError("503", status=503), ServerError("503", status=503)])
    first = await dispatch_outbox(factory, warehouses={WH: wms}, now=T0, max_attempts=2)
    second = await dispatch_outbox(factory, warehouses={WH: wms}, now=LATER, max_attempts=2)
    assert first.retrying and second.dead
    assert message_state(factory) == "dead" and status(factory, order_id) == "exception"


async def test_newer_revision_cancels_the_sent_one_first(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        order_id = seed_allocated(session)
    wms = FakeWarehouse()
    await dispatch_outbox(factory, warehouses={WH: wms}, now=T0)
    rev2 = outbound((("MUG", 1),), revision=2)
    with factory() as session:
        enqueue(
            session,
            idempotency_key=rev2.idempotency_key,
            target=warehouse_target(WH),
            kind="outbound_order.create",
            payload=rev2.model_dump(mode="json"),
            now=T0,
        )
        session.commit()
    summary = await dispatch_outbox(factory, warehouses={WH: wms}, now=LATER)
    assert summary.sent == [rev2.idempotency_key]
    assert wms.calls[-2:] == [f"cancel {KEY}", f"create {rev2.idempotency_key}"]
    assert "replaced by revision 2" in wms.cancels[0][1]
    assert outbound_state(factory) is OutboundState.CANCELLED
    assert outbound_state(factory, rev2.idempotency_key) is OutboundState.ACCEPTED
    assert status(factory, order_id) == "dispatched"


async def test_older_revision_still_queued_is_withdrawn_unsent(
    factory: sessionmaker[Session],
) -> None:
    rev2 = outbound(revision=2)
    with factory() as session:
        seed_allocated(session, outbound(), rev2)
    wms = FakeWarehouse()
    summary = await dispatch_outbox(factory, warehouses={WH: wms}, now=T0)
    assert summary.sent == [rev2.idempotency_key]
    assert summary.withdrawn[0][0] == KEY and "superseded" in summary.withdrawn[0][1]
    assert [o.key for o in wms.created] == [rev2.idempotency_key] and not wms.cancels
    assert outbound_state(factory) is OutboundState.CANCELLED


async def test_too_late_to_cancel_the_old_revision_blocks_the_new(
    factory: sessionmaker[Session],
) -> None:
    with factory() as session:
        order_id = seed_allocated(session)
    wms = FakeWarehouse(cancel_answer=OutboundState.CANCEL_TOO_LATE)
    await dispatch_outbox(factory, warehouses={WH: wms}, now=T0)
    rev2 = outbound(revision=2)
    with factory() as session:
        queue_outbound(session, rev2)
        session.commit()
    summary = await dispatch_outbox(factory, warehouses={WH: wms}, now=LATER)
    assert summary.dead and "too late" in summary.dead[0][1]
    assert len(wms.created) == 1
    assert outbound_state(factory) is OutboundState.CANCEL_TOO_LATE
    assert status(factory, order_id) == "exception"


async def test_unknown_kind_is_dead_lettered(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        seed_allocated(session)
        enqueue(
            session,
            idempotency_key="odd",
            target=warehouse_target(WH),
            kind="asn.create",
            payload={},
            now=T0,
        )
        session.commit()
    summary = await dispatch_outbox(factory, warehouses={WH: FakeWarehouse()}, now=T0)
    assert ("odd", f"no sender for outbox kind 'asn.create' to warehouse:{WH}") in summary.dead
    assert message_state(factory, "odd") == OutboxState.DEAD.value


async def test_older_revision_whose_answer_was_lost_is_cancelled_before_the_newer(
    factory: sessionmaker[Session],
) -> None:
    with factory() as session:
        seed_allocated(session)
    wms = FakeWarehouse(after=[ServerError("answer lost", status=504)])
    await dispatch_outbox(factory, warehouses={WH: wms}, now=T0)  # at the warehouse, unknown
    rev2 = outbound(revision=2)
    soon = T0 + timedelta(seconds=10)  # rev 1 is retried only after 30 s
    with factory() as session:
        queue_outbound(session, rev2, now=soon)
        session.commit()
    first = await dispatch_outbox(factory, warehouses={WH: wms}, now=soon)
    assert first.sent == [rev2.idempotency_key]
    assert wms.calls[-2:] == [f"cancel {KEY}", f"create {rev2.idempotency_key}"]
    later = await dispatch_outbox(factory, warehouses={WH: wms}, now=LATER)
    assert [key for key, _ in later.withdrawn] == [KEY]
    live = [o.key for o in wms.created if o.state is not OutboundState.CANCELLED]
    assert live == [rev2.idempotency_key]


async def test_a_status_moved_under_the_recording_is_read_again(
    factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    import channelhub.jobs.fulfilment.dispatch as dispatch_module
    from channelhub.store.repos.orders import StatusChanged

    with factory() as session:
        order_id = seed_allocated(session)
    real = dispatch_module._mark_dispatched
    raised: list[bool] = []

    def racing(*args: object, **kwargs: object) -> None:
        if not raised:
            raised.append(True)
            raise StatusChanged("another writer moved it")
        real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(dispatch_module, "_mark_dispatched", racing)
    wms = FakeWarehouse()
    summary = await dispatch_outbox(factory, warehouses={WH: wms}, now=T0)
    assert summary.sent == [KEY] and raised == [True] and len(wms.created) == 1
    assert status(factory, order_id) == "dispatched" and message_state(factory) == "sent"


async def test_a_lost_lease_stops_before_the_create_and_the_next_holder_sends_once(
    factory: sessionmaker[Session],
) -> None:
    from channelhub.jobs.engine.fencing import LeaseLost

    def taken_over() -> None:
        raise LeaseLost("the lease passed to another runner")

    with factory() as session:
        order_id = seed_allocated(session)
    wms = FakeWarehouse(idempotent=False)
    with pytest.raises(LeaseLost):
        await dispatch_outbox(factory, warehouses={WH: wms}, now=T0, fence=taken_over)
    assert wms.created == [] and message_state(factory) == "sending"  # claimed, not dead
    summary = await dispatch_outbox(factory, warehouses={WH: wms}, now=LATER)  # claim lapsed
    assert summary.sent == [KEY] and len(wms.created) == 1
    assert status(factory, order_id) == "dispatched"
