"""Shared webhook checks: HMAC signatures compared in constant time, and a replay window.

Every platform signs differently (Shopify base64 HMAC-SHA256 of the raw body, EasyPost
``hmac-sha256-hex=…``, eBay ECDSA by key id), but the rules are the same: compute over the
*raw* bytes, compare with ``hmac.compare_digest``, refuse anything outside the replay window,
and say why in the error without echoing the secret or the signature.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Literal

from pydantic import SecretStr

from channelhub.connectors.errors import WebhookRejected


def hmac_sha256(secret: SecretStr, body: bytes) -> bytes:
    return hmac.new(secret.get_secret_value().encode("utf-8"), body, hashlib.sha256).digest()


def verify_hmac_sha256(
    secret: SecretStr,
    body: bytes,
    signature: str | None,
    *,
    encoding: Literal["base64", "hex"] = "base64",
    prefix: str = "",
    platform: str | None = None,
) -> None:
    """Raise :class:`WebhookRejected` unless ``signature`` is the HMAC-SHA256 of ``body``.

    ``prefix`` is stripped first (EasyPost: ``"hmac-sha256-hex="``).
    """
    if not signature:
        raise WebhookRejected("the webhook carries no signature", platform=platform)
    text = signature.strip()
    if prefix:
        if not text.startswith(prefix):
            raise WebhookRejected("the webhook signature has an unknown scheme", platform=platform)
        text = text[len(prefix) :]
    try:
        given = (
            base64.b64decode(text, validate=True) if encoding == "base64" else bytes.fromhex(text)
        )
    except (binascii.Error, ValueError):
        raise WebhookRejected(
            "the webhook signature is not well formed", platform=platform
        ) from None
    if not hmac.compare_digest(given, hmac_sha256(secret, body)):
        raise WebhookRejected("the webhook signature does not match its body", platform=platform)


def check_replay_window(
    sent_at: datetime,
    now: datetime,
    *,
    window: timedelta = timedelta(minutes=5),
    platform: str | None = None,
) -> None:
    """Refuse a webhook stamped further than ``window`` from ``now`` (either side)."""
    skew = abs(now - sent_at)
    if skew > window:
        raise WebhookRejected(
            f"the webhook was sent at {sent_at.isoformat()}, {int(skew.total_seconds())}s from "
            f"now, outside the {int(window.total_seconds())}s replay window",
            platform=platform,
        )
