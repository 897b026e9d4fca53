"""Temu Open API request signing and the common parameters every call carries.

Contract unverified: Temu publishes no machine-readable spec. This follows the "API request
signature method" and "common parameters" pages of the partner docs as transcribed in
contracts/temu/partner-documentation-transcript.md (third-party copy, github
vanky2viva/temu-omni@8ae3867), checked against the recomputed vector temu_sign_vector.json.

``sign = upper(md5(secret + concat(key + value for params sorted by key) + secret))`` where a
string value is itself, and a number or nested value is its compact JSON (``ensure_ascii=False``,
no spaces), exactly like the reference ``TestSign.py``. Nested objects keep their insertion
order, so the body must be serialised by :func:`encode_body` from the same dict that was signed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from channelhub.core.errors import InvalidInput

#: The allowed distance between the request's timestamp and the gateway's clock.
TIMESTAMP_SKEW_SECONDS = 300

#: Regional router endpoints (one per region: shops in the US, in the EU, elsewhere).
REGION_HOSTS: Mapping[str, str] = {
    "us": "https://openapi-b-us.temu.com",
    "eu": "https://openapi-b-eu.temu.com",
    "global": "https://openapi-b-global.temu.com",
}
ROUTER_PATH = "/openapi/router"


def _value_text(value: object) -> str:
    """One parameter value as it appears in the sign string (the reference's json-then-strip)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).strip('"')


def sign_string(params: Mapping[str, Any], app_secret: str) -> str:
    """The text that is hashed: secret + k1v1k2v2... (sorted by key, ``sign`` excluded) + secret."""
    body = "".join(f"{key}{_value_text(params[key])}" for key in sorted(params) if key != "sign")
    return f"{app_secret}{body}{app_secret}"


def compute_sign(params: Mapping[str, Any], app_secret: str) -> str:
    """The ``sign`` of ``params``: upper-case hex MD5 of :func:`sign_string`."""
    digest = hashlib.md5(sign_string(params, app_secret).encode("utf-8"), usedforsecurity=False)
    return digest.hexdigest().upper()


def sign_matches(params: Mapping[str, Any], app_secret: str) -> bool:
    """True when ``params['sign']`` is the right signature (constant-time compare)."""
    given = params.get("sign")
    if not isinstance(given, str):
        return False
    return hmac.compare_digest(given.upper(), compute_sign(params, app_secret))


def region_router_url(region: str) -> str:
    """The router URL for ``region`` (``us``, ``eu`` or ``global``)."""
    try:
        return REGION_HOSTS[region] + ROUTER_PATH
    except KeyError:
        raise InvalidInput.field(
            "region", region, f"is not one of {', '.join(REGION_HOSTS)}"
        ) from None


def signed_request(
    api_type: str,
    business_params: Mapping[str, Any],
    *,
    app_key: str,
    app_secret: str,
    access_token: str,
    now: datetime,
) -> dict[str, Any]:
    """The full body for one call: common params + business params + ``sign``.

    ``now`` is injected (no clock here); the timestamp is its UNIX seconds, which the gateway
    accepts within ±300 s of its own time.
    """
    if now.tzinfo is None:
        raise InvalidInput.field("now", now.isoformat(), "has no timezone")
    reserved = {"type", "app_key", "access_token", "timestamp", "data_type", "sign"}
    clash = reserved & set(business_params)
    if clash:
        raise InvalidInput.field("params", sorted(clash), "are common parameters set by signing")
    params: dict[str, Any] = {
        "type": api_type,
        "app_key": app_key,
        "access_token": access_token,
        "data_type": "JSON",
        "timestamp": int(now.timestamp()),
        **business_params,
    }
    params["sign"] = compute_sign(params, app_secret)
    return params


def encode_body(params: Mapping[str, Any]) -> bytes:
    """The exact bytes to POST: the compact JSON the signature was computed over."""
    return json.dumps(params, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def timestamp_within_skew(timestamp: object, now: datetime) -> bool:
    """Whether a request's ``timestamp`` is within ±300 s of ``now`` (what the gateway checks)."""
    try:
        seconds = int(str(timestamp))
    except ValueError:
        return False
    return abs(seconds - int(now.timestamp())) <= TIMESTAMP_SKEW_SECONDS
