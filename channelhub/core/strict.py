"""Strict values at the mapping boundary: numbers, amounts, quantities, text and ids.

Every platform's mapping reads untrusted JSON through these helpers, so one rule holds for all
of them: a value the hub cannot trust is refused with :class:`InvalidInput` naming the field
and quoting at most :data:`~channelhub.core.errors.EXCERPT_CHARS` characters of the value.

- Numbers are checked as *text* before any conversion: at most :data:`MAX_NUMBER_CHARS`
  characters, ASCII digits only (``str.isdigit`` accepts ``'²'``; ``int('٣')`` accepts Arabic
  digits), an exponent of at most three digits. ``"1e999999"`` or 5,000 digits is refused in
  time proportional to a few dozen characters, before ``Decimal`` or ``int`` sees it.
- Quantities are whole numbers in ``0..MAX_QUANTITY`` per line; amounts are below
  :data:`MAX_AMOUNT` in size with at most :data:`MAX_PLACES` decimals and, unless the platform
  says otherwise, not negative.
- A sum of money is in one currency; a mixed sum names both currencies.
- Text is text: a dict or list where a string is expected is an error, never its repr; each
  kind of text has a length limit; ids match their platform's shape.

Why not a library: pydantic's constrained types check *after* conversion (``Decimal('1e999999')``
is cheap, but ``int()`` of it is not, and ``int('²')`` is not caught by ``isdigit``), and their
messages quote the whole value. These helpers are small and pure, and every mapping shares them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from channelhub.core.codes import CURRENCIES
from channelhub.core.errors import InvalidInput, excerpt
from channelhub.core.money import Money
from channelhub.core.types import PLATFORM_ID_PATTERN

#: The longest number text accepted (sign, digits, point, exponent): 10^9 with 4 places fits.
MAX_NUMBER_CHARS = 40
#: Significant digits kept in an amount (Numeric(20, 6) in the store holds 20).
MAX_DIGITS = 20
#: Units of one listing on one order line (or one package line, one stock movement).
MAX_QUANTITY = 100_000
#: Units one stock level may report (a warehouse holds more of a SKU than one order asks).
MAX_STOCK = 100_000_000
#: Amounts are smaller than this in size (an order of a billion is a bug, not a sale).
MAX_AMOUNT = Decimal(10) ** 9
#: Decimal places an amount may carry (cents, and the 3-4 places of some currencies and rates).
MAX_PLACES = 4
#: Earliest and latest instants a platform's timestamp may carry (year 1 overflows a zone shift).
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)

#: Length limits per kind of text (characters).
ID_CHARS = 128
SKU_CHARS = 128
TITLE_CHARS = 1_000
TAG_CHARS = 255
NAME_CHARS = 255
ADDRESS_CHARS = 255
NOTE_CHARS = 5_000
CODE_CHARS = 64

_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?", re.ASCII)
_WHOLE = re.compile(r"[+-]?[0-9]{1,18}", re.ASCII)

#: A generic platform id: printable ASCII without spaces (``123-4567890-1234567``, ``PO-1``).
GENERIC_ID = re.compile(PLATFORM_ID_PATTERN.strip("^$"), re.ASCII)
#: Digits only (Shopify, Temu, eBay legacy ids), ASCII.
DIGITS_ID = re.compile(r"[0-9]{1,32}", re.ASCII)


def invalid(field: str, value: object, why: str, *, source: str | None = None) -> InvalidInput:
    """The hub's error for one bad field (the value quoted as a short excerpt)."""
    return InvalidInput.field(field, value, why, source=source)


def _number_text(value: object, field: str, source: str | None, what: str) -> str:
    """A number's text after the cheap checks (type, length, ASCII form)."""
    if isinstance(value, bool) or value is None:
        raise invalid(field, value, f"is not {what}", source=source)
    if isinstance(value, float):
        raise invalid(field, value, "is a float; amounts must be exact", source=source)
    if isinstance(value, int):
        if value.bit_length() > 64:
            raise invalid(field, value, "is too large a number", source=source)
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise invalid(field, value, "is not a finite number", source=source)
        digits = value.as_tuple()
        exponent = digits.exponent
        if len(digits.digits) > MAX_DIGITS or not isinstance(exponent, int):
            raise invalid(field, value, "has too many digits", source=source)
        if not -MAX_DIGITS <= exponent + len(digits.digits) <= MAX_DIGITS:
            raise invalid(field, value, "is too large or too small a number", source=source)
        return format(value, "f")
    if not isinstance(value, str):
        raise invalid(field, value, f"is not {what}", source=source)
    raw = value.strip()
    if len(raw) > MAX_NUMBER_CHARS:
        raise invalid(field, value, f"is longer than {MAX_NUMBER_CHARS} characters", source=source)
    if not _NUMBER.fullmatch(raw):
        raise invalid(field, value, f"is not {what} (ASCII digits)", source=source)
    return raw


def number(
    value: object, field: str, *, what: str = "a number", source: str | None = None
) -> Decimal:
    """A finite Decimal from a JSON number, Decimal or number text, refused in constant time
    when it is too long, has an exponent beyond three digits or is not written in ASCII digits.
    """
    raw = _number_text(value, field, source, what)
    try:
        parsed = Decimal(raw)
    except InvalidOperation:
        raise invalid(field, value, f"is not {what}", source=source) from None
    if not parsed.is_finite() or abs(parsed.adjusted()) > MAX_DIGITS:
        raise invalid(field, value, "is too large or too small a number", source=source)
    return parsed


def whole(
    value: object,
    field: str,
    *,
    minimum: int = 0,
    maximum: int = MAX_QUANTITY,
    source: str | None = None,
) -> int:
    """A whole number in ``minimum..maximum`` (JSON int, ``"12"``, or an integral ``"12.0"``)."""
    if isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        result = int(value.strip())
    else:
        parsed = number(value, field, what="a whole number", source=source)
        if parsed != parsed.to_integral_value():
            raise invalid(field, value, "is not a whole number", source=source)
        result = int(parsed)
    if result < minimum:
        raise invalid(field, value, f"must be at least {minimum}", source=source)
    if result > maximum:
        raise invalid(field, value, f"must be at most {maximum:,}", source=source)
    return result


def quantity(
    value: object,
    field: str,
    *,
    minimum: int = 0,
    maximum: int = MAX_QUANTITY,
    source: str | None = None,
) -> int:
    """A count of units on one line: whole, ``minimum`` (0 or 1) up to :data:`MAX_QUANTITY`."""
    return whole(value, field, minimum=minimum, maximum=maximum, source=source)


def amount(
    value: object,
    field: str,
    *,
    signed: bool = False,
    places: int = MAX_PLACES,
    source: str | None = None,
) -> Decimal:
    """An amount of money: below :data:`MAX_AMOUNT` in size, at most ``places`` decimals, and
    not negative unless the platform defines negative amounts there (``signed=True``).
    """
    parsed = number(value, field, what="a decimal amount", source=source)
    if abs(parsed) >= MAX_AMOUNT:
        raise invalid(field, value, f"is not below {MAX_AMOUNT:,} in size", source=source)
    exponent = parsed.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise invalid(field, value, f"has more than {places} decimal places", source=source)
    if parsed < 0 and not signed:
        raise invalid(field, value, "is negative", source=source)
    return parsed + 0  # drops a negative zero's sign


def json_amount(
    value: object, field: str, *, signed: bool = False, source: str | None = None
) -> Decimal:
    """An amount a platform sends as a JSON *number*, which the HTTP client parsed as a float.

    ``repr`` gives the shortest text that reads back as the same float. Every amount
    :func:`amount` accepts (below 10^9, at most 4 places: at most 13 significant digits) is
    exactly that text, so nothing is lost; a longer number is refused by :func:`amount`.
    """
    if isinstance(value, float):
        if not math.isfinite(value):
            raise invalid(field, value, "is not a finite number", source=source)
        value = repr(value)
    return amount(value, field, signed=signed, source=source)


def money_node(
    node: object,
    *,
    where: str,
    amount_key: str,
    currency_key: str,
    signed: bool = True,
    source: str | None = None,
) -> tuple[Decimal, str]:
    """A platform's amount object (``{"currencyAmount": -1.5, "currencyCode": "USD"}``) as
    an exact amount and its ISO 4217 code; finance amounts are signed (fees, refunds).
    """
    if not isinstance(node, Mapping):
        raise invalid(where, node, "is not an amount", source=source)
    code = currency(node.get(currency_key), f"{where}.{currency_key}", source=source)
    value = json_amount(node.get(amount_key), f"{where}.{amount_key}", signed=signed, source=source)
    return value, code


def currency(value: object, field: str, *, source: str | None = None) -> str:
    """An ISO 4217 code (``usd`` and ``USD `` read as ``USD``)."""
    if not isinstance(value, str) or len(value) > CODE_CHARS:
        raise invalid(field, value, "is not an ISO 4217 currency code", source=source)
    code = value.strip().upper()
    if code not in CURRENCIES:
        raise invalid(field, value, "is not an ISO 4217 currency code", source=source)
    return code


def money(
    value: object,
    code: object,
    *,
    amount_field: str,
    currency_field: str,
    signed: bool = False,
    source: str | None = None,
) -> Money:
    """Money from an amount and a currency, each checked and each error naming its field."""
    number_ = amount(value, amount_field, signed=signed, source=source)
    return Money(amount=number_, currency=currency(code, currency_field, source=source))


def money_sum(
    parts: Iterable[tuple[str, Money]], field: str, *, source: str | None = None
) -> Money | None:
    """The sum of ``(field, money)`` parts, or None for none. Mixed currencies are an error
    naming both (EUR and JPY taxes are not 501.00 EUR); a sum too large is an error too.
    """
    total: Money | None = None
    first_field = field
    for where, part in parts:
        if total is None:
            total, first_field = part, where
            continue
        if part.currency != total.currency:
            raise invalid(
                where,
                part.currency,
                f"differs from {first_field}'s {total.currency}: a sum of {field} "
                f"cannot mix {total.currency} and {part.currency}",
                source=source,
            )
        total = Money(amount=total.amount + part.amount, currency=total.currency)
        if abs(total.amount) >= MAX_AMOUNT:
            raise invalid(field, total.amount, f"sums to {MAX_AMOUNT:,} or more", source=source)
    return total


def product(unit: Money, count: int, field: str, *, source: str | None = None) -> Money:
    """``unit`` times ``count`` (a line total from its unit price), refused when too large."""
    result = unit.amount * count
    if abs(result) >= MAX_AMOUNT:
        raise invalid(field, result, f"is {MAX_AMOUNT:,} or more", source=source)
    return Money(amount=result, currency=unit.currency)


def text(
    value: object,
    field: str,
    *,
    limit: int = NAME_CHARS,
    numbers: bool = False,
    source: str | None = None,
) -> str:
    """A required, non-empty string of at most ``limit`` characters (stripped).

    A dict or list is an error (its repr is not a name); ``numbers=True`` lets a JSON whole
    number stand for its digits (ids some platforms send as numbers).
    """
    if numbers and isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() > 128:
            raise invalid(field, value, "is too large a number for an id", source=source)
        value = str(value)
    if not isinstance(value, str):
        raise invalid(field, value, "is not text", source=source)
    if len(value) > limit * 2 + 64:  # strip() of megabytes of spaces is not free either
        raise invalid(field, value, f"is longer than {limit:,} characters", source=source)
    cleaned = value.strip()
    if not cleaned:
        raise invalid(field, value, "is empty", source=source)
    if len(cleaned) > limit:
        raise invalid(field, value, f"is longer than {limit:,} characters", source=source)
    if "\x00" in cleaned:
        raise invalid(field, value, "contains a NUL character", source=source)
    return cleaned


def opt_text(
    value: object,
    field: str,
    *,
    limit: int = NAME_CHARS,
    numbers: bool = False,
    source: str | None = None,
) -> str | None:
    """An optional string: None when absent, null or blank; otherwise as :func:`text`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return text(value, field, limit=limit, numbers=numbers, source=source)


def identifier(
    value: object,
    field: str,
    *,
    shape: re.Pattern[str] = GENERIC_ID,
    numbers: bool = False,
    what: str = "an id",
    source: str | None = None,
) -> str:
    """An id matching its platform's ``shape`` (ASCII: ``'²³'`` is not an order id)."""
    raw = text(value, field, limit=ID_CHARS, numbers=numbers, source=source)
    if not shape.fullmatch(raw):
        raise invalid(field, value, f"is not {what}", source=source)
    return raw


def opt_identifier(
    value: object,
    field: str,
    *,
    shape: re.Pattern[str] = GENERIC_ID,
    numbers: bool = False,
    what: str = "an id",
    source: str | None = None,
) -> str | None:
    """An optional id (None when absent, null or blank)."""
    if value is None or value == "":
        return None
    return identifier(value, field, shape=shape, numbers=numbers, what=what, source=source)


def tags(
    values: Iterable[object], field: str, *, source: str | None = None, limit: int = 250
) -> tuple[str, ...]:
    """Tags as short texts; a dict or list among them is an error, not a tag of its repr."""
    result: list[str] = []
    for index, value in enumerate(values):
        if index >= limit:
            raise invalid(field, f"{index + 1}+ tags", f"has more than {limit} tags", source=source)
        tag = opt_text(value, f"{field}[{index}]", limit=TAG_CHARS, source=source)
        if tag is not None:
            result.append(tag)
    return tuple(result)


def instant(
    value: datetime, field: str, *, shown: object = None, source: str | None = None
) -> datetime:
    """An aware instant within :data:`EARLIEST`..:data:`LATEST`, as UTC.

    Year 1 or 9999 plus a zone offset overflows ``astimezone``; no order is that old or new.
    """
    quoted = value.isoformat() if shown is None else shown
    if value.tzinfo is None or value.utcoffset() is None:
        raise invalid(field, quoted, "has no timezone", source=source)
    if value.year <= 1 or value.year >= 9999:
        raise invalid(field, quoted, "is not a plausible date", source=source)
    result = value.astimezone(UTC)
    if not EARLIEST <= result < LATEST:
        raise invalid(
            field,
            quoted,
            f"is not between {EARLIEST.year} and {LATEST.year}",
            source=source,
        )
    return result


def iso_instant(value: object, field: str, *, source: str | None = None) -> datetime:
    """An ISO 8601 timestamp with a zone (``2026-01-31T10:00:00Z``), bounded, as UTC."""
    if not isinstance(value, str) or len(value) > 64:
        raise invalid(field, value, "is not an ISO 8601 date and time", source=source)
    raw = value.strip()
    if not raw.isascii():
        raise invalid(field, value, "is not an ISO 8601 date and time", source=source)
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise invalid(field, value, "is not an ISO 8601 date and time", source=source) from None
    return instant(parsed, field, shown=value, source=source)


def message(value: object, limit: int = TITLE_CHARS) -> str:
    """A platform's own message (an error's text) for a log or a result: never refused, but
    cut to ``limit`` characters, and anything not text (a dict, a huge number) is described
    by :func:`~channelhub.core.errors.excerpt`, never printed whole."""
    if isinstance(value, str):
        return value if len(value) <= limit else f"{value[:limit]}... ({len(value):,} characters)"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() <= 64:
        return str(value)
    return excerpt(value)


def shape_of(value: object) -> str:
    """A payload's kind in a few words, for errors about the whole document."""
    if isinstance(value, Mapping):
        return f"object with {len(value)} keys"
    if isinstance(value, list):
        return f"list of {len(value)}"
    return type(value).__name__
