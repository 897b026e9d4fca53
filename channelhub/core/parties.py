"""Who an order is for and how it is paid: Address, Buyer, Payment.

Personal data lives only here; connectors redact these fields from every log line.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, field_validator

from channelhub.core.codes import COUNTRIES
from channelhub.core.money import Money
from channelhub.core.types import VALUE_CONFIG, UtcDatetime


class Address(BaseModel):
    """A postal address. ``country`` is ISO 3166-1 alpha-2 (``US``, ``SA``, ``DE``)."""

    model_config = VALUE_CONFIG

    name: str | None = None
    company: str | None = None
    line1: str | None = None
    line2: str | None = None
    line3: str | None = None
    city: str | None = None
    region: str | None = None  # state / province / prefecture, as the channel gives it
    postal_code: str | None = None
    country: str
    phone: str | None = None
    email: str | None = None

    @field_validator("country")
    @classmethod
    def _iso_country(cls, value: str) -> str:
        if value not in COUNTRIES:
            raise ValueError("is not an ISO 3166-1 alpha-2 country code (e.g. 'US', 'SA')")
        return value

    def missing_parts(self) -> list[str]:
        """Which parts a carrier needs are empty (used by the address review rule)."""
        needed = {"name": self.name, "line1": self.line1, "city": self.city}
        return [part for part, value in needed.items() if not (value and value.strip())]


class Buyer(BaseModel):
    """The buyer as the channel names them; ``external_id`` when the channel has one."""

    model_config = VALUE_CONFIG

    external_id: str | None = None
    name: str | None = None
    email: str | None = None
    phone: str | None = None


class PaymentMethod(StrEnum):
    """How the buyer pays. Cash on delivery is common in the Middle East and South-East Asia."""

    PREPAID = "prepaid"
    CASH_ON_DELIVERY = "cash_on_delivery"
    OTHER = "other"


class Payment(BaseModel):
    """The order's payment state. COD orders are reviewed before stock and freight are spent."""

    model_config = VALUE_CONFIG

    method: PaymentMethod = PaymentMethod.PREPAID
    paid: bool = True
    paid_at: UtcDatetime | None = None
    cod_amount: Money | None = None
    gateway: str | None = None

    @property
    def cash_on_delivery(self) -> bool:
        """True when the carrier collects the money at the door."""
        return self.method is PaymentMethod.CASH_ON_DELIVERY
