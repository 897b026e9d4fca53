"""Auth hooks: how a request gets its credentials, and per-account access-token refresh.

A hook belongs to one account's client. :class:`RefreshingToken` keeps that account's access
token in the instance (never in module state: a global cache is how one seller's token ends
up on another seller's request) and refreshes it from ``expires_in`` with a safety margin.
Concurrent callers that find it stale share one refresh through an ``asyncio.Lock``.

A connector lives for one job run, so a token kept only by it was fetched again by every run:
one token call for each of the hundreds of runs a day of an account whose stock push wakes on
every change. :class:`ProcessTokens` keeps them for the process instead, owned by its
connector factory (not module state) and keyed by platform, account, base URL, what the token
is for and a keyed digest of the credentials it was obtained with (:class:`TokenSlot`): a later
run's connector takes the token while it is fresh, its redactor learning it, and a token the
platform refused is dropped for every run. A changed credential is a different key. No library
offers this for httpx (authlib's clients keep a token per client, as this module did).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
import time
import weakref
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import httpx
from pydantic import SecretStr

from channelhub.connectors.errors import ContractViolation
from channelhub.connectors.http.ratelimit import Clock
from channelhub.connectors.observe import ConnectorObserver
from channelhub.core.redaction import SecretRedactor


@runtime_checkable
class AuthHook(Protocol):
    """Puts credentials on a request; told when the platform said 401."""

    async def apply(self, request: httpx.Request) -> httpx.Request:
        """Return the request to send (usually the same one with a header set).

        Signing schemes that rewrite the body (Temu's ``sign``) return a new request.
        """
        ...

    async def on_unauthorized(self) -> bool:
        """Forget cached credentials; True when one more attempt with fresh ones makes sense."""
        ...


class NoAuth:
    """For endpoints that need no credentials (and for tests)."""

    async def apply(self, request: httpx.Request) -> httpx.Request:
        return request

    async def on_unauthorized(self) -> bool:
        return False


@dataclass(frozen=True, repr=False)
class TokenGrant:
    """An access token as the token endpoint returned it."""

    access_token: SecretStr
    expires_in: float
    #: the refresh token's own lifetime when the platform states it (eBay's
    #: ``refresh_token_expires_in``); None: not told
    refresh_expires_in: float | None = None

    def __repr__(self) -> str:
        return f"TokenGrant(access_token=SecretStr('**********'), expires_in={self.expires_in})"

    @classmethod
    def from_oauth_response(cls, payload: Mapping[str, object]) -> TokenGrant:
        """Parse a standard OAuth2 token response (``access_token``, ``expires_in``)."""
        token = payload.get("access_token")
        expires_in = payload.get("expires_in")
        if not isinstance(token, str) or not token:
            raise ContractViolation("token response has no access_token")
        if isinstance(expires_in, str) and expires_in.isdigit():
            expires_in = int(expires_in)
        if not isinstance(expires_in, int | float) or isinstance(expires_in, bool):
            raise ContractViolation(f"token response has an unusable expires_in {expires_in!r}")
        refresh = payload.get("refresh_token_expires_in")
        if isinstance(refresh, str) and refresh.isdigit():
            refresh = int(refresh)
        if not isinstance(refresh, int | float) or isinstance(refresh, bool):
            refresh = None
        return cls(
            access_token=SecretStr(token),
            expires_in=float(expires_in),
            refresh_expires_in=None if refresh is None else float(refresh),
        )


TokenFetcher = Callable[[], Awaitable[TokenGrant]]
"""Calls the platform's token endpoint (refresh-token or client-credentials grant)."""


@dataclass(frozen=True, repr=False)
class HeldToken:
    """A token kept for the process, and when (on the connectors' clock) to refresh it."""

    token: SecretStr
    refresh_at: float


class ProcessTokens:
    """The tokens one process's connectors obtained, for the connectors of later job runs of
    the same account (see the module docstring). Thread-safe; never awaits, so one instance
    serves any number of event loops."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[Hashable, HeldToken] = {}
        self._salt = os.urandom(16)  # the credentials' digests mean nothing outside it
        #: per event loop (a worker thread's, the hub's), one fetch lock per slot: the jobs
        #: an account starts at once share one token call
        self._fetching: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[Hashable, asyncio.Lock]
        ] = weakref.WeakKeyDictionary()

    def __repr__(self) -> str:
        return f"ProcessTokens(held={len(self._held)})"

    def slot(self, scope: tuple[Hashable, ...], secrets: tuple[SecretStr, ...]) -> TokenSlot:
        """The slot of the token for ``scope`` (platform, account, base URL, purpose)
        obtained with ``secrets``."""
        digest = hashlib.blake2b(key=self._salt, digest_size=16)
        for secret in secrets:
            digest.update(secret.get_secret_value().encode())
            digest.update(b"\x00")
        return TokenSlot(self, (*scope, digest.hexdigest()))

    def get(self, key: Hashable) -> HeldToken | None:
        with self._lock:
            return self._held.get(key)

    def put(self, key: Hashable, held: HeldToken) -> None:
        with self._lock:
            self._held[key] = held

    def fetching(self, key: Hashable) -> asyncio.Lock:
        """The running event loop's lock for fetching the token of ``key``."""
        loop = asyncio.get_running_loop()
        with self._lock:
            locks = self._fetching.setdefault(loop, {})
            return locks.setdefault(key, asyncio.Lock())

    def drop(self, key: Hashable, token: SecretStr | None) -> None:
        """Forget the token of ``key`` if it is still ``token`` (None: whatever it is)."""
        with self._lock:
            found = self._held.get(key)
            if found is not None and (token is None or found.token == token):
                del self._held[key]


@dataclass(frozen=True)
class TokenSlot:
    """Where one account's token for one purpose is kept for the process."""

    tokens: ProcessTokens
    key: tuple[Hashable, ...]

    def __repr__(self) -> str:
        return f"TokenSlot({self.key[:-1]!r})"  # not the credentials' digest

    def fresh(self, now: float) -> HeldToken | None:
        held = self.tokens.get(self.key)
        return held if held is not None and now < held.refresh_at else None

    def keep(self, token: SecretStr, refresh_at: float) -> None:
        self.tokens.put(self.key, HeldToken(token, refresh_at))

    def drop(self, token: SecretStr | None) -> None:
        self.tokens.drop(self.key, token)

    def fetching(self) -> asyncio.Lock:
        return self.tokens.fetching(self.key)


class RefreshingToken:
    """One account's access token, refreshed ``margin`` seconds before it expires.

    Every token obtained is handed to the account's ``redactor`` before anyone can use it, so
    a platform that echoes it back (in an error, a log line) never gets it stored or printed.
    Its lifetime (and the refresh token's, when stated) goes to the ``observer`` as ``kind``,
    so the hub can show when the account's credentials run out.
    """

    def __init__(
        self,
        fetch: TokenFetcher,
        *,
        clock: Clock = time.monotonic,
        margin: float = 60.0,
        redactor: SecretRedactor | None = None,
        observer: ConnectorObserver | None = None,
        kind: str = "access",
        shared: TokenSlot | None = None,
    ) -> None:
        self._fetch = fetch
        #: where the process keeps this token for other runs' connectors (None: this one's)
        self._shared = shared
        self._observer = observer
        self.kind = kind
        self._redactor = redactor
        self._clock = clock
        self._margin = margin
        self._token: SecretStr | None = None
        self._refresh_at = 0.0
        self._lock = asyncio.Lock()
        self.refreshes = 0  # how many times the token endpoint was called (for tests/metrics)

    def __repr__(self) -> str:
        state = "valid" if self._is_fresh() else "stale"
        return f"RefreshingToken({state}, refreshes={self.refreshes})"

    def _is_fresh(self) -> bool:
        return self._token is not None and self._clock() < self._refresh_at

    async def get(self) -> SecretStr:
        """A token valid for at least the safety margin; refreshes at most once per expiry."""
        if self._is_fresh():
            assert self._token is not None
            return self._token
        async with self._lock:
            if not self._is_fresh() and not self._adopted():
                if self._shared is None:
                    await self._refresh()
                else:  # one fetch for the slot, whichever of the process's connectors asks
                    async with self._shared.fetching():
                        if not self._adopted():
                            await self._refresh()
            assert self._token is not None
            return self._token

    async def _refresh(self) -> None:
        grant = await self._fetch()
        if self._redactor is not None:
            self._redactor.add(grant.access_token)
        self.refreshes += 1
        margin = min(self._margin, grant.expires_in / 2)
        self._token = grant.access_token
        self._refresh_at = self._clock() + grant.expires_in - margin
        if self._shared is not None:
            self._shared.keep(grant.access_token, self._refresh_at)
        if self._observer is not None:
            self._observer.on_token(self.kind, expires_in=grant.expires_in, renews=True)
            if grant.refresh_expires_in is not None:
                self._observer.on_token("refresh", expires_in=grant.refresh_expires_in)

    def invalidate(self, rejected: SecretStr | None = None) -> None:
        """Drop the token (after a 401) so the next :meth:`get` refreshes.

        With ``rejected`` (the token the platform refused), drop it only while it is still the
        current one: concurrent callers refused with the same token cause one refresh, not one each.
        """
        if rejected is not None and rejected != self._token:
            return
        if self._shared is not None:
            self._shared.drop(rejected if rejected is not None else self._token)
        self._token = None
        self._refresh_at = 0.0

    def _adopted(self) -> bool:
        """Take the process's fresh token for this slot (another run's connector fetched it),
        the account's redactor learning it first; False when there is none."""
        held = None if self._shared is None else self._shared.fresh(self._clock())
        if held is None:
            return False
        if self._redactor is not None:
            self._redactor.add(held.token)
        self._token, self._refresh_at = held.token, held.refresh_at
        return True


class HeaderTokenAuth:
    """Sends a token in one header: ``x-amz-access-token``, ``X-Shopify-Access-Token``,
    ``Authorization: Bearer …`` (``prefix="Bearer "``).

    ``token`` is either a fixed secret (Shopify offline token, ShipBob PAT) or a
    :class:`RefreshingToken` (Amazon LWA, eBay, UPS).
    """

    def __init__(
        self, header: str, token: SecretStr | RefreshingToken, *, prefix: str = ""
    ) -> None:
        self._header = header
        self._token = token
        self._prefix = prefix

    def __repr__(self) -> str:
        return f"HeaderTokenAuth(header={self._header!r})"

    async def apply(self, request: httpx.Request) -> httpx.Request:
        token = self._token if isinstance(self._token, SecretStr) else await self._token.get()
        request.headers[self._header] = f"{self._prefix}{token.get_secret_value()}"
        return request

    async def on_unauthorized(self) -> bool:
        if isinstance(self._token, RefreshingToken):
            self._token.invalidate()
            return True
        return False
