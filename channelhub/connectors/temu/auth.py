"""Temu request signing as an SDK auth hook, and Temu's in-body errors as connector errors.

Contract unverified (no public spec): follows the transcript in contracts/temu/.
The hook re-signs on every attempt (a retry gets a fresh timestamp inside the ±300 s window)
and sends the exact bytes it signed. Temu answers HTTP 200 with ``success: false`` for
gateway and business errors; :func:`inspect_temu_response` turns those into the SDK's
retryable/fatal split (4000004 is throttling; 4000000 a system error; auth codes are fatal).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

import httpx
from pydantic import SecretStr

from channelhub.connectors.errors import (
    ConnectorError,
    ContractViolation,
    FatalError,
    RateLimited,
    RetryableError,
    ServerError,
    Unauthorized,
)
from channelhub.mappings.temu import encode_body, signed_request

SUCCESS = 1_000_000
RATE_LIMITED = 4_000_004
SYSTEM_ERRORS = frozenset({4_000_000, 6_000_001})
TIMESTAMP_ERRORS = frozenset({3_000_011, 3_000_012})
AUTH_ERRORS = frozenset({3_000_031, 3_000_032, 3_000_033, 3_000_034, 5_000_000})


class TemuApiError(FatalError):
    """A Temu ``success: false`` answer that retrying will not fix; ``error_code`` is Temu's."""

    def __init__(self, message: str, *, error_code: int, **context: str | int | None) -> None:
        super().__init__(message, **context)  # type: ignore[arg-type]
        self.error_code = error_code


class TemuClockSkew(RetryableError):
    """The gateway refused our timestamp (3000011/3000012): re-signed on the next attempt."""

    safe_to_repeat: ClassVar[bool] = True  # the gateway refused before acting


class TemuSigningAuth:
    """AuthHook: adds the common parameters and ``sign`` to the JSON body of each attempt."""

    def __init__(
        self,
        *,
        app_key: SecretStr,
        app_secret: SecretStr,
        access_token: SecretStr,
        now: Callable[[], datetime],
    ) -> None:
        self._app_key = app_key
        self._app_secret = app_secret
        self._access_token = access_token
        self._now = now

    def __repr__(self) -> str:
        return "TemuSigningAuth(app_key=**********)"

    async def apply(self, request: httpx.Request) -> httpx.Request:
        business = json.loads(request.content or b"{}")
        api_type = business.pop("type")
        body = signed_request(
            api_type,
            business,
            app_key=self._app_key.get_secret_value(),
            app_secret=self._app_secret.get_secret_value(),
            access_token=self._access_token.get_secret_value(),
            now=self._now(),
        )
        headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
        headers["Content-Type"] = "application/json"
        return httpx.Request(
            request.method, request.url, headers=headers, content=encode_body(body)
        )

    async def on_unauthorized(self) -> bool:
        return False  # Temu tokens are re-issued by the seller, never refreshed by us


def inspect_temu_response(operation: str, response: httpx.Response) -> ConnectorError | None:
    """The error hidden in a Temu 200, or None when ``success`` is true (or not a 200)."""
    if response.status_code != 200:
        return None
    try:
        body = response.json()
    except ValueError:
        return ContractViolation("Temu answered 200 with a body that is not JSON", status=200)
    if not isinstance(body, dict) or "success" not in body:
        return ContractViolation("Temu answered without a success flag", status=200)
    if body.get("success") is True:
        return None
    code = body.get("errorCode")
    message = f"Temu error {code}: {body.get('errorMsg')}"
    if code == RATE_LIMITED:
        return RateLimited(message, status=200, retry_after=1.0)
    if code in SYSTEM_ERRORS:
        return ServerError(message, status=200)
    if code in TIMESTAMP_ERRORS:
        return TemuClockSkew(message, status=200)
    if code in AUTH_ERRORS:
        return Unauthorized(message + " (ask the seller for a new access token)", status=200)
    return TemuApiError(message, error_code=int(code) if isinstance(code, int) else 0, status=200)
