"""Webhook delivery dedupe: Shopify delivers at least once, with one ``X-Shopify-Webhook-Id``.

The connector takes any object with ``seen(id) -> bool`` that records the id and says whether
it was already there *in one step* (an insert that fails on a duplicate key), never a
check-then-insert. The store-backed one lives with the store; the in-memory one here serves
tests and a single-process demo only.
"""

from __future__ import annotations

from typing import Protocol


class WebhookDedupe(Protocol):
    def seen(self, webhook_id: str) -> bool:
        """Record ``webhook_id``; True when it had been recorded before (a duplicate)."""
        ...


class InMemoryWebhookDedupe:
    """Process-local dedupe (tests, demo): forgets everything on restart."""

    def __init__(self) -> None:
        self._ids: set[str] = set()

    def seen(self, webhook_id: str) -> bool:
        if webhook_id in self._ids:
            return True
        self._ids.add(webhook_id)
        return False
