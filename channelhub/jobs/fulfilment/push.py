"""The outbox sender for tracking: one fulfilment per package to its channel, verified.

Each message (queued by :func:`channelhub.jobs.fulfilment.shipments.apply_shipment`, keyed by
order + tracking number) becomes one ``push_fulfilment`` call with the carrier in the channel's own
words (``channelhub.mappings.carriers``; an unmapped carrier is a listed failure, never a
guess). Afterwards the order is read back (``get_fulfilments``) and the message only counts
as sent when the tracking number is really there — unless the channel's answer already was
its own record of it (``recorded``: Shopify's ``fulfillmentCreate`` echoes the fulfilment it
stored; a package the connector found by reading the order), which a read-back would only
repeat — or the channel's order reads carry the order's fulfilments (Amazon's): then the
next read of the order the hub makes anyway confirms it, and the message waits ``sending``
till then, read back only if no read shows it in time
(:mod:`~channelhub.jobs.fulfilment.confirmations`). A retry after an unclear outcome reads
back first, so a crash between the channel's "ok" and our commit never pushes twice.
Failures keep the channel's reason and stay in the outbox to retry or replay. Each push is
preceded by ``fence()`` (:mod:`channelhub.jobs.engine.fencing`): a run whose lease was taken over
stops before it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from channelhub.connectors.errors import FatalError, RetryableError
from channelhub.connectors.results import FulfilmentPush
from channelhub.connectors.roles import Capability, SalesChannel, require
from channelhub.core.errors import ChannelhubError
from channelhub.core.fulfilment import Package
from channelhub.jobs.engine.fencing import Fence, no_fence
from channelhub.jobs.fulfilment.confirmations import (
    CONFIRM_WITHIN,
    reads_showing_fulfilments,
    record_awaiting,
    record_pushed,
)
from channelhub.jobs.fulfilment.outbound import (
    FULFILMENT,
    Claimed,
    SessionFactory,
    claim,
    order_row,
    parse_order_key,
)
from channelhub.mappings.carriers import carrier_for
from channelhub.store.repos.outbox import (
    DEFAULT_MAX_ATTEMPTS,
    await_confirmation,
    dead_letter,
    mark_failed,
    mark_sent,
)
from channelhub.store.tables.outbox import OutboxMessage, OutboxState


@dataclass(frozen=True)
class PushFailure:
    """A fulfilment push that did not land, with the channel's (or the hub's) reason.

    ``state`` is ``failed`` (retried after a backoff) or ``dead`` (fix, then
    :func:`channelhub.store.repos.outbox.replay` ``message_id``).
    """

    message_id: int
    order_key: str
    tracking_number: str
    reason: str
    state: str


@dataclass
class PushSummary:
    """One run: tracking numbers now on their channel, and the failures."""

    pushed: list[str] = field(default_factory=list)
    failures: list[PushFailure] = field(default_factory=list)
    #: accepted by the channel, confirmed by the next read of their order
    #: (:mod:`~channelhub.jobs.fulfilment.confirmations`)
    awaiting: list[str] = field(default_factory=list)


class _Refused(Exception):
    """Internal: the push cannot succeed as it is (dead letter it)."""


class _NotYet(Exception):
    """Internal: the channel did not take it this time (retry later)."""


@dataclass(frozen=True)
class _Pushed:
    """A package the channel took: its fulfilment id there, the carrier code sent, and
    whether it is confirmed (read back, or the answer was the channel's record) or left to
    the next read of its order (:mod:`~channelhub.jobs.fulfilment.confirmations`)."""

    fulfilment_id: str | None
    code: str
    confirmed: bool = True


async def push_tracking(
    session_factory: SessionFactory,
    *,
    channels: Mapping[str, SalesChannel],
    now: datetime,
    limit: int = 50,
    claim_for: timedelta = timedelta(minutes=5),
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    carrier_overrides: Mapping[str, Mapping[str, str]] | None = None,
    fence: Fence = no_fence,
    confirm_within: timedelta | None = CONFIRM_WITHIN,
) -> PushSummary:
    """Send due fulfilment pushes to the channel accounts in ``channels``.

    ``channels`` is keyed ``<channel>:<account>``; ``carrier_overrides`` per channel platform
    (canonical carrier -> channel code) win over the shared tables (Temu's ids live there).
    ``confirm_within``: how long a push waits for the next read of its order to confirm it
    (:func:`~channelhub.jobs.fulfilment.confirmations.confirm_window`; None: read back at once).
    """
    summary = PushSummary()
    targets = {f"channel:{key}": key for key in channels}
    messages = claim(
        session_factory, now=now, limit=limit, targets=list(targets), claim_for=claim_for
    )
    for message in messages:
        connector = channels[targets[message.target]]
        number = str((message.payload.get("package") or {}).get("tracking_number", "?"))
        parent = _parent_of(session_factory, message)
        try:
            if message.kind != FULFILMENT:
                raise _Refused(f"no sender for outbox kind {message.kind!r} to {message.target}")
            pushed = await _push_one(
                connector,
                message,
                carrier_overrides or {},
                parent=parent,
                fence=fence,
                defer=confirm_within is not None,
            )
        except (_Refused, FatalError, ChannelhubError) as error:
            with session_factory() as session, session.begin():
                dead_letter(session, message.id, error=str(error), now=now)
            summary.failures.append(_failure(message, number, str(error), OutboxState.DEAD))
            continue
        except (_NotYet, RetryableError) as error:
            with session_factory() as session, session.begin():
                state = mark_failed(
                    session, message.id, error=str(error), now=now, max_attempts=max_attempts
                )
            summary.failures.append(_failure(message, number, str(error), state))
            continue
        with session_factory() as session, session.begin():
            if not pushed.confirmed and confirm_within is not None:  # the order's next read
                until = now + confirm_within
                record_awaiting(session, message.payload, number, pushed.code, until=until, now=now)
                await_confirmation(session, message.id, until=until, now=now)
                summary.awaiting.append(number)
                continue
            record_pushed(session, message.payload, number, pushed.code, pushed.fulfilment_id, now)
            mark_sent(session, message.id, now=now)
        summary.pushed.append(number)
    return summary


def _parent_of(session_factory: SessionFactory, message: Claimed) -> str | None:
    """The channel's parent order id of the message's order (Temu addresses a child order
    through its parent), None when it has none or the order is not in the hub."""
    order_key = message.payload.get("order_key")
    if not isinstance(order_key, str):
        return None
    with session_factory() as session:
        row = order_row(session, order_key)
        return row.parent_external_id if row is not None else None


async def _push_one(
    connector: SalesChannel,
    message: Claimed,
    carrier_overrides: Mapping[str, Mapping[str, str]],
    *,
    parent: str | None = None,
    fence: Fence = no_fence,
    defer: bool = True,
) -> _Pushed:
    """Push one package and verify it (or, ``defer``, leave that to the next read of its
    order where the channel's reads carry the order's fulfilments)."""
    try:
        package = Package.model_validate(message.payload["package"], strict=False)
        shipped_at = datetime.fromisoformat(str(message.payload["shipped_at"]))
        external_id = str(message.payload["order_external_id"])
        platform = parse_order_key(str(message.payload["order_key"])).channel
    except (KeyError, ValueError, ValidationError) as error:
        raise _Refused(f"outbox payload is not a fulfilment push: {error}") from None
    code = carrier_for(platform, package.carrier, overrides=carrier_overrides.get(platform))
    require(connector, Capability.PUSH_FULFILMENT)
    verifiable = Capability.READ_FULFILMENTS in connector.capabilities
    if message.attempts > 1 and verifiable:  # an earlier attempt may have landed
        found = await _fulfilment_with(connector, external_id, package.tracking_number)
        if found is not None:
            return _Pushed(found, code)
    push = FulfilmentPush(
        order_external_id=external_id,
        packages=(package.model_copy(update={"carrier": code}),),
        shipped_at=shipped_at,
        parent_external_id=parent,
    )
    fence()
    results = await connector.push_fulfilment(push)
    result = next((r for r in results if r.tracking_number == package.tracking_number), None)
    if result is None:
        raise _NotYet(f"the channel returned no result for {package.tracking_number}")
    if not (result.accepted or result.already_present):
        raise _NotYet(f"the channel refused {package.tracking_number}: {result.reason}")
    if not verifiable or (result.recorded and result.fulfilment_id is not None):
        return _Pushed(result.fulfilment_id, code)  # no read-back, or the answer was the record
    if defer and reads_showing_fulfilments(connector) is not None:
        return _Pushed(result.fulfilment_id, code, confirmed=False)
    found = await _fulfilment_with(connector, external_id, package.tracking_number)
    if found is None:
        raise _NotYet(
            f"the channel accepted {package.tracking_number} but it is not on order "
            f"{external_id} when read back"
        )
    return _Pushed(found, code)


async def _fulfilment_with(
    connector: SalesChannel, external_id: str, tracking_number: str
) -> str | None:
    for fulfilment in await connector.get_fulfilments(external_id):
        if fulfilment.tracking_number == tracking_number:
            return fulfilment.fulfilment_id
    return None


def _failure(message: Claimed, number: str, reason: str, state: OutboxState) -> PushFailure:
    order_key = str(message.payload.get("order_key", "?"))
    return PushFailure(message.id, order_key, number, reason, state.value)


def failed_pushes(session: Session, *, limit: int = 100) -> list[PushFailure]:
    """Fulfilment pushes waiting for a retry or dead, oldest first, with their reasons."""
    rows = session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.kind == FULFILMENT,
            OutboxMessage.state.in_([OutboxState.FAILED.value, OutboxState.DEAD.value]),
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    return [
        PushFailure(
            message_id=row.id,
            order_key=str(row.payload.get("order_key", "?")),
            tracking_number=str((row.payload.get("package") or {}).get("tracking_number", "?")),
            reason=row.last_error or "",
            state=row.state,
        )
        for row in rows
    ]
