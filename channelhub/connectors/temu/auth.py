"""Temu as a signed, method-named gateway (:mod:`channelhub.connectors.http.gateway`): its
signing and envelope as a :class:`TemuScheme`, its in-body errors as connector errors.

Contract unverified (no public spec): follows the transcript in contracts/temu/. Temu
answers HTTP 200 with ``success: false`` for gateway and business errors;
:meth:`TemuScheme.classify` turns those into the SDK's retryable / fatal split (4000004 is
throttling; 4000000 a system error; auth codes are fatal).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from pydantic import SecretStr

from channelhub.connectors.errors import (
    ConnectorError,
    FatalError,
    RateLimited,
    RetryableError,
    ServerError,
    Unauthorized,
)
from channelhub.connectors.http.gateway import Envelope, GatewayScheme, SignedRequest
from channelhub.mappings.temu import encode_body, signed_request

ROUTER = "/openapi/router"

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


class TemuScheme(GatewayScheme):
    """Temu's rules on the shared signed gateway: every parameter and ``sign`` in the JSON
    body, the API ``type`` as the method, ``success`` / ``errorCode`` / ``result`` as the
    envelope. Signing re-runs on every attempt (a retry gets a fresh timestamp inside the
    ±300 s window) and sends the exact bytes it signed."""

    label = "Temu"
    path = ROUTER

    def __init__(
        self,
        *,
        app_key: SecretStr,
        app_secret: SecretStr,
        access_token: SecretStr,
    ) -> None:
        self._app_key = app_key
        self._app_secret = app_secret
        self._access_token = access_token

    def __repr__(self) -> str:
        return "TemuScheme(app_key=**********)"

    def build(self, method: str, data: Any, now: datetime) -> SignedRequest:
        body = signed_request(
            method,
            data or {},
            app_key=self._app_key.get_secret_value(),
            app_secret=self._app_secret.get_secret_value(),
            access_token=self._access_token.get_secret_value(),
            now=now,
        )
        return SignedRequest(body=encode_body(body))

    def read(self, body: Any) -> Envelope:
        if not isinstance(body, dict) or "success" not in body:
            raise ValueError("no success flag")
        code = body.get("errorCode")
        return Envelope(
            body.get("success") is True,
            "" if code is None else str(code),
            str(body.get("errorMsg") or ""),
            body.get("result"),
            body,
        )

    def classify(self, method: str, envelope: Envelope) -> ConnectorError | None:
        """Temu's codes: 4000004 throttled, 4000000 / 6000001 system errors, timestamp and
        auth codes; anything else a :class:`TemuApiError` with Temu's code."""
        return _temu_error(envelope.raw) if not envelope.ok else None


def _temu_error(body: Any) -> ConnectorError:
    """Temu's ``success: false`` answer as the SDK's retryable / fatal split."""
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
