"""The hub's :class:`~channelhub.connectors.observe.ConnectorObserver`: counts each account's
HTTP attempts per operation and hour and keeps the newest token expiry or refusal, in memory,
then :func:`save_usage` writes them in one transaction at the end of a run or check.

Cheap by design: one dict increment per attempt, a handful of upserts per run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from channelhub.store.repos.usage import add_usage, record_token


@dataclass
class TokenSeen:
    """The newest thing heard about one token."""

    at: datetime
    expires_at: datetime | None = None
    renews: bool = False
    refused_status: int | None = None


@dataclass
class AccountUsage:
    """One account's observer: counters keyed by (operation, hour), tokens by kind."""

    account: str
    now: Callable[[], datetime]
    calls: Counter[tuple[str, datetime]] = field(default_factory=Counter)
    throttled: Counter[tuple[str, datetime]] = field(default_factory=Counter)
    errors: Counter[tuple[str, datetime]] = field(default_factory=Counter)
    tokens: dict[str, TokenSeen] = field(default_factory=dict)
    rates: dict[str, float] = field(default_factory=dict)  # operation -> requests per second

    def on_call(
        self, operation: str, status: int | None, *, ok: bool, rate: float | None = None
    ) -> None:
        key = (operation, self.now().replace(minute=0, second=0, microsecond=0))
        if rate is not None:
            self.rates[operation] = rate
        self.calls[key] += 1
        if status == 429:
            self.throttled[key] += 1
        elif not ok:  # refused, failed or no answer; an expected 404 is no error
            self.errors[key] += 1

    def on_token(
        self,
        kind: str,
        *,
        expires_in: float | None = None,
        expires_at: datetime | None = None,
        renews: bool = False,
    ) -> None:
        now = self.now()
        if expires_at is None and expires_in is not None:
            expires_at = now + timedelta(seconds=expires_in)
        self.tokens[kind] = TokenSeen(at=now, expires_at=expires_at, renews=renews)

    def on_refused(self, kind: str, status: int) -> None:
        self.tokens[kind] = TokenSeen(at=self.now(), refused_status=status)


@dataclass
class UsageRecorder:
    """Hands each account its :class:`AccountUsage` (installed with ``observing(recorder)``)."""

    now: Callable[[], datetime]
    accounts: dict[str, AccountUsage] = field(default_factory=dict)

    def for_account(self, account: str) -> AccountUsage:
        if account not in self.accounts:
            self.accounts[account] = AccountUsage(account, self.now)
        return self.accounts[account]


def save_usage(session: Session, recorder: UsageRecorder) -> None:
    """Add the recorder's counts to ``api_usage`` and its tokens to ``account_tokens``."""
    for usage in recorder.accounts.values():
        for (operation, hour), calls in sorted(usage.calls.items()):
            add_usage(
                session,
                account=usage.account,
                operation=operation,
                hour=hour,
                calls=calls,
                throttled=usage.throttled[(operation, hour)],
                errors=usage.errors[(operation, hour)],
                rate=usage.rates.get(operation),
            )
        for kind, seen in sorted(usage.tokens.items()):
            record_token(
                session,
                account=usage.account,
                kind=kind,
                seen_at=seen.at,
                expires_at=seen.expires_at,
                renews=seen.renews,
                refused_status=seen.refused_status,
            )
