"""The seller reference a warehouse keeps for the hub's dispatch id (WINIT ``sellerOrderNo``,
4PX ``ref_no``): the hub's outbound idempotency key, so a repeated create names the same order
and the read-back before any resend finds it.

A key that fits the warehouse's limit and character set is sent as it is; any other becomes
``<cleaned tail>-<hash of the whole key>``: deterministic (the same key always gives the same
reference) and distinct (two keys that clean to the same text still differ).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

from channelhub.core.errors import InvalidInput

_SAFE = re.compile(r"[A-Za-z0-9_-]+")
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
_HASH_CHARS = 12


def seller_reference(idempotency_key: str, limit: int) -> str:
    """The reference of ``idempotency_key`` within ``limit`` characters."""
    if len(idempotency_key) <= limit and _SAFE.fullmatch(idempotency_key):
        return idempotency_key
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:_HASH_CHARS]
    room = limit - _HASH_CHARS - 1
    tail = _UNSAFE.sub("-", idempotency_key)[-room:].strip("-") if room > 0 else ""
    return f"{tail}-{digest}" if tail else digest[:limit]


def mapped_code(
    codes: Mapping[str, str], key: str | None, *, what: str, default: str | None = None
) -> str:
    """The warehouse's own code for the hub's ``key`` (a warehouse, a shipping service):
    ``codes[key]``, else ``default``; a clear error names what is missing."""
    if key is not None and key in codes:
        return codes[key]
    if default:
        return default
    known = ", ".join(sorted(codes)) or "none"
    raise InvalidInput.field(what, key, f"has no code at the warehouse (mapped: {known})")
