"""Money: a Decimal amount with its ISO 4217 currency. Never a float.

Sums across currencies are refused rather than guessed: converting needs a rate and a date,
which belong to accounting, not to the order model.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, StringConstraints, field_validator

from channelhub.core.codes import CURRENCIES, minor_units
from channelhub.core.types import VALUE_CONFIG

CurrencyCode = Annotated[str, StringConstraints(min_length=3, max_length=3)]


class Money(BaseModel):
    """An amount of one currency. ``Money.of("12.50", "USD")`` builds one from text."""

    model_config = VALUE_CONFIG

    amount: Decimal
    currency: CurrencyCode

    @field_validator("amount")
    @classmethod
    def _finite(cls, value: Decimal) -> Decimal:
        if not value.is_finite():
            raise ValueError("is not a finite amount")
        return value

    @field_validator("currency")
    @classmethod
    def _iso_currency(cls, value: str) -> str:
        if value not in CURRENCIES:
            raise ValueError("is not an ISO 4217 currency code (e.g. 'USD', 'EUR')")
        return value

    @classmethod
    def of(cls, amount: str | int | Decimal, currency: str) -> Money:
        """Build from a decimal string or integer; a float is refused (it cannot hold cents)."""
        if isinstance(amount, float):
            raise TypeError("Money takes a decimal string, not a float")
        return cls(amount=Decimal(str(amount)), currency=currency.strip().upper())

    @classmethod
    def zero(cls, currency: str) -> Money:
        """No money, in ``currency``."""
        return cls(amount=Decimal(0), currency=currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(amount=self.amount + other.amount, currency=self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(amount=self.amount - other.amount, currency=self.currency)

    def times(self, factor: int | Decimal) -> Money:
        """This amount multiplied by a whole or decimal factor (a quantity, a rate)."""
        return Money(amount=self.amount * Decimal(factor), currency=self.currency)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def money_text(amount: Decimal, currency: str) -> str:
    """``238.98 USD`` whatever the database returned (PostgreSQL's NUMERIC(20, 6) gives
    ``238.980000``, SQLite the text stored): trailing zeros beyond the currency's minor units
    dropped, never a digit that carries value (a unit price of 0.0125 stays as it is)."""
    exponent = amount.normalize().as_tuple().exponent
    places = max(minor_units(currency), -exponent if isinstance(exponent, int) else 0)
    return f"{amount.quantize(Decimal(1).scaleb(-places))} {currency}"
