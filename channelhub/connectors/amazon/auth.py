"""Login with Amazon refresh-token auth, one token per connector instance (per account).

The access token lives in a :class:`RefreshingToken` owned by the account's connector, never
in module state, refreshed from ``expires_in``. A request that already carries
``x-amz-access-token`` (a Restricted Data Token for buyer data) keeps it. SP-API answers an
expired token with **403** ``Unauthorized`` (not 401), so the connector also refreshes once on
that answer (:func:`is_expired_token`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import SecretStr

from channelhub.connectors.errors import ConnectorError, Forbidden
from channelhub.connectors.http.auth import RefreshingToken, TokenFetcher, TokenGrant
from channelhub.connectors.http.client import ConnectorHttpClient

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
    refresh_token: SecretStr,
) -> TokenFetcher:
    """A TokenFetcher calling LWA's refresh-token grant (form-encoded, no SP-API headers)."""

    async def fetch() -> TokenGrant:
        response = await plain.request(
            "lwaToken",
            "POST",
            url,
            content=str(
                httpx.QueryParams(
                    {
                        "grant_type": "refresh_token",
                        "refresh_token": refresh_token.get_secret_value(),
                        "client_id": client_id.get_secret_value(),
                        "client_secret": client_secret.get_secret_value(),
                    }
                )
            ),
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
