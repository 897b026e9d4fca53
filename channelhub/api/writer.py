"""Group commit of accepted webhook deliveries: one writer thread, one transaction per batch.

A route hands its verified delivery to :meth:`DeliveryWriter.store` and awaits the answer;
the writer thread takes every delivery waiting (up to ``max_batch``) and stores them in one
transaction (raw body archived, delivery row ``ON CONFLICT DO NOTHING``, pending), so a burst
costs one commit (one fsync on SQLite) per batch instead of one per request, and no request
thread waits on SQLite's lock. A batch that fails is retried one delivery at a time, so one
delivery's failure is that delivery's 503 alone. The answer is given only after the commit:
"accepted" means stored. The thread stops after a second idle and starts again on demand.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from channelhub.connectors.results import WebhookEvent
from channelhub.jobs.engine.runner import SessionFactory
from channelhub.store.repos.jobs import record_pending_deliveries
from channelhub.store.repos.payloads import store_raw_payloads

log = logging.getLogger(__name__)
IDLE_SECONDS = 1.0


@dataclass
class _Item:
    platform: str
    account: str
    event: WebhookEvent
    future: asyncio.Future[bool]
    loop: asyncio.AbstractEventLoop


class DeliveryWriter:
    """See the module docstring; ``lock`` serialises SQLite writers of this process."""

    def __init__(
        self,
        session_factory: SessionFactory,
        *,
        now: Callable[[], datetime],
        lock: contextlib.AbstractContextManager[Any],
        on_stored: Callable[[], None],
        max_batch: int = 256,
    ) -> None:
        self._session_factory = session_factory
        self._now = now
        self._lock = lock
        self._on_stored = on_stored
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._guard = threading.Lock()
        self._thread: threading.Thread | None = None
        self.batches = 0

    async def store(self, platform: str, account: str, event: WebhookEvent) -> bool:
        """Store one delivery; True when new, False for a duplicate (after the commit)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        self._queue.put(_Item(platform, account, event, future, loop))
        with self._guard:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="channelhub-delivery-writer", daemon=True
                )
                self._thread.start()
        return await future

    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._guard:
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            batch = [first]
            while len(batch) < self._max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._write_batch(batch)

    def _write_batch(self, batch: list[_Item]) -> None:
        try:
            results: list[bool | BaseException] = list(self._write(batch))
        except Exception:  # noqa: BLE001 - retried one by one: each gets its own answer
            results = []
            for item in batch:
                try:
                    results.extend(self._write([item]))
                except Exception as exc:  # noqa: BLE001 - that delivery's 503
                    log.warning("webhook %s for %s not stored: %s", item.event.event_id,
                                item.account, exc)  # fmt: skip
                    results.append(exc)
        self.batches += 1
        for item, result in zip(batch, results, strict=True):
            item.loop.call_soon_threadsafe(_settle, item.future, result)
        if any(result is True for result in results):
            self._on_stored()

    def _write(self, batch: list[_Item]) -> list[bool]:
        with self._lock, self._session_factory.begin() as session:
            now = self._now()
            payload_ids = store_raw_payloads(
                session,
                [
                    {
                        "platform": item.platform,
                        "account": item.account,
                        "kind": item.event.raw.kind,
                        "external_id": item.event.raw.external_id,
                        "received_at": item.event.raw.received_at,
                        "body": item.event.raw.body,
                    }
                    for item in batch
                ],
            )
            return record_pending_deliveries(
                session,
                [
                    {
                        "account": item.account,
                        "event_id": item.event.event_id[:255],
                        "topic": item.event.topic[:120],
                        "received_at": now,
                        "raw_payload_id": payload_id,
                        "platform": item.platform,
                    }
                    for item, payload_id in zip(batch, payload_ids, strict=True)
                ],
            )


def _settle(future: asyncio.Future[bool], result: bool | BaseException) -> None:
    if future.done():
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)
