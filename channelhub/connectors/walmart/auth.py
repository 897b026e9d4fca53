"""Walmart's headers on every call: the access token, a correlation GUID, the service name.

The token comes from ``POST /v3/token`` (client credentials, Basic auth) and lasts
``expires_in`` seconds (900); it lives in this object (one per account's connector), never in
module state. Every request, the token call included, gets a fresh ``WM_QOS.CORRELATION_ID``
so Walmart support can find it.
"""

from __future__ import annotations

import random
import uuid

import httpx
from pydantic import SecretStr

from channelhub.connectors.http.auth import RefreshingToken, TokenGrant, TokenSlot
from channelhub.connectors.http.client import ConnectorHttpClient
from channelhub.connectors.http.ratelimit import Clock
from channelhub.mappings.walmart import SERVICE_NAME, TOKEN_PATH, basic_client_auth, token_form

TOKEN_HEADER = "WM_SEC.ACCESS_TOKEN"
CORRELATION_HEADER = "WM_QOS.CORRELATION_ID"
SERVICE_HEADER = "WM_SVC.NAME"


def correlation_id(rng: random.Random | None = None) -> str:
    """A GUID per call (seeded in tests so journals compare)."""
    if rng is None:
        return str(uuid.uuid4())
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class WalmartAuth:
    """AuthHook: the WM_* headers, with the account's refreshed access token."""

    def __init__(
        self,
        token_http: ConnectorHttpClient,
        *,
        client_id: SecretStr,
        client_secret: SecretStr,
        clock: Clock,
        rng: random.Random | None = None,
        shared: TokenSlot | None = None,
    ) -> None:
        self._http = token_http
        self._client_id = client_id
        self._client_secret = client_secret
        self._rng = rng
        self.token = RefreshingToken(
            self._fetch,
            clock=clock,
            redactor=token_http.redactor,
            observer=token_http.observer,
            shared=shared,
        )

    def __repr__(self) -> str:
        return f"WalmartAuth(token={self.token!r})"

    def headers(self) -> dict[str, str]:
        """The headers every Walmart call carries besides the token."""
        return {
            CORRELATION_HEADER: correlation_id(self._rng),
            SERVICE_HEADER: SERVICE_NAME,
            "Accept": "application/json",
        }

    async def _fetch(self) -> TokenGrant:
        basic = basic_client_auth(
            self._client_id.get_secret_value(), self._client_secret.get_secret_value()
        )
        response = await self._http.request(
            "token",
            "POST",
            TOKEN_PATH,
            content=token_form(),
            headers={
                **self.headers(),
                "Authorization": basic,
                "Content-Type": "application/x-www-form-urlencoded",
            },
            idempotent=True,
        )
        return TokenGrant.from_oauth_response(response.json())

    async def apply(self, request: httpx.Request) -> httpx.Request:
        token = await self.token.get()
        request.headers[TOKEN_HEADER] = token.get_secret_value()
        for name, value in self.headers().items():
            request.headers.setdefault(name, value)
        request.headers[CORRELATION_HEADER] = correlation_id(self._rng)  # fresh per attempt
        return request

    async def on_unauthorized(self) -> bool:
        self.token.invalidate()
        return True
