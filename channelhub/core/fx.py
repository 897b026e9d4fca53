"""Exchange rates: one rate per currency and day, to the reporting currency.

A ledger line posted on a day is converted at the latest rate of its currency on or before
that day. A currency with no such rate is a listed problem, never a silent 1.0: the amounts
it holds stay out of the figures that need them, and the report says which and how many.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from channelhub.core.codes import CURRENCIES

#: Rates are kept in billionths: exact, and enough digits for JPY or IDR to USD.
NANOS = Decimal(1_000_000_000)
_EPOCH = date(1970, 1, 1)


def day_number(day: date) -> int:
    """Days since 1970-01-01 (the store's day numbers)."""
    return (day - _EPOCH).days


def day_of(number: int) -> date:
    """The date of a day number."""
    return date.fromordinal(_EPOCH.toordinal() + number)


@dataclass(frozen=True)
class FxRate:
    """1 ``currency`` = ``rate`` ``quote`` on ``day`` (and after, until the next rate)."""

    day: date
    currency: str
    quote: str
    rate: Decimal

    def __post_init__(self) -> None:
        for code in (self.currency, self.quote):
            if code not in CURRENCIES:
                raise ValueError(f"{code!r} is not an ISO 4217 currency code")
        if not self.rate.is_finite() or self.rate <= 0:
            raise ValueError(f"rate {self.rate} is not a positive number")
        if self.rate * NANOS != int(self.rate * NANOS):
            raise ValueError(f"rate {self.rate} has more than 9 decimal places")
        if self.rate >= 1_000_000_000:
            raise ValueError(f"rate {self.rate} is not below 1,000,000,000")

    @property
    def nanos(self) -> int:
        """The rate in billionths, as stored."""
        return int(self.rate * NANOS)


@dataclass(frozen=True)
class MissingRate:
    """Amounts in ``currency`` posted on or after ``first_day`` with no rate on or before."""

    currency: str
    first_day: date
    lines: int

    def __str__(self) -> str:
        return (
            f"no {self.currency} rate on or before {self.first_day.isoformat()}: "
            f"{self.lines} amount(s) not converted (channelhub fx import RATES.csv)"
        )
