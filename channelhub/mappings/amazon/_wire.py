"""Reading Amazon JSON with errors that name the field path and the value.

A mapping never lets a KeyError or TypeError escape: every read goes through :class:`Wire`,
which knows where it is in the payload (``orders[3].orderItems[0].quantityOrdered``) and raises
``InvalidInput`` with that path, the value found and why it cannot be used.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from channelhub.core.codes import COUNTRIES, CURRENCIES
from channelhub.core.errors import InvalidInput
from channelhub.core.money import Money

_MISSING = object()


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

    def text(self) -> str:
        if not isinstance(self.value, str):
            raise self.fail("is not text")
        return self.value

    def nonempty_text(self) -> str:
        value = self.text().strip()
        if not value:
            raise self.fail("is empty")
        return value

    def integer(self, *, minimum: int | None = None) -> int:
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise self.fail("is not a whole number")
        if minimum is not None and self.value < minimum:
            raise self.fail(f"must be at least {minimum}")
        return self.value

    def when(self) -> datetime:
        """An ISO 8601 instant with a timezone (Amazon sends UTC ``...Z``)."""
        raw = self.text()
        try:
            value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise self.fail("is not an ISO 8601 date-time") from None
        if value.tzinfo is None:
            raise self.fail("has no timezone (Amazon times end in 'Z')")
        return value

    def money(self) -> Money:
        """Amazon ``Money``: ``{"amount": "12.50", "currencyCode": "USD"}`` (amount a string)."""
        amount_node = self.req("amount")
        currency = self.req("currencyCode").text().strip().upper()
        if currency not in CURRENCIES:
            raise self.req("currencyCode").fail("is not an ISO 4217 currency code")
        raw = amount_node.value
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            raise amount_node.fail("is not a decimal amount (Amazon sends a string)")
        try:
            amount = Decimal(str(raw).strip())
        except InvalidOperation:
            raise amount_node.fail("is not a decimal amount") from None
        if not amount.is_finite():
            raise amount_node.fail("is not a finite amount")
        return Money(amount=amount, currency=currency)

    def country(self) -> str:
        code = self.text().strip().upper()
        if code not in COUNTRIES:
            raise self.fail("is not an ISO 3166-1 alpha-2 country code (e.g. 'US', 'SA')")
        return code

    def opt_text(self, key: str) -> str | None:
        child = self.get(key)
        if child is None:
            return None
        value = child.text().strip()
        return value or None
