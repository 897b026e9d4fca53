"""Notes a transaction leaves on its session for the engine to act on when it commits.

A repo that writes work for a job (an outbox message, a webhook delivery) notes it in
``session.info``; the distributed engine's commit hook (:mod:`channelhub.jobs.distributed.events`)
reads the notes inside the committing transaction and defers the jobs on the same connection,
so a rollback leaves no job and a commit never loses one. The embedded engine ignores them.
The notes are dropped when the root transaction ends (the hook clears them).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

#: outbox targets (``warehouse:CODE``, ``channel:PLATFORM:ACCOUNT``) given new due messages
OUTBOX_TARGETS_KEY = "channelhub.outbox_targets"
#: accounts with new webhook deliveries waiting for the intake
WEBHOOK_ACCOUNTS_KEY = "channelhub.webhook_accounts"
#: ``(platform, account, topic)`` of each new webhook delivery: a topic may call for a job of
#: its own (Shopify's ``bulk_operations/finish``: the account's order import)
WEBHOOK_TOPICS_KEY = "channelhub.webhook_topics"

NOTE_KEYS = (OUTBOX_TARGETS_KEY, WEBHOOK_ACCOUNTS_KEY, WEBHOOK_TOPICS_KEY)


def note(session: Session, key: str, values: Iterable[str]) -> None:
    """Add ``values`` to the note ``key`` of the session's current transaction."""
    found: set[str] = session.info.setdefault(key, set())
    found.update(values)


def take(session: Session, key: str) -> frozenset[str]:
    """The note ``key`` (emptied)."""
    return frozenset(session.info.pop(key, ()))


def note_topics(session: Session, rows: Iterable[tuple[str, str, str]]) -> None:
    """Add ``(platform, account, topic)`` rows to :data:`WEBHOOK_TOPICS_KEY`."""
    found: set[tuple[str, str, str]] = session.info.setdefault(WEBHOOK_TOPICS_KEY, set())
    found.update(rows)


def take_topics(session: Session) -> frozenset[tuple[str, str, str]]:
    """The :data:`WEBHOOK_TOPICS_KEY` note (emptied)."""
    return frozenset(session.info.pop(WEBHOOK_TOPICS_KEY, ()))
