"""What is kept of a refused request: bounded evidence, never the body.

Its size, the SHA-256 of what was read, the first ``head`` bytes, and the headers with every
value redacted except a short list that identifies a delivery without granting anything
(content type, topic, delivery id, timestamps). A signature or token in any other header is
replaced by its length.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

#: Header values kept as sent (lower case names); everything else is redacted.
SAFE_HEADERS = frozenset(
    {
        "content-type",
        "content-length",
        "user-agent",
        "x-shopify-topic",
        "x-shopify-shop-domain",
        "x-shopify-api-version",
        "x-shopify-webhook-id",
        "x-shopify-event-id",
        "x-shopify-triggered-at",
        "webhook-id",
        "webhook-timestamp",
        "shipbob-topic",
        "x-forwarded-for",
    }
)
MAX_HEADERS = 40
MAX_VALUE = 200
REASON_LIMIT = 300


def redact_headers(headers: Mapping[str, str]) -> dict[str, Any]:
    """The headers as kept: safe values cut to 200 characters, others as their length only."""
    kept: dict[str, Any] = {}
    for index, (name, value) in enumerate(headers.items()):
        if index >= MAX_HEADERS:
            kept["(more)"] = len(headers) - MAX_HEADERS
            break
        key = name.lower()[:100]
        kept[key] = value[:MAX_VALUE] if key in SAFE_HEADERS else f"(redacted, {len(value)} chars)"
    return kept


def evidence(
    *,
    body: bytes,
    size: int | None = None,
    head_bytes: int,
    headers: Mapping[str, str],
    reason: str,
    complete: bool = True,
) -> dict[str, Any]:
    """The :class:`~channelhub.store.tables.jobs.RefusedDelivery` fields of one refusal;
    ``complete`` False: ``body`` is only what was read before the refusal (no hash)."""
    return {
        "size": len(body) if size is None else size,
        "sha256": hashlib.sha256(body).hexdigest() if complete else None,
        "head": bytes(body[:head_bytes]),
        "headers": redact_headers(headers),
        "reason": reason[:REASON_LIMIT],
    }
