"""The outbox: idempotent enqueue, claiming, backoff, dead letters and replay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from channelhub.core.errors import InvalidInput
from channelhub.store.repos.outbox import (
    claim_due,
    dead_letter,
    enqueue,
    exponential_backoff,
    list_messages,
    mark_failed,
    mark_sent,
    replay,
)
from channelhub.store.tables.outbox import OutboxMessage, OutboxState

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _enqueue(session: Session, key: str = "wms:order-1", now: datetime = T0) -> tuple[int, bool]:
    return enqueue(
        session,
        idempotency_key=key,
        target="wms-east",
        kind="outbound_order",
        payload={"order": "order-1", "lines": [{"sku": "A", "qty": 2}]},
        now=now,
    )


def test_enqueue_twice_same_key_one_row(session: Session) -> None:
    first = _enqueue(session)
    second = _enqueue(session, now=T0 + timedelta(seconds=1))
    session.commit()
    assert first.is_new and second == (first.id, False)
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_claim_send_cycle(session: Session) -> None:
    message_id = _enqueue(session).id
    _enqueue(session, "later", now=T0 + timedelta(hours=1))
    [claimed] = claim_due(session, now=T0)
    assert (claimed.id, claimed.state, claimed.attempts) == (message_id, "sending", 1)
    assert claimed.payload["lines"][0]["qty"] == 2
    assert claim_due(session, now=T0) == []  # already claimed
    mark_sent(session, message_id, now=T0)
    session.commit()
    assert claim_due(session, now=T0 + timedelta(days=1))[0].idempotency_key == "later"


def test_lapsed_claim_is_due_again(session: Session) -> None:
    _enqueue(session)
    claim_due(session, now=T0, claim_for=timedelta(minutes=5))
    assert claim_due(session, now=T0 + timedelta(minutes=4)) == []
    [again] = claim_due(session, now=T0 + timedelta(minutes=5))
    assert again.attempts == 2


def test_failure_backs_off_then_dies(session: Session) -> None:
    message_id = _enqueue(session).id
    now = T0
    for attempt in range(1, 4):
        [row] = claim_due(session, now=now)
        state = mark_failed(session, row.id, error=f"HTTP 503 #{attempt}", now=now, max_attempts=3)
        if attempt < 3:
            assert state is OutboxState.FAILED
            assert (
                claim_due(session, now=now + exponential_backoff(attempt) - timedelta(seconds=1))
                == []
            )
            now += exponential_backoff(attempt)
    assert state is OutboxState.DEAD
    [dead] = list_messages(session, states=[OutboxState.DEAD])
    assert (dead.id, dead.last_error) == (message_id, "HTTP 503 #3")
    assert claim_due(session, now=now + timedelta(days=30)) == []


def test_backoff_doubles_and_caps() -> None:
    assert [exponential_backoff(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert exponential_backoff(50) == timedelta(hours=1)


def test_dead_letter_and_replay(session: Session) -> None:
    message_id = _enqueue(session).id
    claim_due(session, now=T0)
    dead_letter(session, message_id, error="400 invalid SKU", now=T0)
    replay(session, message_id, now=T0 + timedelta(hours=2))
    [row] = claim_due(session, now=T0 + timedelta(hours=2))
    assert (row.id, row.attempts) == (message_id, 1)
    mark_sent(session, message_id, now=T0)
    with pytest.raises(InvalidInput, match="'sent' cannot be replayed"):
        replay(session, message_id, now=T0)


def test_parallel_claimers_split_the_work(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        for n in range(4):
            _enqueue(session, f"key-{n}")
    with Session(engine) as first, Session(engine) as second:
        mine = {row.id for row in claim_due(first, now=T0, limit=2)}
        if engine.dialect.name == "postgresql":  # SKIP LOCKED: the 2nd sees only unlocked rows
            theirs = {row.id for row in claim_due(second, now=T0, limit=4)}
            assert len(mine) == 2 and len(theirs) == 2 and not mine & theirs
        first.commit()
        second.commit()
    with Session(engine) as session:
        states = session.scalars(select(OutboxMessage.state)).all()
    assert states.count("sending") >= 2
