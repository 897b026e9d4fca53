"""Holding an order that already reached its warehouse, and releasing it (Amazon MCF's
``fulfillmentAction`` Hold / Ship), through the outbox like intercepts.

Before this, the only way to stop a dispatched order was an intercept, which cancels it at the
warehouse. A warehouse that can hold (``HOLD_OUTBOUND``) lets a person (or a review) pause the
order there instead, keeping its reservation, and release it later without sending it again.

:func:`request_warehouse_hold` queues one message per live outbound of a dispatched order,
``<outbound key>#hold<n>`` or ``#release<n>`` (n counts that outbound's earlier holds and
releases, so asking twice in a row queues one, and a later hold after a release queues anew);
the dispatch run sends it (:func:`send_hold`). The order keeps its status (the warehouse still
holds it, and its units stay reserved); its record says who asked, and what the warehouse
answered. A warehouse without ``HOLD_OUTBOUND``, or one that answers too late (picking began),
dead-letters the message with that reason, recorded on the order: intercept instead.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from channelhub.connectors.errors import FatalError, RetryableError
from channelhub.connectors.roles import Capability, HoldingWarehouse, Warehouse
from channelhub.core.errors import ChannelhubError, InvalidInput, NotFound
from channelhub.core.fulfilment import OutboundState
from channelhub.core.lifecycle import HubStatus
from channelhub.core.order import OrderKey
from channelhub.jobs.engine.fencing import Fence, no_fence
from channelhub.jobs.fulfilment.outbound import (
    Claimed,
    OnSilent,
    SessionFactory,
    order_row,
    record_retry,
    unheeded,
    warehouse_target,
)
from channelhub.store.repos.decisions import record_decision
from channelhub.store.repos.outbox import (
    DEFAULT_MAX_ATTEMPTS,
    dead_letter,
    enqueue,
    mark_sent,
)
from channelhub.store.tables.fulfilment import OutboundOrderRow
from channelhub.store.tables.outbox import OutboxMessage

OUTBOUND_HOLD = "outbound_order.hold"
OUTBOUND_RELEASE = "outbound_order.release"
#: Outbound states in which a warehouse may still hold the order (it has not shipped).
_HOLDABLE = frozenset({OutboundState.ACCEPTED, OutboundState.PICKING, OutboundState.PACKED})


def _next_key(session: Session, outbound_key: str, verb: str) -> str:
    """``<key>#hold<n>`` / ``#release<n>``: the last one again while it is the latest ask."""
    asked = session.execute(
        select(OutboxMessage.kind, func.count())
        .where(
            OutboxMessage.idempotency_key.like(f"{outbound_key}#%"),
            OutboxMessage.kind.in_([OUTBOUND_HOLD, OUTBOUND_RELEASE]),
        )
        .group_by(OutboxMessage.kind)
    ).all()
    counts = {kind: n for kind, n in asked}
    holds, releases = counts.get(OUTBOUND_HOLD, 0), counts.get(OUTBOUND_RELEASE, 0)
    if verb == "hold":
        return f"{outbound_key}#hold{holds if holds > releases else holds + 1}"
    return f"{outbound_key}#release{max(releases if releases >= holds else releases + 1, 1)}"


def request_warehouse_hold(
    session: Session,
    order_key: OrderKey,
    *,
    reason: str,
    now: datetime,
    actor: str = "hub",
    release: bool = False,
) -> list[str]:
    """Queue a hold (or, with ``release``, a release) of every live outbound of a dispatched
    order at its warehouse; returns the outbound keys. Runs in the caller's transaction."""
    if not reason.strip():
        raise InvalidInput.field("reason", reason, "must say why")
    row = order_row(session, str(order_key))
    if row is None:
        raise NotFound(f"order {order_key} is not in the hub")
    if HubStatus(row.hub_status) is not HubStatus.DISPATCHED:
        raise ChannelhubError(
            f"order {order_key} is {row.hub_status}: a warehouse hold is for a dispatched order "
            "(hold it in the hub before dispatch; after shipping it is too late)"
        )
    live = session.execute(
        select(OutboundOrderRow.idempotency_key, OutboundOrderRow.warehouse).where(
            OutboundOrderRow.order_key == str(order_key),
            OutboundOrderRow.state.in_([s.value for s in _HOLDABLE]),
        )
    ).all()
    if not live:
        raise ChannelhubError(f"order {order_key} has no outbound order a warehouse could hold")
    verb = "release" if release else "hold"
    for key, warehouse in live:
        enqueue(
            session,
            idempotency_key=_next_key(session, key, verb),
            target=warehouse_target(warehouse),
            kind=OUTBOUND_RELEASE if release else OUTBOUND_HOLD,
            payload={"idempotency_key": key, "order_key": str(order_key), "reason": reason},
            now=now,
        )
    record_decision(
        session,
        row.id,
        kind="warehouse_hold",
        reason=f"warehouse {verb} requested ({reason})",
        at=now,
        actor=actor,
        detail={"outbound_keys": [key for key, _ in live], "release": release},
    )
    return [key for key, _ in live]


def _record(session: Session, message: Claimed, text: str, now: datetime) -> None:
    row = order_row(session, str(message.payload.get("order_key")))
    if row is not None:
        record_decision(
            session, row.id, kind="warehouse_hold", reason=text, at=now, actor="warehouse"
        )


async def send_hold(
    session_factory: SessionFactory,
    message: Claimed,
    connector: Warehouse,
    *,
    now: datetime,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    fence: Fence = no_fence,
    on_silent: OnSilent = unheeded,
) -> str:
    """Send one claimed hold or release; returns the warehouse's state word or the outbox's
    (``on_silent``: told when the warehouse gave no answer at all)."""
    key = str(message.payload.get("idempotency_key"))
    release = message.kind == OUTBOUND_RELEASE
    verb = "release" if release else "hold"
    if Capability.HOLD_OUTBOUND not in connector.capabilities or not isinstance(
        connector, HoldingWarehouse
    ):
        why = f"{connector.platform} cannot {verb} an accepted order: intercept it instead"
        with session_factory() as session, session.begin():
            _record(session, message, f"{verb} of {key} not sent: {why}", now)
            dead_letter(session, message.id, error=why, now=now)
        return "dead"
    fence()
    try:
        if release:
            state = await connector.release_outbound(key)
        else:
            state = await connector.hold_outbound(key, reason=str(message.payload.get("reason")))
    except RetryableError as error:
        done = record_retry(
            session_factory, message, error, now=now, max_attempts=max_attempts, on_silent=on_silent
        )
        return done.value
    except (FatalError, ChannelhubError) as error:
        with session_factory() as session, session.begin():
            _record(session, message, f"the warehouse refused the {verb} of {key}: {error}", now)
            dead_letter(session, message.id, error=str(error), now=now)
        return "dead"
    with session_factory() as session, session.begin():
        done_verb = "released" if release else "holds"
        _record(session, message, f"the warehouse {done_verb} {key} (now {state.value})", now)
        mark_sent(session, message.id, now=now)
    return state.value
