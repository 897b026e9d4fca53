"""Order review (审核): rules that hold a risky order before stock and freight are spent.

Rules are validated config models (the caller loads them from TOML, e.g. the ``[[review.rules]]``
tables, and passes the parsed dict to :class:`ReviewRules`). Evaluation checks *every* rule and
returns every reason that matched, so a seller sees the whole picture on the first look; no
reasons means approve. ``now`` is passed in (shipping bans have dates).
Money limits are decimal strings or integers: a float in a TOML file is refused, because
``499.99`` as a float is not 499.99.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from channelhub.core.codes import COUNTRIES, CURRENCIES
from channelhub.core.order import Order
from channelhub.core.parties import Address
from channelhub.core.types import VALUE_CONFIG, AsTuple

RULE_CONFIG = ConfigDict(frozen=True, extra="forbid")


class _Rule(BaseModel):
    model_config = RULE_CONFIG

    name: str = Field(min_length=1)
    enabled: bool = True


class CashOnDeliveryRule(_Rule):
    """Hold every cash-on-delivery order (COD orders are often refused at the door)."""

    kind: Literal["cash_on_delivery"] = "cash_on_delivery"


class UnpaidRule(_Rule):
    """Hold orders the channel reports as not paid (cash on delivery excepted if asked)."""

    kind: Literal["unpaid"] = "unpaid"
    except_cash_on_delivery: bool = True


class BuyerRemarkRule(_Rule):
    """Hold orders whose buyer left a note (it may change what to ship)."""

    kind: Literal["buyer_remark"] = "buyer_remark"
    ignore: Annotated[tuple[str, ...], AsTuple] = ()  # remarks that mean nothing ("n/a")


def _decimal(value: object) -> object:
    if isinstance(value, float):
        raise ValueError("write money as a string ('500.00'), not a float")
    return value


class OrderValueRule(_Rule):
    """Hold orders whose total is above a limit; one limit per currency, others not checked."""

    kind: Literal["order_value_above"] = "order_value_above"
    limits: dict[str, Decimal]

    @field_validator("limits", mode="before")
    @classmethod
    def _no_floats(cls, value: object) -> object:
        if isinstance(value, dict):
            for amount in value.values():
                _decimal(amount)
        return value

    @field_validator("limits")
    @classmethod
    def _iso(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        bad = sorted(c for c in value if c not in CURRENCIES)
        if bad:
            raise ValueError(f"{bad} are not ISO 4217 currency codes")
        return value


class AddressRule(_Rule):
    """Hold orders whose address lacks a part or whose postal code has the wrong shape."""

    kind: Literal["address"] = "address"
    require: Annotated[tuple[str, ...], AsTuple] = ("name", "line1", "city")
    postal_code_patterns: dict[str, str] = Field(
        default_factory=lambda: {
            "US": r"\d{5}(-\d{4})?",
            "CA": r"[A-Za-z]\d[A-Za-z] ?\d[A-Za-z]\d",
            "GB": r"[A-Za-z]{1,2}\d[A-Za-z\d]? ?\d[A-Za-z]{2}",
            "DE": r"\d{5}",
            "FR": r"\d{5}",
            "SA": r"\d{5}(-\d{4})?",
            "CN": r"\d{6}",
            "JP": r"\d{3}-?\d{4}",
        }
    )
    require_postal_code_for: Annotated[tuple[str, ...], AsTuple] = ("US", "CA", "GB", "DE", "CN")

    @field_validator("require")
    @classmethod
    def _known_parts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [p for p in value if p not in Address.model_fields]
        if bad:
            raise ValueError(f"{bad} are not address fields")
        return value

    @field_validator("postal_code_patterns")
    @classmethod
    def _compiles(cls, value: dict[str, str]) -> dict[str, str]:
        for country, pattern in value.items():
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{country}: {pattern!r} is not a regular expression") from exc
        return value


class BlockedAddress(BaseModel):
    """An address to refuse: matched on street line, postal code and country, normalised."""

    model_config = RULE_CONFIG

    line1: str = Field(min_length=1)
    postal_code: str | None = None
    country: str


class BlacklistRule(_Rule):
    """Hold orders from a blacklisted buyer (id or email), phone number or address."""

    kind: Literal["blacklist"] = "blacklist"
    buyers: Annotated[tuple[str, ...], AsTuple] = ()  # buyer ids or emails
    phones: Annotated[tuple[str, ...], AsTuple] = ()
    addresses: Annotated[tuple[BlockedAddress, ...], AsTuple] = ()


class DestinationAllowRule(_Rule):
    """Hold orders to any country not on the allow-list (where the seller can deliver)."""

    kind: Literal["destination_allow"] = "destination_allow"
    countries: Annotated[tuple[str, ...], AsTuple] = Field(min_length=1)

    @field_validator("countries")
    @classmethod
    def _iso(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _iso_countries(value)


class ShippingBanRule(_Rule):
    """Hold orders to a country (optionally some regions) during a date range (拦截 by region).

    ``starts`` / ``ends`` are inclusive dates or aware datetimes; either may be open.
    """

    kind: Literal["shipping_ban"] = "shipping_ban"
    country: str
    regions: Annotated[tuple[str, ...], AsTuple] = ()  # empty: the whole country
    starts: date | datetime | None = None
    ends: date | datetime | None = None

    @field_validator("country")
    @classmethod
    def _iso(cls, value: str) -> str:
        return _iso_countries((value,))[0]

    @model_validator(mode="after")
    def _dates(self) -> ShippingBanRule:
        for label, value in (("starts", self.starts), ("ends", self.ends)):
            if isinstance(value, datetime) and value.tzinfo is None:
                raise ValueError(f"{label} has no timezone")
        lo, hi = self.window()
        if lo and hi and lo > hi:
            raise ValueError("starts is after ends")
        return self

    def window(self) -> tuple[datetime | None, datetime | None]:
        """The ban as aware UTC instants (dates: from 00:00 of ``starts`` to 24:00 of ``ends``)."""
        return _instant(self.starts, end=False), _instant(self.ends, end=True)

    def active(self, now: datetime) -> bool:
        """Whether the ban is in force at ``now``."""
        lo, hi = self.window()
        return (lo is None or lo <= now) and (hi is None or now < hi)

    def covers(self, address: Address) -> bool:
        """Whether ``address`` is in the banned area (regions compared case-insensitively)."""
        if address.country != self.country:
            return False
        if not self.regions:
            return True
        return _fold(address.region or "") in {_fold(r) for r in self.regions}


def _instant(value: datetime | date | None, *, end: bool) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    day = datetime.combine(value, time.min, tzinfo=UTC)
    return day + timedelta(days=1) if end else day


def _iso_countries(value: tuple[str, ...]) -> tuple[str, ...]:
    bad = [c for c in value if c not in COUNTRIES]
    if bad:
        raise ValueError(f"{bad} are not ISO 3166-1 alpha-2 country codes")
    return value


def _fold(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text).casefold().split())


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


ReviewRule = Annotated[
    CashOnDeliveryRule
    | UnpaidRule
    | BuyerRemarkRule
    | OrderValueRule
    | AddressRule
    | BlacklistRule
    | DestinationAllowRule
    | ShippingBanRule,
    Field(discriminator="kind"),
]


class ReviewRules(BaseModel):
    """The review rule set: ``ReviewRules.model_validate({"rules": [...]})`` from TOML."""

    model_config = RULE_CONFIG

    rules: Annotated[tuple[ReviewRule, ...], AsTuple] = ()

    @field_validator("rules")
    @classmethod
    def _unique_names(cls, value: tuple[_Rule, ...]) -> tuple[_Rule, ...]:
        names = [r.name for r in value]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"rule names must be unique; repeated: {dupes}")
        return value


class HoldReason(BaseModel):
    """One rule that matched, and why, in a sentence a seller understands."""

    model_config = VALUE_CONFIG

    rule: str
    kind: str
    message: str


class ReviewDecision(BaseModel):
    """Approve (no reasons) or hold with every reason that matched."""

    model_config = VALUE_CONFIG

    reasons: Annotated[tuple[HoldReason, ...], AsTuple] = ()

    @property
    def approved(self) -> bool:
        """True when no rule matched."""
        return not self.reasons

    def summary(self) -> str:
        """One line: ``approved`` or ``hold: reason; reason``."""
        if self.approved:
            return "approved: no review rule matched"
        return "hold: " + "; ".join(f"{r.rule}: {r.message}" for r in self.reasons)


#: The decision of every order no rule holds (a frozen value: one serves them all).
_APPROVED = ReviewDecision(reasons=())


def review(order: Order, rules: ReviewRules, *, now: datetime) -> ReviewDecision:
    """Check ``order`` against every enabled rule; list every reason that matched."""
    reasons: list[HoldReason] = []
    for rule in rules.rules:
        if not rule.enabled:
            continue
        message = _match(rule, order, now)
        if message:
            reasons.append(HoldReason(rule=rule.name, kind=rule.kind, message=message))
    return ReviewDecision(reasons=tuple(reasons)) if reasons else _APPROVED


def _match(rule: _Rule, order: Order, now: datetime) -> str | None:
    ship_to = order.ship_to
    match rule:
        case CashOnDeliveryRule():
            return "paid cash on delivery" if order.payment.cash_on_delivery else None
        case UnpaidRule(except_cash_on_delivery=except_cod):
            if order.payment.paid or (except_cod and order.payment.cash_on_delivery):
                return None
            return "the channel reports the order as not paid"
        case BuyerRemarkRule(ignore=ignore):
            remark = (order.remarks or "").strip()
            if not remark or _fold(remark) in {_fold(i) for i in ignore}:
                return None
            return f"the buyer left a remark: {remark[:80]!r}"
        case OrderValueRule(limits=limits):
            limit = limits.get(order.currency)
            total = order.totals.total.amount
            if limit is None or total <= limit:
                return None
            return f"order total {total} {order.currency} is above the limit {limit}"
        case AddressRule():
            return _address_problem(rule, ship_to)
        case BlacklistRule():
            return _blacklisted(rule, order)
        case DestinationAllowRule(countries=countries):
            if ship_to is None or ship_to.country in countries:
                return None
            return f"destination {ship_to.country} is not on the allow-list {list(countries)}"
        case ShippingBanRule():
            if ship_to is None or not rule.covers(ship_to) or not rule.active(now):
                return None
            where = ship_to.country + (f"/{ship_to.region}" if rule.regions else "")
            return f"shipping to {where} is banned{_window_text(rule)}"
    return None


def _window_text(rule: ShippingBanRule) -> str:
    lo, hi = rule.starts, rule.ends
    if lo is None and hi is None:
        return ""
    return f" ({lo.isoformat() if lo else '…'} to {hi.isoformat() if hi else '…'})"


def _address_problem(rule: AddressRule, ship_to: Address | None) -> str | None:
    if ship_to is None:
        return "the order has no shipping address"
    missing = [p for p in rule.require if not str(getattr(ship_to, p) or "").strip()]
    if missing:
        return f"the address is missing {', '.join(missing)}"
    code = (ship_to.postal_code or "").strip()
    if not code:
        if ship_to.country in rule.require_postal_code_for:
            return f"the address has no postal code ({ship_to.country} needs one)"
        return None
    pattern = rule.postal_code_patterns.get(ship_to.country)
    if pattern and not re.fullmatch(pattern, code):
        return f"postal code {code!r} is not valid for {ship_to.country}"
    return None


def _blacklisted(rule: BlacklistRule, order: Order) -> str | None:
    hits: list[str] = []
    buyer = order.buyer
    listed = {b.strip().casefold() for b in rule.buyers}
    if buyer is not None:
        for value in (buyer.external_id, buyer.email):
            if value and value.strip().casefold() in listed:
                hits.append(f"buyer {value!r}")
    phones = {_digits(p) for p in rule.phones if len(_digits(p)) >= 6}
    seen_phones = {
        p
        for p in (buyer.phone if buyer else None, order.ship_to.phone if order.ship_to else None)
        if p
    }
    for phone in sorted(seen_phones):
        digits = _digits(phone)
        if len(digits) >= 6 and any(digits.endswith(p) or p.endswith(digits) for p in phones):
            hits.append(f"phone {phone!r}")
    ship_to = order.ship_to
    if ship_to is not None:
        for blocked in rule.addresses:
            if (
                blocked.country == ship_to.country
                and _fold(blocked.line1) == _fold(ship_to.line1 or "")
                and (
                    blocked.postal_code is None
                    or _fold(blocked.postal_code) == _fold(ship_to.postal_code or "")
                )
            ):
                hits.append(f"address {blocked.line1!r}")
    return "blacklisted " + ", ".join(hits) if hits else None
