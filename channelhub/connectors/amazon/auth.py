"""Login with Amazon refresh-token auth and Restricted Data Tokens, per connector instance.

The access token lives in a :class:`RefreshingToken` owned by the account's connector, never
in module state, refreshed from ``expires_in``. A request that already carries
``x-amz-access-token`` (a Restricted Data Token for buyer data) keeps it. SP-API answers an
expired token with **403** ``Unauthorized`` (not 401), so the connector also refreshes once on
that answer (:func:`is_expired_token`).

Restricted Data Tokens (:class:`RestrictedTokens`) work the same way: one
:class:`RefreshingToken` per restricted-resource set (method, path or path pattern, data
elements), held by the account's connector, reused until ``margin`` seconds before the RDT's
``expiresIn`` and dropped on a 403 that calls it expired or invalid (:func:`is_rejected_token`).
Both are also kept for the process per account (``shared``,
:class:`~channelhub.connectors.http.auth.ProcessTokens`): the account's next job run takes
them while fresh instead of calling LWA and createRestrictedDataToken again.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import SecretStr

from channelhub.connectors.errors import ConnectorError, Forbidden
from channelhub.connectors.http.auth import RefreshingToken, TokenFetcher, TokenGrant, TokenSlot
from channelhub.connectors.http.client import ConnectorHttpClient
from channelhub.connectors.http.ratelimit import Clock
from channelhub.core.redaction import SecretRedactor

HEADER = "x-amz-access-token"
DEFAULT_LWA_URL = "https://api.amazon.com/auth/o2/token"
LWA_PATH = "/auth/o2/token"


def is_production_host(base_url: str) -> bool:
    """Whether ``base_url`` is one of Amazon's own SP-API hosts (production or sandbox)."""
    host = (urlsplit(base_url).hostname or "").lower()
    return host.endswith(".amazon.com") and "sellingpartnerapi" in host


def lwa_url_for(base_url: str | None, settings: Mapping[str, Any]) -> str:
    """Where the account's LWA credentials go: the ``lwa_url`` setting, else Amazon's LWA
    host for Amazon's own SP-API hosts (and no base URL), else ``{base_url}/auth/o2/token``:
    a simulator or proxy gets the token call too, so credentials never leave for a host
    the seller did not name."""
    explicit = settings.get("lwa_url")
    if explicit:
        return str(explicit)
    if base_url is None or is_production_host(base_url):
        return DEFAULT_LWA_URL
    return base_url.rstrip("/") + LWA_PATH


def lwa_fetcher(
    plain: ConnectorHttpClient,
    url: str,
    *,
    client_id: SecretStr,
    client_secret: SecretStr,
    refresh_token: SecretStr | None,
    scope: str | None = None,
) -> TokenFetcher:
    """A TokenFetcher calling LWA's refresh-token grant (form-encoded, no SP-API headers);
    with ``scope``, the client-credentials grant a grantless operation needs instead (the
    Notifications API's destinations: ``sellingpartnerapi::notifications``)."""

    async def fetch() -> TokenGrant:
        if scope is not None:
            grant = {"grant_type": "client_credentials", "scope": scope}
        elif refresh_token is not None:
            grant = {
                "grant_type": "refresh_token",
                "refresh_token": refresh_token.get_secret_value(),
            }
        else:
            raise ValueError("an LWA grant needs a refresh token or a scope")
        form = {
            **grant,
            "client_id": client_id.get_secret_value(),
            "client_secret": client_secret.get_secret_value(),
        }
        response = await plain.request(
            "lwaToken",
            "POST",
            url,
            content=str(httpx.QueryParams(form)),
            headers={"content-type": "application/x-www-form-urlencoded"},
            idempotent=True,
        )
        return TokenGrant.from_oauth_response(response.json())

    return fetch


class LwaAuth:
    """Puts the account's LWA access token on every SP-API request that has none."""

    def __init__(self, token: RefreshingToken) -> None:
        self.token = token

    def __repr__(self) -> str:
        return f"LwaAuth({self.token!r})"

    async def apply(self, request: httpx.Request) -> httpx.Request:
        if HEADER not in request.headers:
            request.headers[HEADER] = (await self.token.get()).get_secret_value()
        return request

    async def on_unauthorized(self) -> bool:
        self.token.invalidate()
        return True


def is_expired_token(error: ConnectorError) -> bool:
    """SP-API's answer to an expired access token: 403 Unauthorized "...has expired"."""
    return isinstance(error, Forbidden) and "expired" in (error.body or "")


def is_rejected_token(error: ConnectorError) -> bool:
    """A 403 that refuses the token itself (expired, revoked, malformed or invalid), not one
    that refuses the operation: fetching a new token and trying once more makes sense."""
    body = (error.body or "").lower() if isinstance(error, Forbidden) else ""
    return "expired" in body or "invalid" in body


@dataclass(frozen=True)
class RestrictedResource:
    """What one Restricted Data Token is asked for: ``method`` on ``path`` (a path, or a
    pattern with ``{…}`` segments such as ``/orders/2026-01-01/orders/{orderId}``) for
    ``data_elements``. Equal resources share a token; different ones never do."""

    method: str
    path: str
    data_elements: tuple[str, ...]


RdtFetcher = Callable[[RestrictedResource], Awaitable[TokenGrant]]
"""Calls createRestrictedDataToken for one resource set."""


class RestrictedTokens:
    """One account's Restricted Data Tokens, one :class:`RefreshingToken` per resource set.

    Owned by the account's connector (never module state: an RDT carries one seller's buyer
    data). A token is reused until ``margin`` seconds before its ``expiresIn`` on the injected
    ``clock``; an RDT answered without ``expiresIn`` is used once.
    """

    def __init__(
        self,
        fetch: RdtFetcher,
        *,
        clock: Clock = time.monotonic,
        margin: float = 60.0,
        redactor: SecretRedactor | None = None,
        shared: Callable[[RestrictedResource], TokenSlot | None] | None = None,
    ) -> None:
        self._fetch = fetch
        self._redactor = redactor
        self._clock = clock
        self._margin = margin
        self._tokens: dict[RestrictedResource, RefreshingToken] = {}
        #: where the process keeps each resource set's RDT for the account's later runs
        self._shared = shared

    def __repr__(self) -> str:
        return f"RestrictedTokens(resources={len(self._tokens)}, fetches={self.fetches})"

    @property
    def fetches(self) -> int:
        """How many times createRestrictedDataToken was called (for tests/metrics)."""
        return sum(token.refreshes for token in self._tokens.values())

    def _token(self, resource: RestrictedResource) -> RefreshingToken:
        token = self._tokens.get(resource)
        if token is None:

            async def fetch() -> TokenGrant:
                return await self._fetch(resource)

            token = RefreshingToken(
                fetch,
                clock=self._clock,
                margin=self._margin,
                redactor=self._redactor,
                shared=None if self._shared is None else self._shared(resource),
            )
            self._tokens[resource] = token
        return token

    async def get(self, resource: RestrictedResource) -> SecretStr:
        """An RDT for ``resource``, valid for at least the margin (fetched only when needed)."""
        return await self._token(resource).get()

    def invalidate(self, resource: RestrictedResource, rejected: SecretStr | None = None) -> None:
        """Forget the RDT for ``resource`` (the platform refused ``rejected``)."""
        token = self._tokens.get(resource)
        if token is not None:
            token.invalidate(rejected)
