"""Amazon orders as they happen: ORDER_CHANGE notifications read from the seller's SQS queue.

A notification is a hint, never the order: it names an order id, and the order is read back
with ``getOrder`` and stored through the same intake as an import (raw body archived,
:func:`~channelhub.jobs.orders.intake.intake_order`'s guarded upsert). Each pass
(:meth:`SqsOrderConsumer.poll_once`):

1. long-polls up to 10 messages;
2. reads each one: a body that is not an ORDER_CHANGE notification is set aside as a dead
   letter with its raw body (``jobs deadletters``) and deleted; a ``NotificationId`` already
   taken in (Amazon delivers at least once) is deleted unread;
3. reads each named order back once (several notifications for one order: one ``getOrder``),
   stores it and records the notification ids (``webhook_deliveries``, already processed) in one
   transaction, and only then deletes the messages. A failure to read (Amazon away, throttled)
   leaves the messages on the queue: SQS hands them out again after the visibility timeout.
   An order its mapping refuses is a dead letter with the order's raw body (replayable with
   ``channelhub jobs replay`` once fixed); an order Amazon does not know is one with the
   notification's body (evidence); both messages are then deleted.

The polling import stays on as the safety net (its cursor holds back and overlaps, so an order
whose notification was lost is still imported, only later). :func:`run_consumer` loops a
consumer until told to stop; ``channelhub run`` starts one per Amazon account with a queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from channelhub.connectors.amazon.sqs import NotificationQueue, QueueMessage
from channelhub.connectors.errors import ConnectorError
from channelhub.connectors.records import RecordRefused
from channelhub.connectors.results import Fetched, RawRecord
from channelhub.core.errors import InvalidInput
from channelhub.core.models import Order
from channelhub.jobs.engine.isolation import SetAside, archive
from channelhub.jobs.fulfilment.confirmations import confirm_from_reads
from channelhub.jobs.orders.intake import intake_order
from channelhub.mappings.amazon import OrderChange, order_change
from channelhub.store.repos.accounts import get_account, list_accounts
from channelhub.store.repos.jobs import record_webhook_delivery
from channelhub.store.tables.jobs import WebhookDelivery

log = logging.getLogger(__name__)

JOB_KIND = "sqs_orders"
TOPIC = "ORDER_CHANGE"
#: After a failed receive (the queue or the network away), wait this long before the next.
RETRY_SECONDS = 5.0


class OrderSource(Protocol):
    """What the consumer needs of the account's connector."""

    account: str

    async def get_order(self, external_id: str) -> Fetched[Order]: ...


@dataclass
class ConsumeCounts:
    """What one pass (or a whole run) did."""

    received: int = 0
    stored: int = 0  # orders read back and taken in
    duplicates: int = 0  # notifications already taken in
    dead_letters: int = 0
    deferred: int = 0  # left on the queue: read again after the visibility timeout

    def __iadd__(self, other: ConsumeCounts) -> ConsumeCounts:
        for name in ("received", "stored", "duplicates", "dead_letters", "deferred"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self


def _raw(message: QueueMessage, now: datetime, order_id: str | None = None) -> RawRecord:
    return RawRecord(
        kind="notification", external_id=order_id, body=message.body.encode(), received_at=now
    )


def read_notification(message: QueueMessage) -> OrderChange:
    """The ORDER_CHANGE a message carries, or :class:`InvalidInput` saying why not."""
    try:
        document: Any = json.loads(message.body, parse_float=Decimal)
    except ValueError as exc:
        raise InvalidInput.field(
            "SQS message", message.message_id, f"is not JSON ({exc})"
        ) from None
    return order_change(document, source=f"SQS message {message.message_id}")


class SqsOrderConsumer:
    """Takes one Amazon account's ORDER_CHANGE notifications in (see module docstring)."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        connector: OrderSource,
        queue: NotificationQueue,
        now: Callable[[], datetime],
        platform: str = "amazon",
    ) -> None:
        self._session_factory = session_factory
        self._connector = connector
        self.account = connector.account
        self.queue = queue
        self._now = now
        self.platform = platform
        self.counts = ConsumeCounts()

    def __repr__(self) -> str:
        return f"SqsOrderConsumer(account={self.account!r}, queue={self.queue!r})"

    def _set_aside(
        self, messages: list[QueueMessage], reason: str, *, order_id: str | None = None
    ) -> None:
        now = self._now()
        with self._session_factory.begin() as session:
            aside = SetAside(self.platform, self.account, JOB_KIND, now)
            for message in messages:
                raw = _raw(message, now, order_id)
                payload_id = archive(session, platform=self.platform, account=self.account, raw=raw)
                aside.record(
                    session,
                    subject="notification",
                    reason=reason,
                    external_id=order_id or message.message_id,
                    raw_payload_id=payload_id,
                    payload={"message_id": message.message_id},
                )

    def _seen(self, notification_ids: list[str]) -> set[str]:
        if not notification_ids:
            return set()
        with self._session_factory() as session:
            return set(
                session.scalars(
                    select(WebhookDelivery.event_id).where(
                        WebhookDelivery.account == self.account,
                        WebhookDelivery.event_id.in_(notification_ids),
                    )
                )
            )

    def _store(self, fetched: Fetched[Order], changes: list[OrderChange]) -> bool:
        """Take the order in and record its notifications, in one transaction."""
        now = self._now()
        with self._session_factory.begin() as session:
            aside = SetAside(self.platform, self.account, JOB_KIND, now)
            payload_id = archive(
                session, platform=self.platform, account=self.account, raw=fetched.raw
            )
            stored = aside.store(
                session,
                partial(intake_order, session, fetched.item, now=now, raw_payload_id=payload_id),
                subject="order",
                external_id=fetched.item.external_id,
                raw_payload_id=payload_id,
            )
            # a push waiting for this order's next read is confirmed by it
            confirm_from_reads(
                session,
                self._connector,
                [fetched.raw],
                platform=self.platform,
                account=self.account,
                now=now,
            )
            for change in changes:
                record_webhook_delivery(
                    session,
                    account=self.account,
                    event_id=change.notification_id,
                    topic=TOPIC,
                    received_at=now,
                    raw_payload_id=payload_id,
                    platform=self.platform,
                )
        return stored is not None

    async def _take_order(
        self, order_id: str, items: list[tuple[QueueMessage, OrderChange]]
    ) -> tuple[ConsumeCounts, list[QueueMessage]]:
        """Read one order back and store it; the messages that may now be deleted."""
        messages = [message for message, _ in items]
        try:
            fetched = await self._connector.get_order(order_id)
        except RecordRefused as refused:  # the order's own body, replayable once fixed
            with self._session_factory.begin() as session:
                aside = SetAside(self.platform, self.account, JOB_KIND, self._now())
                aside.failures(session, [refused.failure])
            return ConsumeCounts(dead_letters=1), messages
        except ConnectorError as exc:
            if exc.retryable:
                log.warning("amazon %s: order %s not read yet (%s); the notification stays "
                            "queued", self.account, order_id, type(exc).__name__)  # fmt: skip
                return ConsumeCounts(deferred=len(messages)), []
            self._set_aside(messages, f"getOrder refused: {exc}", order_id=order_id)
            return ConsumeCounts(dead_letters=len(messages)), messages
        if self._store(fetched, [change for _, change in items]):
            return ConsumeCounts(stored=1), messages
        return ConsumeCounts(dead_letters=1), messages  # filed by SetAside.store

    async def poll_once(self, wait_seconds: int | None = None) -> ConsumeCounts:
        """One receive (a long poll of up to ``wait_seconds``) and what it brought."""
        messages = await self.queue.receive(wait_seconds)
        counts = ConsumeCounts(received=len(messages))
        done: list[QueueMessage] = []
        readable: list[tuple[QueueMessage, OrderChange]] = []
        for message in messages:
            try:
                readable.append((message, read_notification(message)))
            except InvalidInput as exc:
                self._set_aside([message], str(exc))
                counts.dead_letters += 1
                done.append(message)
        seen = self._seen([change.notification_id for _, change in readable])
        by_order: dict[str, list[tuple[QueueMessage, OrderChange]]] = {}
        fresh_ids: set[str] = set()
        for message, change in readable:
            if change.notification_id in seen or change.notification_id in fresh_ids:
                counts.duplicates += 1
                done.append(message)
                continue
            fresh_ids.add(change.notification_id)
            by_order.setdefault(change.order_id, []).append((message, change))
        for order_id, items in by_order.items():
            taken, deletable = await self._take_order(order_id, items)
            counts += taken
            done += deletable
        if done:
            counts.deferred += await self.queue.delete(done)
        self.counts += counts
        return counts


async def run_consumer(
    consumer: SqsOrderConsumer,
    stop: asyncio.Event,
    *,
    passes: int | None = None,
) -> ConsumeCounts:
    """Poll until ``stop`` is set (or after ``passes`` receives); a failed receive waits
    :data:`RETRY_SECONDS` (or until stopped) and tries again. Returns what the run did."""
    done = 0
    while not stop.is_set() and (passes is None or done < passes):
        done += 1
        try:
            await consumer.poll_once()
        except Exception as exc:  # noqa: BLE001 - the queue or network is away: retry, said once
            log.warning("amazon %s: SQS receive failed (%s: %.200s); retrying in %.0f s",
                        consumer.account, type(exc).__name__, exc, RETRY_SECONDS)  # fmt: skip
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), RETRY_SECONDS)
    return consumer.counts


@dataclass
class Consumers:
    """The consumers ``channelhub run`` started: one task per account with a queue."""

    tasks: list[asyncio.Task[ConsumeCounts]]
    connectors: list[Any]

    async def stop(self, stop: asyncio.Event) -> None:
        """Let each finish its receive (at most its ``sqs_wait_seconds``), then close."""
        stop.set()
        try:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        finally:
            for connector in self.connectors:
                await connector.aclose()


def start_consumers(
    session_factory: sessionmaker[Session],
    *,
    connector_factory: Callable[[Any], Any],
    now: Callable[[], datetime],
    stop: asyncio.Event,
    passes: int | None = None,
) -> Consumers:
    """A consumer task for every Amazon account whose settings name an SQS queue."""
    with session_factory() as session:
        rows = [get_account(session, info.name) for info in list_accounts(session, "amazon")]
        session.expunge_all()
    consumers = Consumers([], [])
    for row in rows:
        if not (row.settings or {}).get("sqs_queue_url"):
            continue
        connector = connector_factory(row)
        queue = getattr(connector, "notification_queue", None)
        if not isinstance(queue, NotificationQueue):
            continue
        consumers.connectors.append(connector)
        consumer = SqsOrderConsumer(session_factory, connector=connector, queue=queue, now=now)
        consumers.tasks.append(
            asyncio.create_task(
                run_consumer(consumer, stop, passes=passes), name=f"sqs-orders-{row.name}"
            )
        )
        log.info("amazon %s: reading ORDER_CHANGE from %s", row.name, queue.settings.url)
    return consumers
