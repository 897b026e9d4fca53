"""Small readers for Shopify's wire values that fail with a sentence, never a traceback.

Every reader takes the dotted path of the value it reads so that an error names the field
and the value (``lineItems.nodes[2].quantity: 'two' is not a whole number``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from channelhub.core import strict
from channelhub.core.errors import InvalidInput

SOURCE = "shopify"
_GID_PREFIX = "gid://shopify/"


def fail(path: str, value: object, why: str) -> InvalidInput:
    """The error for one bad field (callers ``raise fail(...)``)."""
    return InvalidInput.field(path, value, why, source=SOURCE)


def obj(value: object, path: str) -> Mapping[str, Any]:
    """``value`` as a JSON object."""
    if not isinstance(value, Mapping):
        raise fail(path, value, "is not an object")
    return value


def opt_obj(value: object, path: str) -> Mapping[str, Any] | None:
    """``value`` as a JSON object, or None when absent/null."""
    return None if value is None else obj(value, path)


def arr(value: object, path: str) -> list[Any]:
    """``value`` as a JSON array (null reads as empty)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise fail(path, value, "is not a list")
    return value


def text(value: object, path: str, limit: int = strict.NAME_CHARS) -> str:
    """A required, non-empty string of at most ``limit`` characters."""
    if not isinstance(value, str) or not value.strip():
        raise fail(path, value, "is not a non-empty text")
    return strict.text(value, path, limit=limit, source=SOURCE)


def opt_text(value: object, path: str, limit: int = strict.NAME_CHARS) -> str | None:
    """An optional string; empty strings read as None."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise fail(path, value, "is not text")
    return strict.opt_text(value, path, limit=limit, source=SOURCE)


def whole(
    value: object,
    path: str,
    *,
    minimum: int = 0,
    maximum: int = strict.MAX_QUANTITY,
) -> int:
    """A whole number given as a JSON integer or its ASCII decimal text, within bounds."""
    return strict.whole(value, path, minimum=minimum, maximum=maximum, source=SOURCE)


def external_id(value: object, path: str) -> str:
    """A Shopify id as a string: ``gid://shopify/Order/123``, ``123`` or the JSON int 123.

    A float is refused: Shopify ids exceed 2^53, so a float may already have lost digits.
    """
    if isinstance(value, (bool, float)):
        raise fail(path, value, "is not an exact id (ids above 2^53 cannot be floats)")
    if isinstance(value, int):
        if 0 < value.bit_length() <= 64 and value > 0:
            return str(value)
        raise fail(path, value, "is not a Shopify id (a positive 64-bit number)")
    if isinstance(value, str) and len(value) <= strict.ID_CHARS:
        raw = value.strip()
        if raw.startswith(_GID_PREFIX):
            raw = raw.rsplit("/", 1)[-1].split("?", 1)[0]
        if strict.DIGITS_ID.fullmatch(raw) and len(raw) <= 20:
            return raw
    raise fail(path, value, "is not a Shopify id (gid://shopify/Type/123 or digits)")


def opt_external_id(value: object, path: str) -> str | None:
    """An optional Shopify id."""
    return None if value is None else external_id(value, path)


def gid(kind: str, numeric_id: str | int) -> str:
    """The GraphQL global id of a numeric id: ``gid("Order", "123")``."""
    raw = str(numeric_id)
    if raw.startswith(_GID_PREFIX):
        return raw
    if not strict.DIGITS_ID.fullmatch(raw):
        raise fail(f"{kind} id", numeric_id, "is not a Shopify id (digits)")
    return f"{_GID_PREFIX}{kind}/{raw}"


def amount(value: object, path: str, *, signed: bool = False) -> Decimal:
    """A decimal amount from its JSON text (or an exact int/Decimal); floats are refused.

    Bounded in size and places; Shopify's prices, totals, taxes and discounts are never
    negative, so a negative amount is refused unless ``signed``.
    """
    if isinstance(value, (bool, float)):
        raise fail(path, value, "is not a decimal amount given as text")
    return strict.amount(value, path, signed=signed, source=SOURCE)


def when(value: object, path: str) -> datetime:
    """An ISO 8601 instant with its zone, as UTC (bounded: year 1 is not an order date)."""
    if isinstance(value, str) and value.strip() and not _has_zone(value.strip()):
        raise fail(path, value, "has no timezone (times must carry one)")
    return strict.iso_instant(value, path, source=SOURCE)


def _has_zone(raw: str) -> bool:
    return raw.endswith(("Z", "z")) or (len(raw) > 6 and raw[-6] in "+-" and raw[-3] == ":")


def opt_when(value: object, path: str) -> datetime | None:
    """An optional instant."""
    return None if value is None else when(value, path)


def money_bag(value: object, path: str) -> tuple[Decimal, str] | None:
    """A GraphQL ``MoneyBag``'s presentment money as (amount, currency), or None when absent."""
    bag = opt_obj(value, path)
    if bag is None:
        return None
    money = obj(bag.get("presentmentMoney"), f"{path}.presentmentMoney")
    return (
        amount(money.get("amount"), f"{path}.presentmentMoney.amount"),
        strict.currency(
            money.get("currencyCode"), f"{path}.presentmentMoney.currencyCode", source=SOURCE
        ),
    )
