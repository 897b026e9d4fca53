"""4PX 递四方 FOP open-platform signing (contract unverified: third-party SDK, see
contracts/wms/4px/SOURCE.txt).

One gateway (``POST /router/api/service``); the common parameters go in the query string —
``app_key``, ``format`` (json), ``method``, ``timestamp`` (milliseconds), ``v`` (1.0.0),
``language`` and ``sign`` — and the business data is the JSON body. FopClient.postFop::

    sign = md5("app_key"+k + "format"+f + "method"+m + "timestamp"+t + "v"+v + BODY + secret)

lower-case hex (Spring's ``DigestUtils.md5DigestAsHex``), ``BODY`` the exact body bytes as
text ("" for no body). ``language`` and ``access_token`` are sent but not signed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from channelhub.mappings.gateway_signing import md5_hex, signature_matches

VERSION = "1.0.0"
SIGNED = ("app_key", "format", "method", "timestamp", "v")


def sign_string(query: Mapping[str, str], body: str, secret: str) -> str:
    """name+value of each signed query parameter in order, then the body, then the secret."""
    return "".join(f"{name}{query.get(name, '')}" for name in SIGNED) + body + secret


def compute_sign(query: Mapping[str, str], body: str, secret: str) -> str:
    """Lower-case hex MD5 of :func:`sign_string`."""
    return md5_hex(sign_string(query, body, secret))


def signed_query(
    method: str, body: str, *, app_key: str, secret: str, now: datetime
) -> dict[str, str]:
    """The query string of one call, ``sign`` included."""
    query = {
        "app_key": app_key,
        "format": "json",
        "method": method,
        "timestamp": str(int(now.timestamp() * 1000)),
        "v": VERSION,
        "language": "en",
    }
    query["sign"] = compute_sign(query, body, secret)
    return query


def sign_matches(query: Mapping[str, str], body: str, secret: str) -> bool:
    return signature_matches(query.get("sign"), compute_sign(query, body, secret))
