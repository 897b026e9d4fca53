"""Reading wire payloads field by field, with errors that name the field path and value.

A mapping walks untrusted JSON; a KeyError or TypeError traceback would tell a seller nothing.
Every accessor here takes the dotted path of what it reads so the InvalidInput it raises says
``orders[2].pricingSummary.total.value: 'abc' is not a decimal amount``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from channelhub.core import strict
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


def text(
    data: Mapping[str, Any], key: str, path: str, *, source: str, limit: int = strict.NAME_CHARS
) -> str:
    """A required string (numbers are accepted and kept as their exact text: ids)."""
    value = data.get(key, _MISSING)
    if value is _MISSING or value is None or value == "":
        raise InvalidInput([f"{path}.{key} is missing"], source=source)
    if isinstance(value, Decimal):
        value = str(strict.number(value, f"{path}.{key}", source=source))
    return strict.text(value, f"{path}.{key}", limit=limit, numbers=True, source=source)


def opt_text(
    data: Mapping[str, Any], key: str, path: str, *, source: str, limit: int = strict.NAME_CHARS
) -> str | None:
    """An optional string; ``None`` when absent or empty."""
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None  # absent, null or blank: nothing said
    return text(data, key, path, source=source, limit=limit)


def ident(data: Mapping[str, Any], key: str, path: str, *, source: str) -> str:
    """A required platform id: printable ASCII without spaces (``'²³'`` is not an id)."""
    return strict.identifier(
        text(data, key, path, source=source, limit=strict.ID_CHARS),
        f"{path}.{key}",
        source=source,
    )


def opt_ident(data: Mapping[str, Any], key: str, path: str, *, source: str) -> str | None:
    """An optional platform id."""
    if data.get(key) in (None, ""):
        return None
    return ident(data, key, path, source=source)


def integer(
    data: Mapping[str, Any],
    key: str,
    path: str,
    *,
    source: str,
    minimum: int = 0,
    maximum: int = strict.MAX_QUANTITY,
) -> int:
    """A required whole number (JSON number or digit string) within ``minimum..maximum``."""
    value = data.get(key, _MISSING)
    if value is _MISSING or value is None:
        raise InvalidInput([f"{path}.{key} is missing"], source=source)
    return as_int(value, f"{path}.{key}", source=source, minimum=minimum, maximum=maximum)


def opt_integer(
    data: Mapping[str, Any],
    key: str,
    path: str,
    *,
    source: str,
    minimum: int = 0,
    maximum: int = strict.MAX_QUANTITY,
) -> int | None:
    """An optional whole number."""
    value = data.get(key)
    if value is None or value == "":
        return None
    return as_int(value, f"{path}.{key}", source=source, minimum=minimum, maximum=maximum)


def as_int(
    value: object,
    path: str,
    *,
    source: str,
    minimum: int = 0,
    maximum: int = strict.MAX_QUANTITY,
) -> int:
    """A whole number from a JSON number or ASCII digit string, checked before conversion
    (``'1e999999'`` and ``'²'`` are refused at once) and bounded."""
    return strict.whole(value, path, minimum=minimum, maximum=maximum, source=source)


def decimal(value: object, path: str, *, source: str, signed: bool = False) -> Decimal:
    """A decimal amount from a string or JSON number (never via float), bounded in size and
    places; negative only where the platform has negative amounts (``signed``)."""
    return strict.amount(value, path, signed=signed, source=source)


def money(
    amount: object,
    currency: object,
    *,
    amount_path: str,
    currency_path: str,
    source: str,
    signed: bool = False,
) -> Money:
    """Money from an amount and a currency code, both checked, each error naming its path."""
    return strict.money(
        amount,
        currency,
        amount_field=amount_path,
        currency_field=currency_path,
        signed=signed,
        source=source,
    )


def iso_time(value: object, path: str, *, source: str) -> datetime:
    """An ISO 8601 timestamp with a zone (``2026-01-31T10:00:00.000Z``), as UTC, bounded."""
    return strict.iso_instant(value, path, source=source)


def epoch_seconds(value: object, path: str, *, source: str) -> datetime:
    """A UNIX timestamp in seconds (Temu's time fields), as UTC, bounded."""
    seconds = as_int(value, path, source=source, maximum=10**11)
    return strict.instant(datetime.fromtimestamp(seconds, tz=UTC), path, source=source)


def _short(value: object) -> object:
    """Values quoted in errors are cut short: a whole nested object is not a useful message."""
    if isinstance(value, Mapping | list):
        return f"{type(value).__name__} of {len(value)}"
    return value
