"""Reading Amazon JSON with errors that name the field path and the value.

A mapping never lets a KeyError or TypeError escape: every read goes through :class:`Wire`,
which knows where it is in the payload (``orders[3].orderItems[0].quantityOrdered``) and raises
``InvalidInput`` with that path, the value found and why it cannot be used.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from channelhub.core import strict
from channelhub.core.codes import COUNTRIES
from channelhub.core.errors import InvalidInput
from channelhub.core.money import Money

_MISSING = object()
#: The shape of every Amazon order id (the seller-facing ``3-7-7`` form).
AMAZON_ORDER_ID = re.compile(r"[0-9]{3}-[0-9]{7}-[0-9]{7}", re.ASCII)


@dataclass(frozen=True)
class Wire:
    """A JSON value and the path it was found at."""

    value: object
    path: str
    source: str | None = None

    def fail(self, why: str, value: object = _MISSING) -> InvalidInput:
        """An InvalidInput about this node (or about ``value`` found here)."""
        shown = self.value if value is _MISSING else value
        return InvalidInput.field(self.path, shown, why, source=self.source)

    def _child_path(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.path}[{key}]"
        return f"{self.path}.{key}" if self.path else key

    def obj(self) -> Mapping[str, object]:
        if not isinstance(self.value, Mapping):
            raise self.fail("is not an object")
        return self.value

    def has(self, key: str) -> bool:
        return self.obj().get(key) is not None

    def get(self, key: str) -> Wire | None:
        """The child at ``key``, or None when absent or null."""
        value = self.obj().get(key)
        return None if value is None else Wire(value, self._child_path(key), self.source)

    def req(self, key: str, hint: str = "") -> Wire:
        """The child at ``key``; missing is an error (``hint`` says how to get it)."""
        child = self.get(key)
        if child is None:
            raise InvalidInput([f"{self._child_path(key)} is missing{hint}"], source=self.source)
        return child

    def items(self) -> Iterator[Wire]:
        if not isinstance(self.value, list):
            raise self.fail("is not a list")
        for index, value in enumerate(self.value):
            yield Wire(value, self._child_path(index), self.source)

    def text(self, limit: int = strict.NAME_CHARS) -> str:
        """A string of at most ``limit`` characters (a dict here is an error, not its repr)."""
        if not isinstance(self.value, str):
            raise self.fail("is not text")
        if len(self.value) > limit and len(self.value.strip()) > limit:
            raise self.fail(f"is longer than {limit:,} characters")
        return self.value

    def nonempty_text(self, limit: int = strict.NAME_CHARS) -> str:
        value = self.text(limit).strip()
        if not value:
            raise self.fail("is empty")
        return value

    def ident(self) -> str:
        """An Amazon id (order item, ASIN): printable ASCII without spaces."""
        return strict.identifier(self.value, self.path, what="an Amazon id", source=self.source)

    def order_id(self) -> str:
        """An Amazon order id: ``3-7-7`` ASCII digits (``123-4567890-1234567``)."""
        return strict.identifier(
            self.value,
            self.path,
            shape=AMAZON_ORDER_ID,
            what="an Amazon order id (like 123-4567890-1234567)",
            source=self.source,
        )

    def integer(self, *, minimum: int = 0, maximum: int = strict.MAX_QUANTITY) -> int:
        """A JSON whole number within ``minimum..maximum`` (Amazon sends integers, not text)."""
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise self.fail("is not a whole number")
        return strict.whole(
            self.value, self.path, minimum=minimum, maximum=maximum, source=self.source
        )

    def when(self) -> datetime:
        """An ISO 8601 instant with a timezone (Amazon sends UTC ``...Z``), bounded."""
        return strict.iso_instant(self.value, self.path, source=self.source)

    def money(self, *, signed: bool = False) -> Money:
        """Amazon ``Money``: ``{"amount": "12.50", "currencyCode": "USD"}`` (amount a string),
        bounded, and negative only where Amazon has negative amounts (``signed``)."""
        amount_node = self.req("amount")
        currency_node = self.req("currencyCode")
        raw = amount_node.value
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            raise amount_node.fail("is not a decimal amount (Amazon sends a string)")
        return strict.money(
            raw,
            currency_node.value,
            amount_field=amount_node.path,
            currency_field=currency_node.path,
            signed=signed,
            source=self.source,
        )

    def country(self) -> str:
        code = self.text(strict.CODE_CHARS).strip().upper()
        if code not in COUNTRIES:
            raise self.fail("is not an ISO 3166-1 alpha-2 country code (e.g. 'US', 'SA')")
        return code

    def opt_text(self, key: str, limit: int = strict.NAME_CHARS) -> str | None:
        child = self.get(key)
        if child is None:
            return None
        value = child.text(limit).strip()
        return value or None
