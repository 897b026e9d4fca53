"""Static analysis of a review rule set, for ``channelhub rules test``.

Every rule is evaluated and every matching reason is listed, so a rule is *shadowed* when
another rule holds every order it would hold: it can never change an outcome (a 500 USD limit
beside a 300 USD one; a ban on a country the allow-list already refuses). Rules *contradict*
when they cannot both be meant: an allow-list naming a country that a permanent ban refuses,
or two allow-lists with no country in common (every order would be held). The analysis is
sound but not complete: it reports only what it can prove from the configuration.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel

from channelhub.core.review import (
    BlacklistRule,
    BuyerRemarkRule,
    DestinationAllowRule,
    OrderValueRule,
    ReviewRule,
    ReviewRules,
    ShippingBanRule,
    UnpaidRule,
)
from channelhub.core.types import VALUE_CONFIG


class WarningKind(StrEnum):
    """What is wrong with a rule."""

    SHADOWED = "shadowed"  # another rule holds every order this one would
    CONTRADICTION = "contradiction"  # two rules say opposite things
    NEVER_FIRES = "never_fires"  # the rule can match no order (empty lists, expired ban)
    ALWAYS_FIRES = "always_fires"  # the rule holds every order of its kind
    DISABLED = "disabled"


class RuleWarning(BaseModel):
    """One finding about a rule, naming the other rule involved when there is one."""

    model_config = VALUE_CONFIG

    kind: WarningKind
    rule: str
    other: str | None = None
    message: str


def shadowing(rules: ReviewRules, *, now: datetime | None = None) -> tuple[RuleWarning, ...]:
    """Every shadowed, contradicting, dead or disabled rule in ``rules``.

    ``now`` (optional) lets the analysis call a ban whose window has passed dead.
    """
    found: list[RuleWarning] = []
    live: list[ReviewRule] = []
    for rule in rules.rules:
        if not rule.enabled:
            found.append(_warn(WarningKind.DISABLED, rule, None, "is disabled"))
            continue
        dead = _never_fires(rule, now)
        if dead:
            found.append(_warn(WarningKind.NEVER_FIRES, rule, None, dead))
            continue
        always = _always_fires(rule)
        if always:
            found.append(_warn(WarningKind.ALWAYS_FIRES, rule, None, always))
        live.append(rule)
    for i, rule in enumerate(live):
        for j, other in enumerate(live):
            if i == j:
                continue
            both = _covers(other, rule) and _covers(rule, other)
            if _covers(other, rule) and (not both or j < i):
                found.append(
                    _warn(
                        WarningKind.SHADOWED,
                        rule,
                        other,
                        f"never changes an outcome: {other.name!r} holds every order it would hold",
                    )
                )
                break
    for i, rule in enumerate(live):
        for other in live[i + 1 :]:
            clash = _contradiction(rule, other) or _contradiction(other, rule)
            if clash:
                found.append(_warn(WarningKind.CONTRADICTION, rule, other, clash))
    return tuple(found)


def _warn(kind: WarningKind, rule: ReviewRule, other: ReviewRule | None, text: str) -> RuleWarning:
    return RuleWarning(kind=kind, rule=rule.name, other=other.name if other else None, message=text)


def _never_fires(rule: ReviewRule, now: datetime | None) -> str | None:
    match rule:
        case OrderValueRule(limits=limits) if not limits:
            return "has no limit for any currency"
        case BlacklistRule(buyers=(), phones=(), addresses=()):
            return "lists no buyer, phone or address"
        case ShippingBanRule() if now is not None:
            _, ends = rule.window()
            if ends is not None and ends <= now:
                return f"ended at {ends.isoformat()}"
    return None


def _always_fires(rule: ReviewRule) -> str | None:
    if isinstance(rule, OrderValueRule):
        zero = sorted(c for c, limit in rule.limits.items() if limit < 0)
        if zero:
            return f"holds every order in {zero} (the limit is below zero)"
    return None


def _fold_all(values: tuple[str, ...]) -> set[str]:
    return {" ".join(v.casefold().split()) for v in values}


def _covers(big: ReviewRule, small: ReviewRule) -> bool:
    """True when ``big`` provably holds every order ``small`` holds."""
    if big.kind != small.kind:
        return isinstance(big, DestinationAllowRule) and _allow_covers_ban(big, small)
    match big, small:
        case OrderValueRule(), OrderValueRule():
            return all(
                c in big.limits and big.limits[c] <= limit for c, limit in small.limits.items()
            )
        case ShippingBanRule(), ShippingBanRule():
            return _ban_covers(big, small)
        case DestinationAllowRule(), DestinationAllowRule():
            return set(big.countries) <= set(small.countries)
        case BlacklistRule(), BlacklistRule():
            return (
                _fold_all(small.buyers) <= _fold_all(big.buyers)
                and {_digits(p) for p in small.phones} <= {_digits(p) for p in big.phones}
                and set(small.addresses) <= set(big.addresses)
            )
        case UnpaidRule(), UnpaidRule():
            return not big.except_cash_on_delivery or small.except_cash_on_delivery
        case BuyerRemarkRule(), BuyerRemarkRule():
            return _fold_all(big.ignore) <= _fold_all(small.ignore)
    return _same_settings(big, small)


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _same_settings(a: ReviewRule, b: ReviewRule) -> bool:
    skip = {"name", "enabled"}
    return a.model_dump(exclude=skip) == b.model_dump(exclude=skip)


def _ban_covers(big: ShippingBanRule, small: ShippingBanRule) -> bool:
    if big.country != small.country:
        return False
    if big.regions and not (small.regions and _fold_all(small.regions) <= _fold_all(big.regions)):
        return False
    big_lo, big_hi = big.window()
    small_lo, small_hi = small.window()
    starts_ok = big_lo is None or (small_lo is not None and big_lo <= small_lo)
    ends_ok = big_hi is None or (small_hi is not None and small_hi <= big_hi)
    return starts_ok and ends_ok


def _allow_covers_ban(allow: DestinationAllowRule, rule: ReviewRule) -> bool:
    """An allow-list holds every order to a country it leaves out, so a ban there is moot."""
    return isinstance(rule, ShippingBanRule) and rule.country not in allow.countries


def _contradiction(a: ReviewRule, b: ReviewRule) -> str | None:
    match a, b:
        case DestinationAllowRule(), ShippingBanRule():
            permanent = not b.regions and b.starts is None and b.ends is None
            if permanent and b.country in a.countries:
                return (
                    f"the allow-list {a.name!r} allows {b.country} but the ban {b.name!r} "
                    f"refuses every order to it, always"
                )
        case DestinationAllowRule(), DestinationAllowRule():
            if not set(a.countries) & set(b.countries):
                return (
                    f"allow-lists {a.name!r} and {b.name!r} have no country in common: "
                    "every order would be held"
                )
    return None
