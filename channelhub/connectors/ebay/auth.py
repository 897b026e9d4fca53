"""eBay OAuth per account: one refreshed token per scope set, chosen by the API a call hits.

A user token from the refresh-token grant carries only the scopes asked for; asking for each
API's scopes separately keeps a leaked inventory token from shipping orders. The notification
public key needs an application token (client-credentials grant, the public scope). Tokens
live in this object (one per account's connector), never in module state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import httpx
from pydantic import SecretStr

from channelhub.connectors.http.auth import RefreshingToken, TokenFetcher, TokenGrant, TokenSlot
from channelhub.connectors.http.client import ConnectorHttpClient
from channelhub.connectors.http.ratelimit import Clock
from channelhub.mappings.ebay import (
    API_SCOPES,
    FINANCES_BASE,
    FULFILLMENT_BASE,
    INVENTORY_BASE,
    NOTIFICATION_BASE,
    TOKEN_PATH,
    basic_client_auth,
    refresh_token_form,
)

API_BY_PREFIX: Mapping[str, str] = {
    FULFILLMENT_BASE: "fulfillment",
    INVENTORY_BASE: "inventory",
    NOTIFICATION_BASE: "notification",
    FINANCES_BASE: "finances",
}


class EbayScopedAuth:
    """AuthHook: ``Authorization: Bearer`` with the token of the API the path belongs to."""

    def __init__(
        self,
        token_http: ConnectorHttpClient,
        *,
        client_id: SecretStr,
        client_secret: SecretStr,
        refresh_token: SecretStr,
        clock: Clock,
        shared: Callable[[str], TokenSlot | None] | None = None,
    ) -> None:
        self._http = token_http
        self._client_id = client_id
        self._client_secret = client_secret
        self._refresh_token = refresh_token
        self.tokens: dict[str, RefreshingToken] = {
            api: RefreshingToken(
                self._fetcher(api),
                clock=clock,
                redactor=token_http.redactor,
                observer=token_http.observer,
                kind=f"access ({api})",
                shared=None if shared is None else shared(api),
            )
            for api in API_SCOPES
        }

    def __repr__(self) -> str:
        return f"EbayScopedAuth(apis={sorted(self.tokens)})"

    def _fetcher(self, api: str) -> TokenFetcher:
        async def fetch() -> TokenGrant:
            if api == "notification":
                form = {"grant_type": "client_credentials", "scope": " ".join(API_SCOPES[api])}
            else:
                form = refresh_token_form(self._refresh_token.get_secret_value(), API_SCOPES[api])
            basic = basic_client_auth(
                self._client_id.get_secret_value(), self._client_secret.get_secret_value()
            )
            response = await self._http.request(
                "token",
                "POST",
                TOKEN_PATH,
                content=str(httpx.QueryParams(form)),
                headers={
                    "Authorization": basic,
                    "Content-Type": "application/x-www-form-urlencoded",
                },
                idempotent=True,
            )
            return TokenGrant.from_oauth_response(response.json())

        return fetch

    @staticmethod
    def api_of(path: str) -> str | None:
        for prefix, api in API_BY_PREFIX.items():
            if path.startswith(prefix):
                return api
        return None

    async def apply(self, request: httpx.Request) -> httpx.Request:
        api = self.api_of(request.url.path)
        if api is not None:
            token = await self.tokens[api].get()
            request.headers["Authorization"] = f"Bearer {token.get_secret_value()}"
        return request

    async def on_unauthorized(self) -> bool:
        for token in self.tokens.values():
            token.invalidate()
        return True
