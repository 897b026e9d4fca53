"""The hub's own order lifecycle, separate from the channel's status, as a state machine.

    new -> awaiting_pairing -> on_hold -> approved -> allocated -> dispatched
        -> partially_shipped -> shipped -> delivered, plus cancelled and exception.

Illegal transitions raise :class:`IllegalTransition`; every legal one returns a record with
its reason, which the store keeps as the order's history. Orders fulfilled by the channel
(FBA, Temu-fulfilled) skip dispatch: they go from ``new`` straight to the channel's outcome.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from pydantic import BaseModel, Field

from channelhub.core.errors import IllegalTransition
from channelhub.core.types import VALUE_CONFIG, UtcDatetime


class HubStatus(StrEnum):
    """Where an order is in the hub's own flow."""

    NEW = "new"
    AWAITING_PAIRING = "awaiting_pairing"
    ON_HOLD = "on_hold"
    APPROVED = "approved"
    ALLOCATED = "allocated"
    DISPATCHED = "dispatched"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    EXCEPTION = "exception"


S = HubStatus

#: Every legal move for a merchant-fulfilled order. ``exception`` is reachable from any open
#: state and leads back to review by hand.
MERCHANT_TRANSITIONS: Mapping[HubStatus, frozenset[HubStatus]] = {
    S.NEW: frozenset({S.AWAITING_PAIRING, S.ON_HOLD, S.APPROVED, S.CANCELLED, S.EXCEPTION}),
    S.AWAITING_PAIRING: frozenset({S.NEW, S.ON_HOLD, S.APPROVED, S.CANCELLED, S.EXCEPTION}),
    S.ON_HOLD: frozenset({S.NEW, S.AWAITING_PAIRING, S.APPROVED, S.CANCELLED, S.EXCEPTION}),
    S.APPROVED: frozenset({S.AWAITING_PAIRING, S.ON_HOLD, S.ALLOCATED, S.CANCELLED, S.EXCEPTION}),
    S.ALLOCATED: frozenset({S.APPROVED, S.ON_HOLD, S.DISPATCHED, S.CANCELLED, S.EXCEPTION}),
    # After dispatch only the warehouse can stop it: intercept success -> on_hold / cancelled.
    S.DISPATCHED: frozenset({S.PARTIALLY_SHIPPED, S.SHIPPED, S.ON_HOLD, S.CANCELLED, S.EXCEPTION}),
    S.PARTIALLY_SHIPPED: frozenset({S.SHIPPED, S.DELIVERED, S.EXCEPTION}),
    S.SHIPPED: frozenset({S.DELIVERED, S.EXCEPTION}),
    S.DELIVERED: frozenset({S.EXCEPTION}),
    S.CANCELLED: frozenset(),
    # DISPATCHED: a refused outbound order replayed after the seller fixed it was accepted.
    S.EXCEPTION: frozenset({S.NEW, S.ON_HOLD, S.APPROVED, S.DISPATCHED, S.CANCELLED, S.SHIPPED}),
}

#: Orders the channel fulfils itself are imported for accounting and never dispatched.
CHANNEL_TRANSITIONS: Mapping[HubStatus, frozenset[HubStatus]] = {
    S.NEW: frozenset({S.SHIPPED, S.DELIVERED, S.CANCELLED, S.EXCEPTION}),
    S.SHIPPED: frozenset({S.DELIVERED, S.CANCELLED, S.EXCEPTION}),
    S.DELIVERED: frozenset({S.EXCEPTION}),
    S.CANCELLED: frozenset(),
    S.EXCEPTION: frozenset({S.NEW, S.SHIPPED, S.DELIVERED, S.CANCELLED}),
}

OPEN_STATUSES: frozenset[HubStatus] = frozenset(
    {S.NEW, S.AWAITING_PAIRING, S.ON_HOLD, S.APPROVED, S.ALLOCATED}
)
"""Statuses in which the hub may still change the order without asking a warehouse."""

TERMINAL_STATUSES: frozenset[HubStatus] = frozenset({S.DELIVERED, S.CANCELLED})


class Transition(BaseModel):
    """One recorded move of an order: from, to, why, when and by whom."""

    model_config = VALUE_CONFIG

    from_status: HubStatus
    to_status: HubStatus
    reason: str = Field(min_length=1)
    at: UtcDatetime
    actor: str = "hub"


def allowed_targets(current: HubStatus, *, channel_fulfilled: bool = False) -> frozenset[HubStatus]:
    """The statuses an order in ``current`` may move to."""
    table = CHANNEL_TRANSITIONS if channel_fulfilled else MERCHANT_TRANSITIONS
    return table.get(current, frozenset())


def transition(
    current: HubStatus,
    target: HubStatus,
    *,
    reason: str,
    at: UtcDatetime,
    actor: str = "hub",
    channel_fulfilled: bool = False,
    subject: str | None = None,
) -> Transition:
    """Check and record one move; raise IllegalTransition when the lifecycle forbids it."""
    if target not in allowed_targets(current, channel_fulfilled=channel_fulfilled):
        raise IllegalTransition(current.value, target.value, subject=subject)
    if not reason.strip():
        raise ValueError("a transition needs a reason")
    return Transition(from_status=current, to_status=target, reason=reason, at=at, actor=actor)
