"""ShipBob webhook signatures (the Standard Webhooks scheme behind ShipBob's ``whsec_`` secrets).

The contract only says the subscription ``secret`` (``whsec_`` + 32 base64 characters) signs
each payload; ShipBob delivers with the Standard Webhooks headers: ``webhook-id`` (the
delivery's id, what redeliveries repeat), ``webhook-timestamp`` (unix seconds) and
``webhook-signature`` (space-separated ``v1,<base64 HMAC-SHA256>`` over
``"<id>.<timestamp>.<raw body>"``, keyed with the base64-decoded secret). The topic comes in
``shipbob-topic`` (or the body's ``topic``). Compared in constant time; the replay window is
checked on the signed timestamp.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from pydantic import SecretStr

from channelhub.connectors.errors import WebhookRejected
from channelhub.connectors.results import RawRecord, WebhookEvent
from channelhub.connectors.webhooks import check_replay_window

PLATFORM = "shipbob"
SECRET_PREFIX = "whsec_"


def _key(secret: SecretStr) -> bytes:
    text = secret.get_secret_value().removeprefix(SECRET_PREFIX)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise WebhookRejected(
            "the webhook secret is not whsec_<base64>", platform=PLATFORM
        ) from None


def webhook_signature(secret: SecretStr, delivery_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value for one delivery (``v1,<base64>``)."""
    message = f"{delivery_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), message, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify_webhook(
    secret: SecretStr,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: datetime,
    window: timedelta = timedelta(minutes=5),
) -> WebhookEvent:
    """Check signature and freshness; return the event (``event_id`` = ``webhook-id``)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    delivery_id = lowered.get("webhook-id")
    stamp = lowered.get("webhook-timestamp")
    given = lowered.get("webhook-signature")
    if not delivery_id or not stamp or not given:
        raise WebhookRejected("the webhook lacks its webhook-* headers", platform=PLATFORM)
    try:
        timestamp = int(stamp)
    except ValueError:
        raise WebhookRejected("webhook-timestamp is not a unix time", platform=PLATFORM) from None
    expected = webhook_signature(secret, delivery_id, timestamp, body).encode()
    if not any(hmac.compare_digest(part.encode(), expected) for part in given.split()):
        raise WebhookRejected("the webhook signature does not match its body", platform=PLATFORM)
    sent_at = datetime.fromtimestamp(timestamp, UTC)
    check_replay_window(sent_at, now, window=window, platform=PLATFORM)
    try:
        payload = json.loads(body)
    except ValueError:
        raise WebhookRejected("the webhook body is not JSON", platform=PLATFORM) from None
    topic = lowered.get("shipbob-topic") or (
        payload.get("topic") if isinstance(payload, dict) else None
    )
    if not topic:
        raise WebhookRejected("the webhook names no topic", platform=PLATFORM)
    return WebhookEvent(
        event_id=delivery_id,
        topic=str(topic),
        occurred_at=sent_at,
        payload=payload if isinstance(payload, dict) else {"data": payload},
        raw=RawRecord("webhook", delivery_id, body, now),
    )
