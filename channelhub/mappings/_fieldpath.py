"""Reading wire payloads field by field, with errors that name the field path and value.

A mapping walks untrusted JSON; a KeyError or TypeError traceback would tell a seller nothing.
Every accessor here takes the dotted path of what it reads so the InvalidInput it raises says
``orders[2].pricingSummary.total.value: 'abc' is not a decimal amount``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from channelhub.core.errors import InvalidInput
from channelhub.core.models import Money

_MISSING = object()


def obj(value: object, path: str, *, source: str) -> Mapping[str, Any]:
    """``value`` as a JSON object, or InvalidInput naming ``path``."""
    if not isinstance(value, Mapping):
        raise InvalidInput.field(path, _short(value), "is not an object", source=source)
    return value


def items(value: object, path: str, *, source: str) -> Sequence[Any]:
    """``value`` as a JSON array (``None`` reads as empty)."""
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        raise InvalidInput.field(path, _short(value), "is not a list", source=source)
    return value


def text(data: Mapping[str, Any], key: str, path: str, *, source: str) -> str:
    """A required string (numbers are accepted and kept as their exact text: ids)."""
    value = data.get(key, _MISSING)
    if value is _MISSING or value is None or value == "":
        raise InvalidInput([f"{path}.{key} is missing"], source=source)
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise InvalidInput.field(f"{path}.{key}", _short(value), "is not text", source=source)
    return str(value)


def opt_text(data: Mapping[str, Any], key: str, path: str, *, source: str) -> str | None:
    """An optional string; ``None`` when absent or empty."""
    if data.get(key) in (None, ""):
        return None
    return text(data, key, path, source=source)


def integer(data: Mapping[str, Any], key: str, path: str, *, source: str) -> int:
    """A required whole number (JSON number or digit string)."""
    value = data.get(key, _MISSING)
    if value is _MISSING or value is None:
        raise InvalidInput([f"{path}.{key} is missing"], source=source)
    return as_int(value, f"{path}.{key}", source=source)


def opt_integer(data: Mapping[str, Any], key: str, path: str, *, source: str) -> int | None:
    """An optional whole number."""
    value = data.get(key)
    return None if value in (None, "") else as_int(value, f"{path}.{key}", source=source)


def as_int(value: object, path: str, *, source: str) -> int:
    """A whole number from a JSON number or digit string; floats with a fraction refused."""
    if isinstance(value, bool):
        raise InvalidInput.field(path, value, "is not a whole number", source=source)
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal | str):
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            number = Decimal("NaN")
        if number.is_finite() and number == number.to_integral_value():
            return int(number)
    raise InvalidInput.field(path, _short(value), "is not a whole number", source=source)


def decimal(value: object, path: str, *, source: str) -> Decimal:
    """A decimal amount from a string or JSON number (never via float)."""
    if isinstance(value, bool) or value is None:
        raise InvalidInput.field(path, value, "is not a decimal amount", source=source)
    if isinstance(value, float):
        raise InvalidInput.field(path, value, "is a float; amounts must be exact", source=source)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise InvalidInput.field(
            path, _short(value), "is not a decimal amount", source=source
        ) from exc
    if not number.is_finite():
        raise InvalidInput.field(path, _short(value), "is not a decimal amount", source=source)
    return number


def money(
    amount: object, currency: object, *, amount_path: str, currency_path: str, source: str
) -> Money:
    """Money from an amount and a currency code, both checked, each error naming its path."""
    number = decimal(amount, amount_path, source=source)
    code = currency.strip().upper() if isinstance(currency, str) else None
    try:
        if code is None:
            raise ValueError(currency)
        return Money(amount=number, currency=code)
    except ValueError as exc:
        raise InvalidInput.field(
            currency_path, _short(currency), "is not an ISO 4217 currency code", source=source
        ) from exc


def iso_time(value: object, path: str, *, source: str) -> datetime:
    """An ISO 8601 timestamp with a zone (``2026-01-31T10:00:00.000Z``), as UTC."""
    if not isinstance(value, str):
        raise InvalidInput.field(path, _short(value), "is not a date and time", source=source)
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInput.field(
            path, value, "is not an ISO 8601 date and time", source=source
        ) from exc
    if parsed.tzinfo is None:
        raise InvalidInput.field(path, value, "has no timezone", source=source)
    return parsed.astimezone(UTC)


def epoch_seconds(value: object, path: str, *, source: str) -> datetime:
    """A UNIX timestamp in seconds (Temu's time fields), as UTC."""
    seconds = as_int(value, path, source=source)
    if not 0 <= seconds < 10**11:
        raise InvalidInput.field(path, seconds, "is not a UNIX time in seconds", source=source)
    return datetime.fromtimestamp(seconds, tz=UTC)


def _short(value: object) -> object:
    """Values quoted in errors are cut short: a whole nested object is not a useful message."""
    if isinstance(value, Mapping | list):
        return f"{type(value).__name__} of {len(value)}"
    return value
