"""Redaction of secrets and personal data before anything reaches a log line or an error.

Request logs and error bodies are the usual way tokens and buyers' addresses leak (into log
shippers, bug reports, outbox ``last_error`` columns). Everything the HTTP layer logs or
attaches to an error passes through here first. Matching is by *name* (header, query
parameter, JSON key), normalised so ``BuyerEmail``, ``buyer_email`` and ``buyer-email`` are the
same, plus a few value patterns (bearer tokens, Amazon LWA tokens) for free text.

Names and patterns miss a secret echoed back bare, URL-encoded or base64'd: each function
here also takes the account's :class:`~channelhub.core.redaction.SecretRedactor`, which
removes the account's actual secret values (in every encoding) *before* anything is parsed
or cut to size, so a truncation can never leave half a token behind.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from channelhub.core.redaction import SecretRedactor

REDACTED = "[REDACTED]"

SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-amz-access-token",
        "x-amz-security-token",
        "x-amzn-restricted-data-token",
        "x-shopify-access-token",
        "x-shopify-hmac-sha256",
        "x-ebay-signature",
        "x-hmac-signature",
        "x-api-key",
        "api-key",
        "x-auth-token",
        "x-access-token",
    }
)


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


# Exact (normalised) names of values that are secrets or personal data.
_SENSITIVE_NAMES = frozenset(
    _norm(n)
    for n in (
        # secrets
        "access_token", "refresh_token", "id_token", "token", "client_secret", "app_secret",
        "secret", "password", "passwd", "api_key", "apikey", "sign", "signature",
        "assertion", "private_key", "restricted_data_token", "session", "sessionid",
        # personal data
        "email", "phone", "phone_number", "mobile", "tel", "fax",
        "name", "first_name", "last_name", "full_name", "given_name", "family_name",
        "buyer_name", "recipient_name", "contact_name", "receiver_name", "company",
        "address1", "address2", "address3", "address_line1", "address_line2", "address_line3",
        "street", "street1", "street2", "street3", "line1", "line2", "line3",
        "address", "buyer_info", "buyer_tax_info", "shipping_address", "billing_address",
        "ship_to", "ship_to_address", "default_address", "contact_address", "customer",
        "registration_address", "tax_registration_id", "vat_number", "cpf",
    )
)  # fmt: skip

_SECRET_HEADERS_NORMALISED = frozenset(_norm(h) for h in SECRET_HEADERS)

# OAuth authorization codes travel in query strings; in JSON bodies ``code`` is an error code.
_SENSITIVE_QUERY_NAMES = frozenset({"code", "state", "spapi_oauth_code"})

# Any name *containing* one of these is sensitive too (buyerEmail, recipientPhone, xToken…).
_SENSITIVE_FRAGMENTS = ("token", "secret", "password", "email", "phone", "apikey", "signature")

# Free-text patterns for values that leak outside a named field.
_TEXT_PATTERNS = (
    re.compile(r"(?i)\b(bearer|basic)\s+[a-z0-9._~+/=-]+"),
    re.compile(r"\bAtz[a-z]\|[A-Za-z0-9._~+/=|-]+"),  # Login with Amazon tokens
    re.compile(r"\bshp(at|ss|ca|pa)_[A-Za-z0-9]+"),  # Shopify access tokens / secrets
    re.compile(r"(?i)\b[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}\b"),  # e-mail addresses
)


def is_sensitive_name(name: str) -> bool:
    """True when a header, parameter or JSON key named ``name`` holds a secret or personal data."""
    key = _norm(name)
    if key in _SENSITIVE_NAMES or key in _SECRET_HEADERS_NORMALISED:
        return True
    return any(fragment in key for fragment in _SENSITIVE_FRAGMENTS)


def redact_text(text: str) -> str:
    """Mask token- and e-mail-shaped substrings in free text."""
    for pattern in _TEXT_PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text


def redact_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """A copy of ``headers`` with every credential-bearing header masked."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    return {
        name: REDACTED if name.lower() in SECRET_HEADERS or is_sensitive_name(name) else value
        for name, value in items
    }


def redact_query(query: str) -> str:
    """A query string with sensitive parameters masked (order and repeats kept)."""
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode(
        [
            (
                k,
                REDACTED
                if is_sensitive_name(k) or k.lower() in _SENSITIVE_QUERY_NAMES
                else redact_text(v),
            )
            for k, v in pairs
        ],
        safe="[]",
    )


def redact_url(url: str, redactor: SecretRedactor | None = None) -> str:
    """``url`` with user-info dropped and sensitive query parameters (and, with a
    ``redactor``, the account's secret values anywhere in it) masked."""
    if redactor is not None:
        url = redactor.redact(url)
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, redact_query(parts.query), ""))


def redact_json(value: Any) -> Any:
    """A deep copy of a JSON value with every sensitive key's value (whole subtree) masked."""
    if isinstance(value, Mapping):
        return {
            k: REDACTED if is_sensitive_name(str(k)) else redact_json(v) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact_json(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def redact_body(
    body: bytes | str | None, *, limit: int = 2000, redactor: SecretRedactor | None = None
) -> str | None:
    """A redacted, size-capped rendering of a request or response body (JSON, form or text).

    With ``redactor``, the account's secret values go first (before parsing and truncation).
    """
    if body is None or body == b"" or body == "":
        return None
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    if redactor is not None:
        text = redactor.redact(text)
    try:
        rendered = json.dumps(redact_json(json.loads(text)), ensure_ascii=False)
    except ValueError:
        stripped = text.strip()
        if "=" in stripped and " " not in stripped and "\n" not in stripped:
            rendered = redact_query(stripped)  # application/x-www-form-urlencoded
        else:
            rendered = redact_text(text)
    if len(rendered) > limit:
        rendered = rendered[:limit] + f"…(+{len(rendered) - limit} chars)"
    return rendered
