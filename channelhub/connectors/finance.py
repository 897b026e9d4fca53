"""Reading a provider's money (the ``pull_finance`` job): one protocol, one windowed walk.

Every finance API the hub reads lists records by posted (or created) time and pages them with
a token. A connector that reads money implements :class:`FinanceReader` with
:func:`windowed_pages`: a run reads the window ``[after, before)`` stream after stream (Amazon:
transactions, then payouts; eBay the same; Shopify balance transactions, then payouts; ShipBob
transactions, then invoices), one page at a time, and every page carries the cursor that
resumes right after it (window, stream, page token) so the job commits the page's money with
its cursor in one transaction.

Lag-safe windows: ``before`` is held back ``lag`` before now (Amazon refuses anything later
than two minutes ago; every provider may post late into the recent past) and the next run
starts ``overlap`` before the last ``before``, so a record posted late is re-read, never lost;
the ledger's unique key makes the re-read a no-op.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from channelhub.connectors.errors import BadRequest
from channelhub.connectors.records import NextTokens, PageRecords
from channelhub.connectors.results import PageOf
from channelhub.core.errors import InvalidInput
from channelhub.core.settlement import ProviderRecord

#: One page of one stream: the records read (and set aside) and the next page's token.
Fetch = Callable[
    [str, datetime, datetime, str | None],
    Awaitable[tuple[PageRecords[ProviderRecord], str | None]],
]


@runtime_checkable
class FinanceReader(Protocol):
    """A connector that reads the money its provider moved for the account."""

    account: str

    def pull_money(
        self, cursor: str | None = None, *, since: datetime | None = None
    ) -> AsyncIterator[PageOf[ProviderRecord]]:
        """Pages of provider records from the cursor (or ``since`` on a first run)."""
        ...


@dataclass(frozen=True)
class FinanceWindow:
    """How far a first run reaches back, how much a run re-reads, how close to now it reads."""

    lookback: timedelta = timedelta(days=60)
    overlap: timedelta = timedelta(hours=6)
    lag: timedelta = timedelta(minutes=5)

    @classmethod
    def of(cls, settings: Any) -> FinanceWindow:
        """From an account's settings: ``finance_lookback_days``, ``finance_overlap_hours``."""
        try:
            lookback = float(settings.get("finance_lookback_days", 60))
            overlap = float(settings.get("finance_overlap_hours", 6))
        except (TypeError, ValueError):
            raise InvalidInput.field(
                "settings.finance_lookback_days/finance_overlap_hours",
                None,
                "must be numbers of days / hours",
            ) from None
        return cls(lookback=timedelta(days=lookback), overlap=timedelta(hours=overlap))


def encode(state: dict[str, Any]) -> str:
    return json.dumps(state, separators=(",", ":"), sort_keys=True)


async def windowed_pages(
    streams: Sequence[str],
    fetch: Fetch,
    cursor: str | None,
    *,
    since: datetime | None,
    now: datetime,
    window: FinanceWindow,
    account: str,
) -> AsyncIterator[PageOf[ProviderRecord]]:
    """Every page of every stream over the cursor's window (see the module docstring).

    The last page's cursor is ``{"watermark": before}``: the next run's window starts
    ``overlap`` before it. A page token the provider no longer takes (400) restarts that
    stream's window, which the ledger's dedupe makes harmless.
    """
    state: dict[str, Any] = json.loads(cursor) if cursor else {}
    if "stream" in state:
        after = datetime.fromisoformat(state["after"])
        before = datetime.fromisoformat(state["before"])
        index, token = int(state["stream"]), state.get("token")
    else:
        mark = state.get("watermark")
        resume = datetime.fromisoformat(mark) - window.overlap if mark else None
        after = resume or since or now - window.lookback
        before = now - window.lag
        index, token = 0, None
    if after >= before:  # nothing can have been posted yet: the watermark stays
        yield PageRecords[ProviderRecord]().page(encode({"watermark": before.isoformat()}), True)
        return
    tokens = NextTokens(f"finance {streams[index]}", account, token)
    while True:
        try:
            records, token = await fetch(streams[index], after, before, token)
        except BadRequest:
            if token is None:
                raise
            token = None  # a stale page token: read this stream's window again
            continue
        span = {"after": after.isoformat(), "before": before.isoformat()}
        if token:
            next_state: dict[str, Any] = {**span, "stream": index, "token": token}
        elif index + 1 < len(streams):
            next_state = {**span, "stream": index + 1, "token": None}
        else:
            next_state = {"watermark": before.isoformat()}
        done = "watermark" in next_state
        yield records.page(encode(next_state), done)
        if done:
            return
        if token:
            tokens.follow(token)
        else:
            index += 1
            tokens = NextTokens(f"finance {streams[index]}", account)
