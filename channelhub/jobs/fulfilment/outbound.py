"""What the dispatch, intercept and shipment jobs share: outbox kinds, keys and order moves.

The outbox message kinds are the ones the order pipeline writes (an outbound order per part
and revision, a cancel keyed ``<outbound key>#cancel``); the ledger references are the
reservations' (``<order key>#p<part>``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from channelhub.connectors.errors import RetryableError, TransportFailure
from channelhub.core.errors import InvalidInput
from channelhub.core.lifecycle import HubStatus, allowed_targets
from channelhub.core.order import OrderKey
from channelhub.core.reservations import open_reservations
from channelhub.jobs.orders.pipeline import open_movements
from channelhub.store.repos.orders import transition_order
from channelhub.store.repos.outbox import DEFAULT_MAX_ATTEMPTS, claim_due, mark_failed
from channelhub.store.tables.orders import OrderRow
from channelhub.store.tables.outbox import OutboxMessage, OutboxState

SessionFactory = Callable[[], Session]

FULFILMENT = "fulfilment"


def warehouse_target(code: str) -> str:
    """The outbox target of a warehouse: ``warehouse:US-EAST``."""
    return f"warehouse:{code}"


def channel_target(order_key: OrderKey) -> str:
    """The outbox target of a channel account: ``channel:shopify:shop-eu``."""
    return f"channel:{order_key.channel}:{order_key.account}"


def cancel_message_key(outbound_key: str) -> str:
    """The outbox key of the cancel of one outbound order (one cancel per outbound)."""
    return f"{outbound_key}#cancel"


def parse_order_key(text: str) -> OrderKey:
    """``channel:account:external_id`` back into an OrderKey (the external id may hold ':')."""
    parts = text.split(":", 2)
    if len(parts) != 3 or not all(parts):
        raise InvalidInput.field("order_key", text, "is not channel:account:external_id")
    return OrderKey(channel=parts[0], account=parts[1], external_id=parts[2])


@dataclass(frozen=True)
class Claimed:
    """A claimed outbox message, detached from its session (sending happens outside one)."""

    id: int
    idempotency_key: str
    kind: str
    target: str
    payload: dict[str, Any]
    attempts: int


#: Told why and until when a warehouse gave no answer at all, so the dispatch run hands its
#: other messages for that warehouse back untried (see :func:`record_retry`).
OnSilent = Callable[[str, datetime], None]


def unheeded(why: str, until: datetime) -> None:
    """An :data:`OnSilent` for a sender called on its own (nothing else to hold back)."""


def record_retry(
    session_factory: SessionFactory,
    message: Claimed,
    error: RetryableError,
    *,
    now: datetime,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    on_silent: OnSilent = unheeded,
    with_state: Callable[[Session, OutboxState], None] | None = None,
) -> OutboxState:
    """Record a retryable failure of ``message``; returns its state (failed, or dead after
    ``max_attempts``). When the warehouse gave no answer
    at all (:class:`~channelhub.connectors.errors.TransportFailure`) and the message will be
    tried again, ``on_silent`` is told why and when, whatever the message's kind: a cancel or
    a hold to a warehouse that is down says so as well as an order does. ``with_state`` runs
    in the same transaction, told the new state (an order given up on goes to exception with
    its message's death, atomically)."""
    with session_factory() as session, session.begin():
        state = mark_failed(
            session, message.id, error=str(error), now=now, max_attempts=max_attempts
        )
        if with_state is not None:
            with_state(session, state)
        silent = isinstance(error, TransportFailure) and state is OutboxState.FAILED
        row = session.get(OutboxMessage, message.id) if silent else None  # mark_failed's row
    if row is not None:
        on_silent(str(error), row.next_attempt_at)
    return state


def claim(
    session_factory: SessionFactory,
    *,
    now: datetime,
    limit: int,
    targets: Sequence[str],
    claim_for: timedelta,
) -> list[Claimed]:
    """Claim due messages of ``targets`` and commit the claim before anything is sent."""
    if not targets:
        return []
    with session_factory() as session, session.begin():
        rows = claim_due(session, now=now, limit=limit, claim_for=claim_for, targets=targets)
        return [
            Claimed(
                id=row.id,
                idempotency_key=row.idempotency_key,
                kind=row.kind,
                target=row.target,
                payload=dict(row.payload),
                attempts=row.attempts,
            )
            for row in rows
        ]


def order_row(session: Session, order_key: str) -> OrderRow | None:
    """The stored order behind an outbound's ``order_key`` (None when it is not in the hub)."""
    key = parse_order_key(order_key)
    return session.scalars(
        select(OrderRow).where(
            OrderRow.channel == key.channel,
            OrderRow.account == key.account,
            OrderRow.external_id == key.external_id,
        )
    ).one_or_none()


def move_order(
    session: Session,
    row: OrderRow,
    path: Sequence[HubStatus],
    *,
    reason: str,
    now: datetime,
    actor: str = "dispatch",
) -> bool:
    """Walk ``path`` from the order's status while the lifecycle allows each step.

    Steps the order has already reached are skipped; returns True when it moved at all. A
    forbidden step stops the walk (the caller records what it means) rather than raising:
    callbacks arrive late and out of order, and a late one must not undo a later state.
    """
    moved = False
    for target in path:
        current = HubStatus(row.hub_status)
        if current is target:
            continue
        if target not in allowed_targets(current, channel_fulfilled=row.fulfilled_by == "channel"):
            break
        transition_order(session, row.id, target, reason=reason, at=now, actor=actor)
        session.refresh(row)
        moved = True
    return moved


def held_for(session: Session, reference: str) -> dict[tuple[str, str], int]:
    """Units still reserved under one ledger reference (an order part), by (warehouse, sku)."""
    held: dict[tuple[str, str], int] = {}
    for (_, warehouse, sku), quantity in open_reservations(
        open_movements(session, reference), reference
    ).items():
        held[(warehouse, sku)] = held.get((warehouse, sku), 0) + quantity
    return held
