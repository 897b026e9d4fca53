"""Seeded, deterministic data for simulators: the same seed gives the same shop every run.

Each purpose forks its own stream (``data.fork("orders")``) so adding a field to listings
does not reshuffle every order in a benchmark's baseline.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TypeVar

T = TypeVar("T")

_FIRST = ("Aisha", "Ben", "Chen", "Dana", "Elif", "Farid", "Grace", "Hiro", "Ines", "Jonas")
_LAST = ("Al-Harbi", "Brown", "Chen", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad")
_STREETS = ("King Fahd Rd", "Main St", "Rue de Rivoli", "Hauptstrasse", "Orchard Rd")
_CITIES = {
    "US": ("Austin", "TX", "78701"),
    "SA": ("Riyadh", "Riyadh", "12211"),
    "DE": ("Berlin", "BE", "10115"),
    "FR": ("Paris", "IDF", "75001"),
    "GB": ("London", "LND", "SW1A 1AA"),
}


class SeededData:
    """A ``random.Random(seed)`` with helpers for the values shops are made of."""

    def __init__(self, seed: int, *, label: str = "") -> None:
        self.seed = seed
        self.label = label
        self.rng = random.Random(f"{seed}:{label}" if label else seed)

    def fork(self, label: str) -> SeededData:
        """An independent stream for one purpose, stable whatever the others draw."""
        return SeededData(self.seed, label=f"{self.label}/{label}" if self.label else label)

    def digits(self, count: int) -> str:
        return "".join(str(self.rng.randrange(10)) for _ in range(count))

    def identifier(self, prefix: str = "", count: int = 10) -> str:
        return f"{prefix}{self.digits(count)}"

    def choice(self, options: Sequence[T]) -> T:
        return options[self.rng.randrange(len(options))]

    def integer(self, low: int, high: int) -> int:
        """An integer in [low, high]."""
        return self.rng.randint(low, high)

    def amount(self, low: str, high: str, places: int = 2) -> Decimal:
        """A money amount between two decimal strings, exact to ``places`` (never a float)."""
        scale = Decimal(10) ** places
        lo, hi = int(Decimal(low) * scale), int(Decimal(high) * scale)
        return Decimal(self.rng.randint(lo, hi)) / scale

    def instant(self, start: datetime, end: datetime) -> datetime:
        """A moment between two aware datetimes, to the second."""
        span = int((end - start).total_seconds())
        return start + timedelta(seconds=self.rng.randint(0, max(0, span)))

    def person_name(self) -> str:
        return f"{self.choice(_FIRST)} {self.choice(_LAST)}"

    def address(self, country: str = "US") -> dict[str, str]:
        city, region, postal = _CITIES.get(country, _CITIES["US"])
        return {
            "name": self.person_name(),
            "line1": f"{self.integer(1, 999)} {self.choice(_STREETS)}",
            "city": city,
            "region": region,
            "postal_code": postal,
            "country": country,
            "phone": f"+1555{self.digits(7)}",
        }

    def sku(self, prefix: str = "SKU") -> str:
        return f"{prefix}-{self.digits(5)}"
