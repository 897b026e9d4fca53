"""Tracking pushes confirmed by the channel's next read of the order, not by a read of their own.

Why: on Amazon a push cost three calls, two of them ``getOrder`` (the packages before the push,
since ``confirmShipment`` has no idempotency key; the read-back after it), against getOrder's
0.5 requests a second, which the ORDER_CHANGE read-backs share. Yet every read of an order the
hub makes anyway (an import page, a notification's read-back) carries its packages. So for a
channel that says so (``Capability.FULFILMENTS_IN_ORDERS``), a push the channel accepted
without answering with its record is left ``sending``, its claim held for
:data:`CONFIRM_WITHIN` so no run takes it again meanwhile, and the first read of its order that
shows its tracking number marks it sent (:func:`confirm_from_reads`, in that read's
transaction), with the same ``tracking_pushed`` decision a read-back records. When no read
shows it in time, the claim lapses and the push job takes it again as a retry, which reads the
order back before anything else (found: sent without pushing; not found: pushed again). The
verify-after-push rule stands: its read is deferred and shared, never skipped.

A read that shows the tracking number of a push some run is still sending marks it sent too
(the number is on the channel, whoever put it there); that run then records its own outcome
on top, and a failure it records is healed by the retry's read-first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from channelhub.connectors.results import ChannelFulfilment, RawRecord
from channelhub.connectors.roles import Capability, ShowsFulfilments
from channelhub.jobs.fulfilment.outbound import FULFILMENT, order_row, parse_order_key
from channelhub.store.repos.decisions import record_decision
from channelhub.store.repos.outbox import mark_sent
from channelhub.store.tables.outbox import OutboxMessage, OutboxState

#: How long an accepted push waits for a read of its order to show it before the push job
#: reads it back itself, with the default import interval (5 minutes): three imports, short
#: enough that a push the channel lost is sent again the same hour.
CONFIRM_WITHIN = timedelta(minutes=15)
#: How long after a change an import can see it: Amazon's searchOrders window must end 2
#: minutes before now, and a run takes a while.
IMPORT_LAG = timedelta(minutes=3)


def confirm_window(import_every: timedelta | None) -> timedelta | None:
    """How long a push waits for a read of its order, given how often the account's orders
    are imported (``[jobs.every] pull_orders``): two imports and their lag, at least
    :data:`CONFIRM_WITHIN`; None when imports are off (no read is coming: read back at once)."""
    if import_every is None or import_every <= timedelta(0):
        return None
    return max(CONFIRM_WITHIN, 2 * import_every + IMPORT_LAG)


def reads_showing_fulfilments(channel: object) -> ShowsFulfilments | None:
    """``channel`` when its order reads carry the orders' fulfilments (it declares
    ``FULFILMENTS_IN_ORDERS`` and can parse them), so they confirm its pushes; else None."""
    capabilities: frozenset[Capability] = getattr(channel, "capabilities", frozenset())
    if Capability.FULFILMENTS_IN_ORDERS in capabilities and isinstance(channel, ShowsFulfilments):
        return channel
    return None


def record_pushed(
    session: Session,
    payload: Mapping[str, Any],
    number: str,
    code: str,
    fulfilment_id: str | None,
    now: datetime,
) -> None:
    """The ``tracking_pushed`` decision on the push's order (when it is in the hub)."""
    order_key = str(payload["order_key"])
    row = order_row(session, order_key)
    if row is not None:
        key = parse_order_key(order_key)
        record_decision(
            session,
            row.id,
            kind="tracking_pushed",
            reason=f"tracking {number} ({code}) is on {key.channel}:{key.account}",
            at=now,
            actor="push_tracking",
            detail={"tracking_number": number, "fulfilment_id": fulfilment_id},
        )


def record_awaiting(
    session: Session,
    payload: Mapping[str, Any],
    number: str,
    code: str,
    *,
    until: datetime,
    now: datetime,
) -> None:
    """The ``tracking_sent`` decision on the push's order: the channel took it, and what
    confirms it (the order's next read, else a read-back from ``until``)."""
    order_key = str(payload["order_key"])
    row = order_row(session, order_key)
    if row is not None:
        key = parse_order_key(order_key)
        by = f"{until:%Y-%m-%d %H:%M} UTC"
        record_decision(
            session,
            row.id,
            kind="tracking_sent",
            reason=f"tracking {number} ({code}) accepted by {key.channel}:{key.account}; the "
            f"next read of the order confirms it, else it is read back from {by}",
            at=now,
            actor="push_tracking",
            detail={"tracking_number": number, "confirm_by": until.isoformat()},
        )


def confirm_from_reads(
    session: Session,
    channel: object,
    raws: Iterable[RawRecord],
    *,
    platform: str,
    account: str,
    now: datetime,
) -> list[str]:
    """Mark sent the pushes of ``platform``/``account`` still ``sending`` whose tracking
    number the orders just read (``raws``: their bodies) show; returns those numbers. Nothing
    is parsed when the channel does not confirm by reads or no push of it waits."""
    shows = reads_showing_fulfilments(channel)
    if shows is None:
        return []
    waiting = _waiting(session, f"channel:{platform}:{account}")
    if not waiting:
        return []
    wanted = {str(row.payload.get("order_external_id")) for row in waiting}
    shown: dict[str, Sequence[ChannelFulfilment]] = {}
    for raw in raws:
        if raw.external_id in wanted:
            shown[raw.external_id] = shows.fulfilments_shown(raw) or ()
    return _confirm(session, waiting, shown, now)


def _waiting(session: Session, target: str) -> list[OutboxMessage]:
    """The target's fulfilment pushes in ``sending`` (waiting for a read, or in flight)."""
    return list(
        session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.target == target,
                OutboxMessage.kind == FULFILMENT,
                OutboxMessage.state == OutboxState.SENDING.value,
            )
        )
    )


def _confirm(
    session: Session,
    waiting: Sequence[OutboxMessage],
    shown: Mapping[str, Sequence[ChannelFulfilment]],
    now: datetime,
) -> list[str]:
    confirmed = []
    for row in waiting:
        fulfilments = shown.get(str(row.payload.get("order_external_id")), ())
        package = row.payload.get("package") or {}
        number = str(package.get("tracking_number", ""))
        found = next((f for f in fulfilments if f.tracking_number == number), None)
        if found is None:
            continue
        code = found.carrier or str(package.get("carrier", ""))
        record_pushed(session, row.payload, number, code, found.fulfilment_id, now)
        mark_sent(session, row.id, now=now)
        confirmed.append(number)
    return confirmed
