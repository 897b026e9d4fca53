"""Signing of the channelhub outbound protocol: ``X-Channelhub-Signature: t=<unix>,v1=<hex>``.

``v1`` is the hex HMAC-SHA256, keyed with the per-warehouse secret, over ``"<t>." + raw body``.
Signing the timestamp with the body lets a receiver refuse a stale message (replay window)
without trusting a clock header an attacker could rewrite. Comparison is constant time.
Several ``v1=`` entries may be sent during a secret rotation; any one matching suffices.

Pure: the caller passes ``now`` and, to refuse a replay inside the window, a ``seen``
callable that records a signature and answers whether it was already recorded.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime

from pydantic import SecretStr

from channelhub.core.errors import ChannelhubError

SIGNATURE_HEADER = "X-Channelhub-Signature"
DEFAULT_TOLERANCE_SECONDS = 300

Secret = str | bytes | SecretStr


class SignatureError(ChannelhubError):
    """A signed message was refused; ``reason`` is one of missing, malformed, stale,
    mismatch, replayed. The message never contains the secret or the expected signature."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


def _key(secret: Secret) -> bytes:
    if isinstance(secret, SecretStr):
        secret = secret.get_secret_value()
    key = secret.encode() if isinstance(secret, str) else secret
    if not key:
        raise SignatureError("missing", "the signing secret is empty")
    return key


def signature_hex(secret: Secret, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 over ``"<timestamp>." + body``."""
    message = str(int(timestamp)).encode() + b"." + body
    return hmac.new(_key(secret), message, hashlib.sha256).hexdigest()


def sign(secret: Secret, timestamp: int, body: bytes) -> str:
    """The header value: ``t=<timestamp>,v1=<hex>``."""
    return f"t={int(timestamp)},v1={signature_hex(secret, timestamp, body)}"


def parse_header(header: str) -> tuple[int, list[str]]:
    """(timestamp, v1 signatures) of a header value; SignatureError when malformed."""
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        name, sep, value = part.strip().partition("=")
        if not sep:
            continue
        if name == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise SignatureError(
                    "malformed", f"{SIGNATURE_HEADER}: t={value!r} is not a unix time"
                ) from None
        elif name == "v1" and value:
            signatures.append(value.strip().lower())
    if timestamp is None or not signatures:
        raise SignatureError("malformed", f"{SIGNATURE_HEADER} needs t=<unix>,v1=<hex>")
    return timestamp, signatures


def verify(
    secret: Secret,
    header: str | None,
    body: bytes,
    *,
    now: datetime | int,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    seen: Callable[[str], bool] | None = None,
) -> int:
    """Check a signed message; return its timestamp or raise SignatureError.

    Refuses a missing or malformed header, a timestamp further than ``tolerance`` seconds
    from ``now`` (either way), a signature that does not match, and, when ``seen`` is given,
    a signature ``seen`` reports as already used.
    """
    if not header:
        raise SignatureError("missing", f"{SIGNATURE_HEADER} header is missing")
    timestamp, signatures = parse_header(header)
    current = int(now.timestamp()) if isinstance(now, datetime) else int(now)
    if abs(current - timestamp) > tolerance:
        raise SignatureError(
            "stale",
            f"{SIGNATURE_HEADER}: t={timestamp} is {current - timestamp:+d} s from now "
            f"(allowed ±{tolerance} s)",
        )
    expected = signature_hex(secret, timestamp, body)
    # bytes, not str: compare_digest refuses a str with non-ASCII characters (a forged header)
    want = expected.encode()
    matched = next((s for s in signatures if hmac.compare_digest(s.encode(), want)), None)
    if matched is None:
        raise SignatureError("mismatch", f"{SIGNATURE_HEADER} does not match the body")
    if seen is not None and seen(matched):
        raise SignatureError("replayed", f"{SIGNATURE_HEADER} was already used (replay)")
    return timestamp
