"""Goodcang 谷仓 authentication: two plain headers, ``app-key`` and ``app-token``.

Exactly as the vendored SDK's ``GoodCangClient.postGoodCang`` sends them (and the mirrored
docs' client): no signature, no timestamp; JSON in and out. A wrong pair is answered
``ask: Failure`` (code guessed, :mod:`channelhub.mappings.goodcang.errors`), turned into
:class:`~channelhub.connectors.errors.Unauthorized` here, never retried (the seller issues a
new token in Goodcang's console).
"""

from __future__ import annotations

import httpx
from pydantic import SecretStr

from channelhub.connectors.errors import ConnectorError, RateLimited, ServerError, Unauthorized
from channelhub.mappings.goodcang import errors as gc

APP_KEY, APP_TOKEN = "app-key", "app-token"


def auth_headers(app_key: str, app_token: str) -> dict[str, str]:
    """The headers of every Goodcang request (the SDK also sets JSON Accept/Content-Type)."""
    return {
        APP_KEY: app_key,
        APP_TOKEN: app_token,
        "Accept": "application/json",
        "Content-Type": "application/json",
    }


class GoodcangAuth:
    """AuthHook: sets ``app-key`` and ``app-token`` on each attempt."""

    def __init__(self, *, app_key: SecretStr, app_token: SecretStr) -> None:
        self._key = app_key
        self._token = app_token

    def __repr__(self) -> str:
        return "GoodcangAuth(app_key=**********)"

    async def apply(self, request: httpx.Request) -> httpx.Request:
        for name, value in auth_headers(
            self._key.get_secret_value(), self._token.get_secret_value()
        ).items():
            request.headers[name] = value
        return request

    async def on_unauthorized(self) -> bool:
        return False


def inspect_goodcang_response(operation: str, response: httpx.Response) -> ConnectorError | None:
    """The gateway's errors hidden in a 200 (auth, throttling, busy); business refusals are
    left to the connector, which reads the order back."""
    if response.status_code != 200:
        return None
    try:
        answer = gc.read_answer(response.json())
    except ValueError:
        return None
    if answer.ok:
        return None
    if answer.code == gc.AUTH_FAILED:
        return Unauthorized(answer.said() + " (check the account's app_key and app_token)")
    if answer.code == gc.TOO_FREQUENT:
        return RateLimited(answer.said(), status=200, retry_after=1.0)
    if answer.code == gc.SYSTEM_BUSY:
        return ServerError(answer.said(), status=200)
    return None
