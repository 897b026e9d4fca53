"""Intercept after dispatch (拦截): ask the warehouse to cancel, then act on its answer.

Before dispatch the hub stops an order by itself (the pipeline's ``stop_order``). After
dispatch only the warehouse can: :func:`request_intercept` queues one cancel per live
outbound order in the outbox (``<outbound key>#cancel``, so asking twice queues it once),
the dispatch run sends it (:func:`send_cancel`), and the answer — at once, or later by a
callback via :func:`apply_cancel_answer` — either releases the reservation and moves the
order to on_hold / cancelled, or records "too late" and leaves the order where it is.

The cancel message is the intercept's record: its payload keeps what was asked (``then``,
``reason``) and, once known, the warehouse's answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from channelhub.connectors.errors import FatalError, NotFoundError, RetryableError
from channelhub.connectors.roles import Warehouse
from channelhub.core.errors import ChannelhubError, InvalidInput, NotFound
from channelhub.core.fulfilment import OutboundState
from channelhub.core.lifecycle import HubStatus
from channelhub.core.order import OrderKey
from channelhub.core.reservations import part_reference, release
from channelhub.core.warehouse_reports import InterceptOutcome, InterceptResult
from channelhub.jobs.engine.fencing import Fence, no_fence
from channelhub.jobs.fulfilment.outbound import (
    Claimed,
    OnSilent,
    SessionFactory,
    cancel_message_key,
    move_order,
    order_row,
    record_retry,
    unheeded,
    warehouse_target,
)
from channelhub.jobs.orders.pipeline import OUTBOUND_CANCEL, OUTBOUND_CREATE, open_movements
from channelhub.store.repos.decisions import record_decision
from channelhub.store.repos.fulfilment import get_outbound, set_outbound_state
from channelhub.store.repos.outbox import (
    DEFAULT_MAX_ATTEMPTS,
    dead_letter,
    enqueue,
    mark_sent,
    release_untried,
)
from channelhub.store.repos.stock import record_movement
from channelhub.store.tables.fulfilment import OutboundOrderRow
from channelhub.store.tables.outbox import OutboxMessage, OutboxState

#: Where an intercepted order may go when the warehouse stopped it in time.
INTERCEPT_TARGETS = frozenset({HubStatus.ON_HOLD, HubStatus.CANCELLED})
#: Order statuses in which the warehouse holds the order (earlier: stop it in the hub).
INTERCEPTABLE = frozenset({HubStatus.DISPATCHED, HubStatus.PARTIALLY_SHIPPED, HubStatus.SHIPPED})
_FINAL = frozenset({OutboundState.CANCELLED, OutboundState.CANCEL_TOO_LATE})
_NOT_LIVE = frozenset({OutboundState.REJECTED, OutboundState.CANCELLED})


def request_intercept(
    session: Session,
    order_key: OrderKey,
    *,
    then: HubStatus,
    reason: str,
    now: datetime,
    actor: str = "hub",
) -> list[str]:
    """Queue a cancel for every live outbound of a dispatched order; return their keys.

    ``then`` (on_hold or cancelled) is where the order goes if the warehouse stops it in time.
    Runs in the caller's transaction.
    """
    if then not in INTERCEPT_TARGETS:
        raise InvalidInput.field("then", then.value, "must be on_hold or cancelled")
    if not reason.strip():
        raise InvalidInput.field("reason", reason, "must say why the order is intercepted")
    row = order_row(session, str(order_key))
    if row is None:
        raise NotFound(f"order {order_key} is not in the hub")
    status = HubStatus(row.hub_status)
    if status not in INTERCEPTABLE:
        raise ChannelhubError(
            f"order {order_key} is {status.value}: intercept is for orders at a warehouse "
            "(hold or cancel it in the hub instead)"
        )
    live = session.execute(
        select(OutboundOrderRow.idempotency_key, OutboundOrderRow.warehouse).where(
            OutboundOrderRow.order_key == str(order_key),
            OutboundOrderRow.state.not_in([s.value for s in _NOT_LIVE]),
        )
    ).all()
    if not live:
        raise ChannelhubError(f"order {order_key} has no outbound order left to intercept")
    for key, warehouse in live:
        enqueue(
            session,
            idempotency_key=cancel_message_key(key),
            target=warehouse_target(warehouse),
            kind=OUTBOUND_CANCEL,
            payload={
                "idempotency_key": key,
                "order_key": str(order_key),
                "then": then.value,
                "reason": reason,
                "actor": actor,
            },
            now=now,
        )
    record_decision(
        session,
        row.id,
        kind="intercept",
        reason=f"intercept requested ({reason}); then {then.value}",
        at=now,
        actor=actor,
        detail={"outbound_keys": [key for key, _ in live], "then": then.value},
    )
    return [key for key, _ in live]


@dataclass(frozen=True)
class InterceptStatus:
    """What was asked of the warehouse for one outbound order and what it answered so far."""

    outbound_key: str
    then: HubStatus | None
    state: OutboundState
    answer: str | None  # the warehouse's reason, when it gave one


def intercept_status(session: Session, outbound_key: str) -> InterceptStatus | None:
    """The intercept of one outbound (None when no cancel was ever asked)."""
    message = _cancel_message(session, outbound_key)
    if message is None:
        return None
    _, state = get_outbound(session, outbound_key)
    then = message.payload.get("then")
    answer = message.payload.get("answer") or {}
    return InterceptStatus(
        outbound_key=outbound_key,
        then=HubStatus(then) if then else None,
        state=state,
        answer=answer.get("reason"),
    )


def _cancel_message(session: Session, outbound_key: str) -> OutboxMessage | None:
    return session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.idempotency_key == cancel_message_key(outbound_key)
        )
    ).one_or_none()


#: How long a cancel waits when the order it cancels is being sent by another run.
AFTER_SENDING = timedelta(seconds=30)


async def send_cancel(
    session_factory: SessionFactory,
    message: Claimed,
    connector: Warehouse,
    *,
    now: datetime,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    fence: Fence = no_fence,
    on_silent: OnSilent = unheeded,
) -> str:
    """Send one claimed cancel; returns what became of it (an outbound state or outbox state).
    ``fence`` is passed right before the call to the warehouse; ``on_silent`` is told when
    the warehouse gave no answer at all
    (:func:`~channelhub.jobs.fulfilment.outbound.record_retry`)."""
    key = str(message.payload.get("idempotency_key"))
    reason = str(message.payload.get("reason") or "intercepted")
    with session_factory() as session:
        create = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.idempotency_key == key, OutboxMessage.kind == OUTBOUND_CREATE
            )
        ).one_or_none()
        try:
            _, state = get_outbound(session, key)
        except NotFound:
            state = None
    if create is not None and create.state == OutboxState.SENDING.value:
        # another run is sending the order right now: the cancel waits for its answer without
        # spending a try (it never reached the warehouse), however long that send takes
        waiting = f"not sent: {key} is being sent; the cancel follows its answer"
        with session_factory() as session, session.begin():
            waits = release_untried(
                session, message.id, retry_at=now + AFTER_SENDING, error=waiting, now=now
            )
        return waits.value
    # No outbound row: no sender ever claimed it, so it cannot be at the warehouse.
    if state is None or state in _FINAL:
        answer = state if state in _FINAL else OutboundState.CANCELLED
        stopped, why = answer is OutboundState.CANCELLED, "it never reached the warehouse"
    else:
        fence()
        try:
            result = await connector.cancel_outbound(key, reason=reason)
            answer, why = result.state, result.reason or ""
        except NotFoundError:
            answer, why = OutboundState.CANCELLED, "the warehouse does not have it"
        except RetryableError as error:
            done = record_retry(
                session_factory,
                message,
                error,
                now=now,
                max_attempts=max_attempts,
                on_silent=on_silent,
            )
            return done.value
        except FatalError as error:
            with session_factory() as session, session.begin():
                dead_letter(session, message.id, error=str(error), now=now)
            return OutboxState.DEAD.value
        stopped = answer is OutboundState.CANCELLED
    with session_factory() as session, session.begin():
        if state is not None and answer is OutboundState.CANCEL_REQUESTED:
            set_outbound_state(session, key, answer, now=now)
        elif state is not None:
            apply_cancel_answer(session, key, stopped=stopped, reason=why, now=now)
        mark_sent(session, message.id, now=now)
    return answer.value


def apply_cancel_answer(
    session: Session, outbound_key: str, *, stopped: bool, reason: str | None, now: datetime
) -> bool:
    """Act on the warehouse's final answer to a cancel; a repeated answer changes nothing.

    Stopped in time: the outbound is cancelled; for an intercept, the part's reservation is
    released and the order moves to the intercept's ``then`` once no outbound of it is live.
    Too late: the outbound records it and the order stays where it is (dispatched/shipped).
    The first final answer wins; returns False when it was already known.
    """
    outbound, state = get_outbound(session, outbound_key)
    answer = OutboundState.CANCELLED if stopped else OutboundState.CANCEL_TOO_LATE
    message = _cancel_message(session, outbound_key)
    if state in _FINAL and (message is None or "answer" in message.payload):
        return False
    set_outbound_state(session, outbound_key, answer, now=now)
    reference = part_reference(outbound.order_key, outbound.part)
    row = order_row(session, outbound.order_key)
    if row is not None:
        said = f": {reason}" if reason else ""
        outcome = "stopped it" if stopped else "answered too late"
        record_decision(
            session,
            row.id,
            kind="intercept",
            reason=f"warehouse {outbound.warehouse} {outcome} for {outbound_key}{said}",
            at=now,
            actor="warehouse",
            detail={"outbound_key": outbound_key, "outcome": answer.value},
        )
    if message is None:
        if stopped and state is not OutboundState.CANCEL_REQUESTED and row is not None:
            # The warehouse cancelled on its own (not a replaced revision we asked about):
            # the goods stay on its shelf, so free them and have a person look.
            _release(session, outbound_key, reference, f"cancelled by the warehouse: {reason}", now)
            why = f"warehouse {outbound.warehouse} cancelled {outbound_key}: {reason}"
            move_order(session, row, [HubStatus.EXCEPTION], reason=why, now=now)
        return True
    message.payload = {
        **message.payload,
        "answer": {"outcome": answer.value, "reason": reason, "at": now.isoformat()},
    }
    then = message.payload.get("then")
    if not stopped or then is None:
        return True  # too late, or a cancel of a replaced revision: nothing to release
    why = f"intercepted: {message.payload.get('reason')}"
    _release(session, outbound_key, reference, why, now)
    still_live = session.scalar(
        select(OutboundOrderRow.id).where(
            OutboundOrderRow.order_key == outbound.order_key,
            OutboundOrderRow.state.not_in([s.value for s in _NOT_LIVE]),
        )
    )
    if row is not None and still_live is None and row.hub_status == HubStatus.DISPATCHED.value:
        move_order(session, row, [HubStatus(then)], reason=why, now=now)
    return True


def _release(session: Session, outbound_key: str, reference: str, why: str, now: datetime) -> None:
    """Release what is still reserved for one order part (once per outbound and SKU)."""
    for movement in release(open_movements(session, reference), reference, at=now, reason=why):
        record_movement(
            session,
            movement,
            now=now,
            dedupe_key=f"cancel-release:{outbound_key}:{movement.warehouse}:{movement.sku}",
        )


def apply_intercept_result(session: Session, result: InterceptResult, *, now: datetime) -> bool:
    """A warehouse callback's intercept / cancellation result (see :func:`apply_cancel_answer`)."""
    reason = result.message or result.reason_code
    stopped = result.outcome is InterceptOutcome.SUCCEEDED
    return apply_cancel_answer(
        session, result.outbound_key, stopped=stopped, reason=reason, now=now
    )
