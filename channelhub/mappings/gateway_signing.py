"""Pure helpers of signed, method-named gateways (see :mod:`channelhub.connectors.http.gateway`).

Kept in ``mappings`` so a connector's signing and its simulator's verification are the same
code (simulators may import mappings, never connectors).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any


def compact_json(data: Any, *, sort_keys: bool = False) -> bytes:
    """JSON without spaces, UTF-8 kept as is (what Java's Jackson writes)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys)
    return text.encode("utf-8")


def sorted_concat(params: Mapping[str, Any], *, skip: frozenset[str] = frozenset()) -> str:
    """``k1v1k2v2...`` over the keys in sorted order (``skip`` left out)."""
    return "".join(f"{key}{params[key]}" for key in sorted(params) if key not in skip)


def md5_hex(text: str, *, upper: bool = False) -> str:
    """Hex MD5 of the UTF-8 text (a signature, not a security boundary of ours)."""
    digest = hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()
    return digest.upper() if upper else digest


def signature_matches(given: object, expected: str) -> bool:
    """Constant-time, case-insensitive comparison of a received hex signature."""
    return isinstance(given, str) and hmac.compare_digest(given.lower(), expected.lower())


def hmac_hex(text: str, secret: str, *, digest: str = "sha256", upper: bool = True) -> str:
    """Hex HMAC of the UTF-8 text with ``secret`` (Alibaba IOP / Lazada style: HMAC-SHA256,
    upper-case)."""
    mac = hmac.new(secret.encode("utf-8"), text.encode("utf-8"), digest).hexdigest()
    return mac.upper() if upper else mac
