"""Review rules: every matching reason is listed; config is validated; shadowing is found."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from channelhub.core.review import ReviewDecision, ReviewRules, review
from channelhub.core.shadowing import WarningKind, shadowing
from tests.core.orderflow_data import NOW, order

RULES_TOML = """
[[rules]]
name = "cod"
kind = "cash_on_delivery"

[[rules]]
name = "big"
kind = "order_value_above"
limits = { USD = "500.00", EUR = 400 }

[[rules]]
name = "address"
kind = "address"

[[rules]]
name = "blocked"
kind = "blacklist"
buyers = ["fraud@example.com"]
phones = ["+1 (212) 555-0199"]
addresses = [{ line1 = "13 Elm Street", postal_code = "10002", country = "US" }]

[[rules]]
name = "remark"
kind = "buyer_remark"
ignore = ["n/a"]

[[rules]]
name = "ny-ban"
kind = "shipping_ban"
country = "US"
regions = ["NY"]
starts = 2026-02-20
ends = 2026-03-05

[[rules]]
name = "unpaid"
kind = "unpaid"
"""


def rules() -> ReviewRules:
    return ReviewRules.model_validate(tomllib.loads(RULES_TOML))


def test_clean_order_outside_the_ban_is_approved() -> None:
    calm = order(ship_to={**order().ship_to.model_dump(), "region": "NJ"})  # type: ignore[union-attr]
    decision = review(calm, rules(), now=NOW)
    assert decision.approved
    assert decision.summary().startswith("approved")


def test_every_matching_reason_is_listed() -> None:
    risky = order(
        payment={"method": "cash_on_delivery", "paid": False},
        totals={"total": {"amount": "900.00", "currency": "USD"}},
        buyer={"email": "FRAUD@example.com", "phone": "212-555-0199"},
        remarks="please gift wrap",
        ship_to={
            "name": "X",
            "line1": "13  elm street",
            "city": "NYC",
            "region": "ny",
            "postal_code": "10002",
            "country": "US",
        },
    )
    decision = review(risky, rules(), now=NOW)
    assert not decision.approved
    assert [r.rule for r in decision.reasons] == ["cod", "big", "blocked", "remark", "ny-ban"]
    text = decision.summary()
    assert "900.00 USD is above the limit 500.00" in text
    assert "buyer 'FRAUD@example.com'" in text and "phone '212-555-0199'" in text
    assert "address '13 Elm Street'" in text
    assert "US/ny is banned (2026-02-20 to 2026-03-05)" in text


def test_unpaid_prepaid_order_is_held_but_cod_is_excepted() -> None:
    unpaid = order(payment={"paid": False})
    assert [r.rule for r in review(unpaid, rules(), now=NOW).reasons] == ["ny-ban", "unpaid"]


def test_shipping_ban_respects_its_dates() -> None:
    before = datetime(2026, 2, 19, 23, 59, tzinfo=UTC)
    last_day = datetime(2026, 3, 5, 23, 59, tzinfo=UTC)
    after = datetime(2026, 3, 6, tzinfo=UTC)
    held = [bool(review(order(), rules(), now=t).reasons) for t in (before, last_day, after)]
    assert held == [False, True, False]


@pytest.mark.parametrize(
    ("ship_to", "expected"),
    [
        (
            {"name": "A", "line1": "", "city": "X", "country": "US", "postal_code": "10001"},
            "missing line1",
        ),
        ({"name": "A", "line1": "1 St", "city": "X", "country": "US"}, "no postal code"),
        (
            {"name": "A", "line1": "1 St", "city": "X", "country": "US", "postal_code": "1234"},
            "postal code '1234' is not valid for US",
        ),
    ],
)
def test_address_problems_are_named(ship_to: dict[str, str], expected: str) -> None:
    decision = review(order(ship_to=ship_to), rules(), now=NOW)
    assert any(expected in r.message for r in decision.reasons)


def test_missing_address_is_a_hold() -> None:
    decision = review(order(ship_to=None), rules(), now=NOW)
    assert "no shipping address" in decision.summary()


def test_remark_on_the_ignore_list_is_not_a_reason() -> None:
    assert review(order(remarks=" N/A "), rules(), now=datetime(2027, 1, 1, tzinfo=UTC)).approved


def test_config_errors_are_refused_clearly() -> None:
    with pytest.raises(ValidationError, match="not a float"):
        ReviewRules.model_validate(
            {"rules": [{"name": "v", "kind": "order_value_above", "limits": {"USD": 500.5}}]}
        )
    with pytest.raises(ValidationError, match="ISO 4217"):
        ReviewRules.model_validate(
            {"rules": [{"name": "v", "kind": "order_value_above", "limits": {"DOLLAR": "1"}}]}
        )
    with pytest.raises(ValidationError, match="starts is after ends"):
        ReviewRules.model_validate(
            {
                "rules": [
                    {
                        "name": "b",
                        "kind": "shipping_ban",
                        "country": "SA",
                        "starts": "2026-03-01",
                        "ends": "2026-02-01",
                    }
                ]
            }
        )
    with pytest.raises(ValidationError, match="unique"):
        ReviewRules.model_validate({"rules": [{"name": "c", "kind": "cash_on_delivery"}] * 2})


def test_shadowing_finds_subsumed_dead_and_contradicting_rules() -> None:
    rs = ReviewRules.model_validate(
        {
            "rules": [
                {"name": "low", "kind": "order_value_above", "limits": {"USD": "300"}},
                {"name": "high", "kind": "order_value_above", "limits": {"USD": "500"}},
                {"name": "allow", "kind": "destination_allow", "countries": ["US", "SA"]},
                {"name": "ban-de", "kind": "shipping_ban", "country": "DE"},
                {"name": "ban-sa", "kind": "shipping_ban", "country": "SA"},
                {
                    "name": "ban-sa-riyadh",
                    "kind": "shipping_ban",
                    "country": "SA",
                    "regions": ["Riyadh"],
                    "starts": "2026-03-01",
                    "ends": "2026-03-31",
                },
                {"name": "old-ban", "kind": "shipping_ban", "country": "US", "ends": "2025-12-31"},
                {"name": "empty", "kind": "blacklist"},
                {"name": "off", "kind": "cash_on_delivery", "enabled": False},
                {"name": "cod1", "kind": "cash_on_delivery"},
                {"name": "cod2", "kind": "cash_on_delivery"},
            ]
        }
    )
    found = {(w.kind, w.rule, w.other) for w in shadowing(rs, now=NOW)}
    assert found == {
        (WarningKind.SHADOWED, "high", "low"),
        (WarningKind.SHADOWED, "ban-de", "allow"),
        (WarningKind.SHADOWED, "ban-sa-riyadh", "ban-sa"),
        (WarningKind.SHADOWED, "cod2", "cod1"),
        (WarningKind.CONTRADICTION, "allow", "ban-sa"),
        (WarningKind.NEVER_FIRES, "old-ban", None),
        (WarningKind.NEVER_FIRES, "empty", None),
        (WarningKind.DISABLED, "off", None),
    }


def test_disjoint_allow_lists_contradict() -> None:
    rs = ReviewRules.model_validate(
        {
            "rules": [
                {"name": "a", "kind": "destination_allow", "countries": ["US"]},
                {"name": "b", "kind": "destination_allow", "countries": ["SA"]},
            ]
        }
    )
    assert [w.kind for w in shadowing(rs)] == [WarningKind.CONTRADICTION]


@given(
    low=st.integers(min_value=0, max_value=1000),
    high=st.integers(min_value=0, max_value=1000),
    total=st.integers(min_value=0, max_value=2000),
)
def test_a_shadowed_rule_never_changes_the_outcome(low: int, high: int, total: int) -> None:
    rs = ReviewRules.model_validate(
        {
            "rules": [
                {"name": "a", "kind": "order_value_above", "limits": {"USD": str(low)}},
                {"name": "b", "kind": "order_value_above", "limits": {"USD": str(high)}},
            ]
        }
    )
    shadowed = {w.rule for w in shadowing(rs) if w.kind is WarningKind.SHADOWED}
    assert len(shadowed) == 1
    without = ReviewRules(rules=tuple(r for r in rs.rules if r.name not in shadowed))
    o = order(totals={"total": {"amount": f"{total}.00", "currency": "USD"}})
    assert review(o, rs, now=NOW).approved == review(o, without, now=NOW).approved


def test_an_approval_is_the_decision_with_no_reasons_and_a_hold_its_own() -> None:
    """(One frozen approval serves every approved order.)"""
    rules = ReviewRules.model_validate({"rules": [{"name": "cod", "kind": "cash_on_delivery"}]})
    cod = order(payment={"method": "cash_on_delivery", "paid": False})
    for _ in range(2):
        approved = review(order(), rules, now=NOW)
        assert approved == ReviewDecision(reasons=()) and approved.approved
        assert approved.model_fields_set == {"reasons"}
        held = review(cod, rules, now=NOW)
        assert not held.approved and [r.rule for r in held.reasons] == ["cod"]
