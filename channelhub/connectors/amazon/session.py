"""One account's SP-API HTTP life, shared by the Amazon connectors (seller, MCF/FBA).

An :class:`SpApiSession` holds the account's LWA token (one :class:`RefreshingToken`, never
module state), the plain client that asks LWA for it, and the SP-API client that puts it on
every call with the platform's per-operation usage plans. :meth:`SpApiSession.call` refreshes
the token once on SP-API's expired-token answer (a 403, :func:`is_expired_token`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import SecretStr

from channelhub.connectors.amazon.auth import (
    HEADER,
    LwaAuth,
    is_expired_token,
    lwa_fetcher,
    lwa_url_for,
)
from channelhub.connectors.amazon.limits import PLAIN_LIMITS
from channelhub.connectors.errors import ConnectorError
from channelhub.connectors.http.auth import RefreshingToken
from channelhub.connectors.http.client import ConnectorHttpClient, ConnectorResponse
from channelhub.connectors.http.ratelimit import RateLimit
from channelhub.connectors.plugin import ConnectorContext, http_client_for


class SpApiSession:
    """The LWA token, the LWA client and the SP-API client of one account."""

    def __init__(
        self,
        context: ConnectorContext,
        *,
        default_base_url: str,
        limits: Mapping[str, RateLimit],
        client_id: SecretStr,
        client_secret: SecretStr,
        refresh_token: SecretStr,
    ) -> None:
        self.lwa_url = lwa_url_for(context.base_url, context.settings)
        extra: dict[str, Any] = {}
        if context.timeout is not None:
            extra["timeout"] = context.timeout
        if context.retry is not None:
            extra["retry"] = context.retry
        self.plain = ConnectorHttpClient(
            platform=context.platform,
            account=context.account,
            base_url=self.lwa_url,
            limits=PLAIN_LIMITS,
            transport=context.transport,
            clock=context.clock,
            sleep=context.sleep,
            now=context.now,
            rng=context.rng,
            limit_feedback=None,
            redactor=context.redactor,
            observer=context.observer,
            **extra,
        )
        fetch = lwa_fetcher(
            self.plain,
            self.lwa_url,
            client_id=client_id,
            client_secret=client_secret,
            refresh_token=refresh_token,
        )
        self.token = RefreshingToken(
            fetch,
            clock=context.clock,
            redactor=context.redactor,
            observer=context.observer,
            shared=context.token_slot(
                f"lwa {self.lwa_url}", client_id, client_secret, refresh_token
            ),
        )
        self.http = http_client_for(
            context, default_base_url=default_base_url, limits=limits, auth=LwaAuth(self.token)
        )

    async def call(
        self, operation: str, method: str, path: str, **options: Any
    ) -> ConnectorResponse:
        """One SP-API call; an expired-token 403 refreshes the LWA token and tries once more."""
        try:
            return await self.http.request(operation, method, path, **options)
        except ConnectorError as error:
            if HEADER in (options.get("headers") or {}) or not is_expired_token(error):
                raise
            self.token.invalidate()
            return await self.http.request(operation, method, path, **options)

    async def aclose(self) -> None:
        await self.http.aclose()
        await self.plain.aclose()
