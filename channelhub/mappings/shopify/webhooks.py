"""Shopify webhook checks (pure): the HMAC signature and the body parser.

``X-Shopify-Hmac-Sha256`` is the base64 HMAC-SHA256 of the raw body with the app's client
secret; it is compared in constant time. The body is parsed so that no number becomes a float
(Python keeps JSON integers exact; decimals become ``Decimal``), since order ids exceed 2^53.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from decimal import Decimal
from typing import Any

from channelhub.mappings.shopify._wire import fail

HMAC_HEADER = "X-Shopify-Hmac-Sha256"
WEBHOOK_ID_HEADER = "X-Shopify-Webhook-Id"
TOPIC_HEADER = "X-Shopify-Topic"
TRIGGERED_AT_HEADER = "X-Shopify-Triggered-At"
ORDER_TOPICS = frozenset({"orders/create", "orders/updated", "orders/cancelled"})


def sign_webhook(raw_body: bytes, secret: str) -> str:
    """The ``X-Shopify-Hmac-Sha256`` value for ``raw_body`` (used by the simulator)."""
    digest = hmac.new(secret.encode("utf-8"), raw_body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify_webhook_hmac(raw_body: bytes, signature: str | None, secret: str) -> bool:
    """True when ``signature`` is the body's HMAC under ``secret`` (constant-time compare)."""
    if not signature or not secret:
        return False
    expected = sign_webhook(raw_body, secret)
    return hmac.compare_digest(
        expected.encode("ascii"), signature.strip().encode("ascii", "replace")
    )


def load_webhook_json(raw_body: bytes | str) -> Any:
    """Parse a webhook body with exact numbers (ints stay ints, decimals become Decimal)."""
    try:
        return json.loads(raw_body, parse_float=Decimal)
    except ValueError as exc:
        raise fail("(body)", str(exc), "is not JSON") from None
