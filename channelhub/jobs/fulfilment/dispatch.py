"""The outbox sender for warehouses: each outbound order reaches its WMS exactly once.

Why it is safe to crash anywhere: the claim is committed before the call, and the outcome
(warehouse id, order dispatched, message sent) is committed together after it. A sender that
dies between the warehouse's "accepted" and our commit leaves the message claimed; when the
claim lapses it is sent again, and either the warehouse dedupes on the idempotency key
(``Capability.IDEMPOTENT_OUTBOUND``) or, for one that cannot, the sender reads the order back
(``get_outbound``) before creating it a second time.

A newer revision of an order cancels the older ones at the warehouse before it is sent; an
older revision still waiting in the outbox is withdrawn unsent, and so is an outbound whose
cancel was requested before it left. Cancels (``outbound_order.cancel``) are sent by
:mod:`channelhub.jobs.fulfilment.intercept` from the same run, holds and releases at the warehouse
(``outbound_order.hold`` / ``.release``) by :mod:`channelhub.jobs.fulfilment.warehouse_hold`.

Every create and cancel is preceded by ``fence()`` (:mod:`channelhub.jobs.engine.fencing`): a run
whose lease was taken over stops before the call, leaving its claimed message to the new
holder (after the claim lapses, and then read back or deduped as after a crash).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from channelhub.connectors.errors import FatalError, NotFoundError, RetryableError
from channelhub.connectors.results import OutboundReceipt
from channelhub.connectors.roles import Capability, Warehouse, require
from channelhub.core.errors import ChannelhubError, InvalidInput
from channelhub.core.fulfilment import OutboundOrder, OutboundState
from channelhub.core.lifecycle import HubStatus
from channelhub.jobs.engine.fencing import Fence, no_fence
from channelhub.jobs.fulfilment.intercept import send_cancel
from channelhub.jobs.fulfilment.outbound import (
    Claimed,
    OnSilent,
    SessionFactory,
    cancel_message_key,
    claim,
    move_order,
    order_row,
    record_retry,
    warehouse_target,
)
from channelhub.jobs.fulfilment.warehouse_hold import OUTBOUND_HOLD, OUTBOUND_RELEASE, send_hold
from channelhub.jobs.orders.pipeline import OUTBOUND_CANCEL, OUTBOUND_CREATE
from channelhub.store.repos.fulfilment import get_outbound, save_outbound, set_outbound_state
from channelhub.store.repos.orders import StatusChanged
from channelhub.store.repos.outbox import (
    DEFAULT_MAX_ATTEMPTS,
    dead_letter,
    mark_sent,
    release_untried,
)
from channelhub.store.tables.fulfilment import OutboundOrderRow
from channelhub.store.tables.outbox import OutboxMessage, OutboxState

#: Warehouse states after which an outbound needs no cancel to be replaced. (A pending one
#: was claimed at least once, so it may have reached the warehouse: it is cancelled too.)
_GONE = frozenset({OutboundState.REJECTED, OutboundState.CANCELLED})
#: Our own states for an outbound the warehouse has not (knowingly) taken.
_NOT_AT_WAREHOUSE = frozenset({OutboundState.PENDING, OutboundState.REJECTED})


@dataclass
class DispatchSummary:
    """What one run did, per outbound idempotency key; failures carry the warehouse's reason."""

    sent: list[str] = field(default_factory=list)
    retrying: list[tuple[str, str]] = field(default_factory=list)
    dead: list[tuple[str, str]] = field(default_factory=list)
    withdrawn: list[tuple[str, str]] = field(default_factory=list)  # never sent, and why
    cancels: list[tuple[str, str]] = field(default_factory=list)  # outbound key, state
    holds: list[tuple[str, str]] = field(default_factory=list)  # outbound key, state
    #: messages handed back untried: their warehouse gave no answer at all earlier in the run
    deferred: list[tuple[str, str]] = field(default_factory=list)


async def dispatch_outbox(
    session_factory: SessionFactory,
    *,
    warehouses: Mapping[str, Warehouse],
    now: datetime,
    limit: int = 50,
    claim_for: timedelta = timedelta(minutes=5),
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    fence: Fence = no_fence,
) -> DispatchSummary:
    """Send due outbound orders and cancels to the warehouses in ``warehouses`` (by code).

    Messages for warehouses not in the mapping are left for a runner that has them.
    ``fence`` is passed before each call to a warehouse (it raises to stop the run).
    """
    summary = DispatchSummary()
    targets = {warehouse_target(code): code for code in warehouses}
    messages = claim(
        session_factory, now=now, limit=limit, targets=list(targets), claim_for=claim_for
    )
    unreachable: dict[str, tuple[str, datetime]] = {}  # target -> why, and when to try again
    for message in messages:
        connector = warehouses[targets[message.target]]
        if message.target in unreachable:
            _hand_back(session_factory, message, *unreachable[message.target], now, summary)
            continue
        silent = partial(_silent, unreachable, message.target)
        if message.kind == OUTBOUND_CREATE:
            await _send_create(
                session_factory, message, connector, now, max_attempts, summary, fence, silent
            )
        elif message.kind in (OUTBOUND_HOLD, OUTBOUND_RELEASE):
            state = await send_hold(
                session_factory,
                message,
                connector,
                now=now,
                max_attempts=max_attempts,
                fence=fence,
                on_silent=silent,
            )
            summary.holds.append((str(message.payload.get("idempotency_key")), state))
        elif message.kind == OUTBOUND_CANCEL:
            state = await send_cancel(
                session_factory,
                message,
                connector,
                now=now,
                max_attempts=max_attempts,
                fence=fence,
                on_silent=silent,
            )
            summary.cancels.append((str(message.payload.get("idempotency_key")), state))
        else:
            reason = f"no sender for outbox kind {message.kind!r} to {message.target}"
            with session_factory() as session, session.begin():
                dead_letter(session, message.id, error=reason, now=now)
            summary.dead.append((message.idempotency_key, reason))
    return summary


def _silent(
    unreachable: dict[str, tuple[str, datetime]], target: str, why: str, until: datetime
) -> None:
    """``target`` gave no answer at all: the run's other messages for it (orders, cancels,
    holds alike) are handed back untried, due with the one that failed."""
    unreachable.setdefault(target, (why, until))


async def _send_create(
    session_factory: SessionFactory,
    message: Claimed,
    connector: Warehouse,
    now: datetime,
    max_attempts: int,
    summary: DispatchSummary,
    fence: Fence,
    on_silent: OnSilent,
) -> None:
    """Send one outbound order; ``on_silent`` is told when its warehouse gave no answer at
    all (connection refused, no answer in time: the others of the run are handed back
    untried)."""
    try:
        outbound = OutboundOrder.model_validate(message.payload, strict=False)
    except ValidationError as error:
        reason = f"outbox payload is not an outbound order: {error.errors()[0]['msg']}"
        with session_factory() as session, session.begin():
            dead_letter(session, message.id, error=reason, now=now)
        summary.dead.append((message.idempotency_key, reason))
        return
    key = outbound.idempotency_key
    try:
        with session_factory() as session, session.begin():
            first_try, withdraw, reached = _prepare(session, message, outbound, now)
            older = _older_live_revisions(session, outbound)
            if reached:  # a callback already reported it at the warehouse: nothing to send
                _mark_dispatched(session, outbound, "already reported by the warehouse", now)
                mark_sent(session, message.id, now=now)
        if reached:
            summary.sent.append(key)
            return
        if withdraw is not None:  # first_try: nothing of it can be at the warehouse
            state = await _stop_unsent(connector, key, withdraw, first_try=first_try, fence=fence)
            with session_factory() as session, session.begin():
                set_outbound_state(session, key, state, now=now)
                mark_sent(session, message.id, now=now)
            summary.withdrawn.append((key, withdraw))
            return
        for old_key in older:
            await _cancel_older(session_factory, connector, old_key, outbound, now, fence)
        receipt = await _create_once(connector, outbound, first_try=first_try, fence=fence)
    except RetryableError as error:
        _record_retry(
            session_factory, message, outbound, error, now, max_attempts, summary, on_silent
        )
        return
    except (FatalError, ChannelhubError) as error:
        _record_refusal(session_factory, message, outbound, _every_reason(error), now, summary)
        return
    if receipt.state is OutboundState.REJECTED:
        reason = f"the warehouse answered {receipt.state.value}"
        _record_refusal(session_factory, message, outbound, reason, now, summary)
        return
    for attempt in (1, 2):  # the order's status may move under us once (a callback)
        try:
            with session_factory() as session, session.begin():
                _record_accepted(session, message, outbound, receipt, now)
            break
        except StatusChanged:
            if attempt == 2:
                raise
    summary.sent.append(key)


def _record_accepted(
    session: Session,
    message: Claimed,
    outbound: OutboundOrder,
    receipt: OutboundReceipt,
    now: datetime,
) -> None:
    key = outbound.idempotency_key
    _, current = get_outbound(session, key)
    state = receipt.state if current in _NOT_AT_WAREHOUSE else current  # never go back
    if state is OutboundState.PENDING:
        state = OutboundState.ACCEPTED
    set_outbound_state(session, key, state, now=now, warehouse_order_id=receipt.warehouse_order_id)
    _mark_dispatched(session, outbound, f"as {receipt.warehouse_order_id}", now)
    mark_sent(session, message.id, now=now)


def _mark_dispatched(session: Session, outbound: OutboundOrder, detail: str, now: datetime) -> None:
    row = order_row(session, outbound.order_key)
    if row is not None:
        reason = f"{outbound.warehouse} accepted outbound {outbound.idempotency_key} {detail}"
        move_order(session, row, [HubStatus.DISPATCHED], reason=reason, now=now)


def _prepare(
    session: Session, message: Claimed, outbound: OutboundOrder, now: datetime
) -> tuple[bool, str | None, bool]:
    """Store the outbound (once) and decide: is this provably the first attempt (no earlier
    claim can have reached the warehouse), is there a reason it must not be sent, and has
    the warehouse already reported it (a shipment callback beat our own record)?"""
    stored = save_outbound(session, outbound, now=now)
    first_try = stored.is_new and message.attempts == 1
    _, state = get_outbound(session, outbound.idempotency_key)
    if state is OutboundState.CANCELLED:
        # Already cancelled (an intercept answered while this waited for a retry): there is
        # nothing left to stop at the warehouse, hence "first try" for the withdrawal.
        return True, "it was cancelled before it was sent", False
    if state not in _NOT_AT_WAREHOUSE:
        return first_try, None, True
    if state is not OutboundState.PENDING:
        return first_try, None, False
    newer = _newer_revision(session, outbound)
    if newer is not None:
        return first_try, f"superseded by {newer} before it was sent", False
    cancel = session.scalar(
        select(OutboxMessage.id).where(
            OutboxMessage.idempotency_key == cancel_message_key(outbound.idempotency_key)
        )
    )
    if cancel is not None:
        return first_try, "its cancel was requested before it was sent", False
    return first_try, None, False


def _newer_revision(session: Session, outbound: OutboundOrder) -> str | None:
    """The key of a higher revision of the same order queued in the outbox, if any."""
    queued = session.execute(
        select(OutboxMessage.idempotency_key, OutboxMessage.payload).where(
            OutboxMessage.kind == OUTBOUND_CREATE,
            OutboxMessage.idempotency_key.like(f"{outbound.order_key}#p%"),
        )
    )
    for key, payload in queued:
        if int(payload.get("revision", 1)) > outbound.revision:
            return str(key)
    return None


async def _stop_unsent(
    connector: Warehouse, key: str, reason: str, *, first_try: bool, fence: Fence = no_fence
) -> OutboundState:
    """Withdraw an outbound we decided not to send. An earlier attempt may have reached the
    warehouse (a crash mid-send), so unless this is the first, cancel it there too."""
    if first_try:
        return OutboundState.CANCELLED
    fence()
    try:
        return (await connector.cancel_outbound(key, reason=reason)).state
    except NotFoundError:
        return OutboundState.CANCELLED  # it never arrived


def _older_live_revisions(session: Session, outbound: OutboundOrder) -> list[str]:
    """Keys of older revisions of the same order that the warehouse may still ship."""
    rows = session.execute(
        select(OutboundOrderRow.idempotency_key, OutboundOrderRow.state)
        .where(
            OutboundOrderRow.order_key == outbound.order_key,
            OutboundOrderRow.revision < outbound.revision,
        )
        .order_by(OutboundOrderRow.revision, OutboundOrderRow.part)
    )
    return [key for key, state in rows if OutboundState(state) not in _GONE]


async def _cancel_older(
    session_factory: SessionFactory,
    connector: Warehouse,
    old_key: str,
    outbound: OutboundOrder,
    now: datetime,
    fence: Fence = no_fence,
) -> None:
    """Cancel an older revision before its replacement is sent; record the answer.

    Raises RetryableError while the warehouse has not confirmed, FatalError when it is too
    late (the replacement must not ship beside the original).
    """
    with session_factory() as session:
        _, state = get_outbound(session, old_key)
    if state is not OutboundState.CANCEL_REQUESTED:
        reason = f"replaced by revision {outbound.revision} ({outbound.idempotency_key})"
        fence()
        try:
            state = (await connector.cancel_outbound(old_key, reason=reason)).state
        except NotFoundError:
            state = OutboundState.CANCELLED  # it never reached the warehouse
        with session_factory() as session, session.begin():
            set_outbound_state(session, old_key, state, now=now)
    if state is OutboundState.CANCEL_TOO_LATE:
        raise FatalError(
            f"revision {old_key} could not be cancelled (too late at the warehouse), so its "
            f"replacement {outbound.idempotency_key} is not sent"
        )
    if state is not OutboundState.CANCELLED:
        raise RetryableError(f"waiting for the warehouse to confirm the cancel of {old_key}")


async def _create_once(
    connector: Warehouse, outbound: OutboundOrder, *, first_try: bool, fence: Fence = no_fence
) -> OutboundReceipt:
    """Create the outbound; on a repeat to a warehouse without idempotency, read back first."""
    if not first_try and Capability.IDEMPOTENT_OUTBOUND not in connector.capabilities:
        require(connector, Capability.OUTBOUND_STATUS)
        try:
            status = await connector.get_outbound(outbound.idempotency_key)
        except NotFoundError:
            pass  # an earlier attempt never reached it: safe to create
        else:
            if status.warehouse_order_id is not None:
                return OutboundReceipt(
                    idempotency_key=outbound.idempotency_key,
                    warehouse_order_id=status.warehouse_order_id,
                    state=status.state,
                    created=False,
                )
    fence()
    return await connector.create_outbound(outbound)


def _every_reason(error: Exception) -> str:
    """All of a refusal's reasons (InvalidInput keeps one sentence per problem)."""
    if isinstance(error, InvalidInput) and len(error.problems) > 1:
        head = f"{error.source}: " if error.source else ""
        return head + "; ".join(error.problems)
    return str(error)


def _record_retry(
    session_factory: SessionFactory,
    message: Claimed,
    outbound: OutboundOrder,
    error: RetryableError,
    now: datetime,
    max_attempts: int,
    summary: DispatchSummary,
    on_silent: OnSilent,
) -> None:
    """Record a retryable failure: retried later, or dead and the order to exception."""

    def given_up(session: Session, state: OutboxState) -> None:
        if state is OutboxState.DEAD:
            reason = f"outbound {outbound.idempotency_key} gave up after {message.attempts} tries"
            _to_exception(session, outbound, f"{reason}: {error}", now)

    state = record_retry(
        session_factory,
        message,
        error,
        now=now,
        max_attempts=max_attempts,
        on_silent=on_silent,
        with_state=given_up,
    )
    failed = (outbound.idempotency_key, str(error))
    (summary.dead if state is OutboxState.DEAD else summary.retrying).append(failed)


def _hand_back(
    session_factory: SessionFactory,
    message: Claimed,
    why: str,
    retry_at: datetime,
    now: datetime,
    summary: DispatchSummary,
) -> None:
    """A message whose warehouse gave no answer earlier in this run: handed back untried (no
    attempt counted), due with the one that failed, instead of spending the retry budget
    (seconds a message) on every other order of a warehouse that is down."""
    error = f"not sent: {message.target} gave no answer earlier in this run ({why})"
    with session_factory() as session, session.begin():
        release_untried(session, message.id, retry_at=retry_at, error=error, now=now)
    summary.deferred.append((message.idempotency_key, error))


def _record_refusal(
    session_factory: SessionFactory,
    message: Claimed,
    outbound: OutboundOrder,
    error: str,
    now: datetime,
    summary: DispatchSummary,
) -> None:
    """A rejection or fatal error: outbound rejected, order to exception, message dead."""
    key = outbound.idempotency_key
    with session_factory() as session, session.begin():
        set_outbound_state(session, key, OutboundState.REJECTED, now=now)
        reason = f"warehouse {outbound.warehouse} refused outbound {key}: {error}"
        _to_exception(session, outbound, reason, now)
        dead_letter(session, message.id, error=error, now=now)
    summary.dead.append((key, error))


def _to_exception(session: Session, outbound: OutboundOrder, reason: str, now: datetime) -> None:
    row = order_row(session, outbound.order_key)
    if row is not None:
        move_order(session, row, [HubStatus.EXCEPTION], reason=reason, now=now)
