"""Small readers for Shopify's wire values that fail with a sentence, never a traceback.

Every reader takes the dotted path of the value it reads so that an error names the field
and the value (``lineItems.nodes[2].quantity: 'two' is not a whole number``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

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


def text(value: object, path: str) -> str:
    """A required, non-empty string."""
    if not isinstance(value, str) or not value.strip():
        raise fail(path, value, "is not a non-empty text")
    return value


def opt_text(value: object, path: str) -> str | None:
    """An optional string; empty strings read as None."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise fail(path, value, "is not text")
    return value.strip() or None


def whole(value: object, path: str) -> int:
    """A whole number given as a JSON integer or its decimal text."""
    if isinstance(value, bool):
        raise fail(path, value, "is not a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise fail(path, value, "is not a whole number")


def external_id(value: object, path: str) -> str:
    """A Shopify id as a string: ``gid://shopify/Order/123``, ``123`` or the JSON int 123.

    A float is refused: Shopify ids exceed 2^53, so a float may already have lost digits.
    """
    if isinstance(value, (bool, float)):
        raise fail(path, value, "is not an exact id (ids above 2^53 cannot be floats)")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        raw = value.strip()
        if raw.startswith(_GID_PREFIX):
            raw = raw.rsplit("/", 1)[-1].split("?", 1)[0]
        if raw.isdigit():
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
    if not raw.isdigit():
        raise fail(f"{kind} id", numeric_id, "is not a Shopify id (digits)")
    return f"{_GID_PREFIX}{kind}/{raw}"


def amount(value: object, path: str) -> Decimal:
    """A decimal amount from its JSON text (or an exact int/Decimal); floats are refused."""
    if isinstance(value, (bool, float)):
        raise fail(path, value, "is not a decimal amount given as text")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int | str):
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise fail(path, value, "is not a decimal amount") from None
    else:
        raise fail(path, value, "is not a decimal amount")
    if not number.is_finite():
        raise fail(path, value, "is not a finite amount")
    return number


def when(value: object, path: str) -> datetime:
    """An ISO 8601 instant with its zone, as UTC."""
    if not isinstance(value, str):
        raise fail(path, value, "is not a date and time")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise fail(path, value, "is not an ISO 8601 date and time") from None
    if parsed.tzinfo is None:
        raise fail(path, value, "has no timezone (times must carry one)")
    return parsed.astimezone(UTC)


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
        text(money.get("currencyCode"), f"{path}.presentmentMoney.currencyCode").upper(),
    )
