"""The gate every inbound route passes: source budget, account, body limit, refusal evidence.

:meth:`Gate.admit` answers 429 to a source out of refusals before anything else, finds the
account (404), gets its shared connector (a misconfigured account is one clear 503: the
platform retries once the seller fixes it) and reads the body within the route's limit (413).
:meth:`Gate.refuse` spends the source's budget and keeps bounded evidence
(:mod:`channelhub.api.evidence`) of a refused request. Database work runs in the thread pool:
the event loop only reads sockets and checks signatures.

:class:`AccountConnectors` builds each account's connector once and shares it between
requests (an eBay key cache, an HTTP client), rebuilding it when the account row changes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool

from channelhub.api.evidence import evidence
from channelhub.api.limits import InboundLimits, RefusalLimiter, TooLarge, read_body, source_of
from channelhub.core.errors import ChannelhubError, NotFound
from channelhub.jobs.accounts.connectors import ConnectorFactoryFn
from channelhub.jobs.engine.runner import SessionFactory
from channelhub.store.repos.accounts import get_account
from channelhub.store.repos.refusals import record_refusal
from channelhub.store.tables.accounts import Account

log = logging.getLogger(__name__)
#: More account names than this in the row cache: it starts again (unknown names are not kept).
MAX_CACHED_ACCOUNTS = 10_000


class AccountConnectors:
    """One connector per account, built on first use and kept while the row is unchanged.
    A connector that can dedupe deliveries in memory is told the store does it: only a
    delivery actually stored may make its redelivery a duplicate."""

    def __init__(self, factory: ConnectorFactoryFn) -> None:
        self._factory = factory
        self._built: dict[str, tuple[tuple[Any, ...], Any]] = {}
        self._retired: list[Any] = []
        self.builds = 0

    @staticmethod
    def _fingerprint(row: Account) -> tuple[Any, ...]:
        return (row.id, row.platform, getattr(row, "updated_at", None))

    def get(self, row: Account) -> Any:
        """The account's connector (raises the factory's error for a misconfigured account)."""
        fingerprint = self._fingerprint(row)
        found = self._built.get(row.name)
        if found is not None and found[0] == fingerprint:
            return found[1]
        connector = self._factory(row)
        self.builds += 1
        if hasattr(connector, "use_store_dedupe"):  # the store dedupes, after storing
            connector.use_store_dedupe()
        if found is not None:
            self._retired.append(found[1])
        self._built[row.name] = (fingerprint, connector)
        return connector

    async def aclose(self) -> None:
        """Close every connector built (at app shutdown)."""
        every = [c for _, c in self._built.values()] + self._retired
        self._built.clear()
        self._retired.clear()
        for connector in {id(c): c for c in every}.values():
            close = getattr(connector, "aclose", None)
            if close is not None:
                await close()


@dataclass
class Admitted:
    """An account's request that passed the gate: its row, connector, body and source."""

    row: Account
    connector: Any
    body: bytes
    source: str


class Gate:
    """See the module docstring; one per app."""

    def __init__(
        self,
        session_factory: SessionFactory,
        connectors: AccountConnectors,
        limits: InboundLimits,
        limiter: RefusalLimiter,
        now: Any,
    ) -> None:
        self._session_factory = session_factory
        self.connectors = connectors
        self.limits = limits
        self.limiter = limiter
        self._now = now
        self._rows: dict[str, tuple[float, Account]] = {}
        self._reading: dict[str, asyncio.Future[Account | None]] = {}

    def _lookup(self, account: str) -> Account | None:
        try:
            with self._session_factory() as session:
                row = get_account(session, account)
                session.expunge(row)
                return row
        except NotFound:
            return None

    async def account(self, name: str) -> Account | None:
        """The account row, reused for ``account_cache_seconds`` (a burst reads it once:
        requests arriving while it is read wait for that one read)."""
        at = time.monotonic()
        cached = self._rows.get(name)
        if cached is not None and at - cached[0] < self.limits.account_cache_seconds:
            return cached[1]
        reading = self._reading.get(name)
        if reading is not None:
            return await asyncio.shield(reading)
        reading = asyncio.get_running_loop().create_future()
        self._reading[name] = reading
        try:
            row = await run_in_threadpool(self._lookup, name)
        except BaseException as exc:
            reading.set_exception(exc)
            reading.exception()  # retrieved: only the waiters, if any, raise it
            raise
        finally:
            del self._reading[name]
        if row is not None:
            if len(self._rows) >= MAX_CACHED_ACCOUNTS:
                self._rows.clear()
            self._rows[name] = (at, row)
        reading.set_result(row)
        return row

    async def warm(self, names: list[str]) -> int:
        """Read these accounts and build their connectors now (at start), so the first
        deliveries of a burst do not pay for it; a misconfigured account is left for its
        requests to answer 503. Returns how many connectors were built."""
        built = 0
        for name in names:
            row = await self.account(name)
            if row is None:
                continue
            try:
                await run_in_threadpool(self.connectors.get, row)
            except ChannelhubError as exc:
                log.warning("%s account %s not ready for inbound requests: %s",
                            row.platform, name, exc)  # fmt: skip
                continue
            built += 1
        return built

    async def admit(
        self, request: Request, account: str, *, route: str, platform: str | None = None
    ) -> Admitted:
        source = source_of(request, self.limits.trusted_proxies)
        wait = self.limiter.retry_after(source)
        if wait is not None:
            raise HTTPException(
                status_code=429,
                detail="too many refused requests",
                headers={"Retry-After": str(wait)},
            )
        row = await self.account(account)
        if row is None or (platform is not None and row.platform != platform):
            self.limiter.refused(source)
            what = "unknown account" if row is None else f"account is not a {platform} account"
            raise HTTPException(status_code=404, detail=what)
        try:
            connector = self.connectors.get(row)
        except ChannelhubError as exc:
            log.warning("%s %s for %s not taken: %s", row.platform, route, account, exc)
            raise HTTPException(
                status_code=503,
                detail=f"account {account} is not configured to take this "
                "(see `channelhub accounts check`)",
            ) from None
        limit = (
            self.limits.callback_max_bytes if route == "callback" else self.limits.webhook_max_bytes
        )
        try:
            body = await read_body(request, limit, keep_head=self.limits.evidence_head_bytes)
        except TooLarge as exc:
            fields = evidence(
                body=exc.head,
                size=exc.declared if exc.declared is not None else exc.seen,
                head_bytes=self.limits.evidence_head_bytes,
                headers=request.headers,
                reason=str(exc),
                complete=False,
            )
            raise await self._refusal(row, route, source, 413, fields) from None
        return Admitted(row, connector, body, source)

    async def refuse(self, admitted: Admitted, request: Request, route: str, reason: str) -> Any:
        """The 401 for a refused delivery, after keeping its evidence (raise it)."""
        fields = evidence(
            body=admitted.body,
            head_bytes=self.limits.evidence_head_bytes,
            headers=request.headers,
            reason=reason,
        )
        return await self._refusal(admitted.row, route, admitted.source, 401, fields)

    async def _refusal(
        self, row: Account, route: str, source: str, status: int, fields: dict[str, Any]
    ) -> HTTPException:
        self.limiter.refused(source)
        now: datetime = self._now()

        def keep() -> int:
            with self._session_factory.begin() as session:
                return record_refusal(
                    session,
                    cap=self.limits.evidence_per_account,
                    retention=self.limits.evidence_retention,
                    now=now,
                    account=row.name,
                    platform=row.platform,
                    route=route,
                    source=source,
                    status=status,
                    **fields,
                )

        kept = await run_in_threadpool(keep)
        log.warning(
            "%s %s for %s refused (%d, evidence %d, from %s): %s",
            row.platform, route, row.name, status, kept, source, fields["reason"],
        )  # fmt: skip
        detail = "body too large" if status == 413 else f"{route} refused"
        return HTTPException(status_code=status, detail=detail)
