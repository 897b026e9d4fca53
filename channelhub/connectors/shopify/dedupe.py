"""Webhook delivery dedupe: Shopify delivers at least once, with one ``X-Shopify-Webhook-Id``.

The connector takes any object with ``seen(id) -> bool`` that records the id and says whether
it was already there *in one step* (an insert that fails on a duplicate key), never a
check-then-insert. The store-backed one lives with the store; the in-memory one here serves
tests and a single-process demo only.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Protocol


class WebhookDedupe(Protocol):
    def seen(self, webhook_id: str) -> bool:
        """Record ``webhook_id``; True when it had been recorded before (a duplicate)."""
        ...


class InMemoryWebhookDedupe:
    """Process-local dedupe (tests, demo): forgets everything on restart, and all but the
    last ``keep`` ids (a connector shared by the app for days must not grow without bound;
    the store's dedupe is the one that counts)."""

    def __init__(self, keep: int = 10_000) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._keep = keep

    def seen(self, webhook_id: str) -> bool:
        if webhook_id in self._ids:
            return True
        self._ids[webhook_id] = None
        if len(self._ids) > self._keep:
            self._ids.popitem(last=False)
        return False


class StoreDedupe:
    """For a caller that dedupes in its database after storing (the hub's HTTP app): records
    nothing here, so a delivery the store failed to keep is not answered "duplicate" on the
    platform's retry."""

    def seen(self, webhook_id: str) -> bool:
        return False
