"""The stock back-sync formula, with its worked examples and its explanation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from channelhub.core.models import Balance
from channelhub.core.sellable import SellableExplanation, StockRules, sellable
from tests.core.orderflow_data import library

RULES = StockRules.model_validate(
    {
        "default": {"buffer": 2, "share": "1"},
        "accounts": {"shopify:shop1": {"share": 0.5, "maximum": 40}},
        "listings": {
            "shopify:shop1:L-CAP": {"maximum": 3, "buffer": 0},
            "shopify:shop1:L-MIN": {"minimum": 5},
        },
    }
)


def bal(warehouse: str, sku: str, on_hand: int, reserved: int = 0) -> Balance:
    return Balance(warehouse=warehouse, sku=sku, on_hand=on_hand, reserved=reserved)


def run(
    sku: str,
    multiplier: int = 1,
    *,
    listing: str = "shopify:shop2:L1",
    account: str = "shop2",
    balances: list[Balance] | None = None,
    rules: StockRules = RULES,
    allowed: list[str] | None = None,
) -> SellableExplanation:
    return sellable(
        listing=listing,
        channel="shopify",
        account=account,
        sku=sku,
        multiplier=multiplier,
        catalog=library(),
        balances=balances or STOCK,
        rules=rules,
        allowed_warehouses=allowed,
    )


STOCK = [
    bal("US-EAST", "MUG", 10, 3),  # 7 available
    bal("US-WEST", "MUG", 6),  # 6
    bal("US-EAST", "SPOON", 9),
    bal("US-EAST", "GIFT", 4, 1),  # 3
    bal("US-EAST", "LID", 100),
    bal("CN-SZ", "MUG", 1000),
]


def test_single_sums_allowed_warehouses_less_reserved_less_buffer() -> None:
    out = run("MUG", allowed=["US-EAST", "US-WEST"])
    assert out.quantity == 7 + 6 - 2
    assert [b.counted for b in out.balances] == [False, True, True]
    assert out.rule.sources["buffer"] == "default"


def test_two_pack_sells_half_rounded_down() -> None:
    out = run("MUG", 2, allowed=["US-EAST", "US-WEST"])
    assert out.quantity == 11 // 2 == 5
    assert "11 / multiplier 2, rounded down = 5" in out.steps


def test_combo_is_as_short_as_its_shortest_component() -> None:
    # SET = MUG + 2 SPOON: MUG pool 11, SPOON pool 7 -> floor(7/2) = 3
    out = run("SET", allowed=["US-EAST", "US-WEST"])
    assert out.quantity == 3
    assert out.limiting_sku == "SPOON"
    assert [(c.sku, c.units) for c in out.components] == [("MUG", 11), ("SPOON", 3)]


def test_kit_counts_its_own_stock_never_its_components() -> None:
    assert run("GIFT").quantity == 3 - 2


def test_account_share_and_listing_cap_override_defaults() -> None:
    shared = run("MUG", listing="shopify:shop1:L1", account="shop1", allowed=["US-EAST"])
    assert shared.quantity == (7 - 2) // 2  # share 0.5 rounded down
    assert shared.rule.share == Decimal("0.5")
    assert shared.rule.sources["share"] == "account shopify:shop1"
    capped = run("LID", listing="shopify:shop1:L-CAP", account="shop1")
    assert capped.quantity == 3
    assert capped.rule.sources["maximum"] == "listing shopify:shop1:L-CAP"
    assert capped.rule.sources["buffer"] == "listing shopify:shop1:L-CAP"


def test_at_or_below_the_minimum_pushes_zero() -> None:
    out = run("MUG", listing="shopify:shop1:L-MIN", account="shop1", allowed=["US-EAST"])
    assert out.quantity == 0
    assert any("at or below the minimum 5" in s for s in out.steps)


def test_explanation_renders_every_input() -> None:
    text = run("SET", 2, listing="shopify:shop1:L1", account="shop1").render()
    for expected in (
        "-> 2 x SET (combo)",
        "US-EAST MUG: on hand 10 - reserved 3 = 7",
        "buffer = 2 (default)",
        "share = 0.5 (account shopify:shop1)",
        "limited by SPOON",
        "sellable: ",
    ):
        assert expected in text


def test_rules_are_validated() -> None:
    with pytest.raises(ValidationError):
        StockRules.model_validate({"default": {"share": "1.5"}})
    with pytest.raises(ValidationError):
        StockRules.model_validate({"default": {"buffer": -1}})


@given(
    mug=st.integers(0, 50),
    spoon=st.integers(0, 50),
    reserved=st.integers(0, 60),
    multiplier=st.integers(1, 4),
    buffer=st.integers(0, 5),
)
def test_selling_the_pushed_quantity_never_oversells(
    mug: int, spoon: int, reserved: int, multiplier: int, buffer: int
) -> None:
    balances = [bal("W", "MUG", mug, min(reserved, mug)), bal("W", "SPOON", spoon)]
    rules = StockRules.model_validate({"default": {"buffer": buffer}})
    out = run("SET", multiplier, balances=balances, rules=rules)
    needed = library().expand("SET", out.quantity, multiplier=multiplier) if out.quantity else ()
    available = {b.sku: b.available for b in balances}
    assert all(line.quantity <= available[line.sku] - buffer for line in needed)
    one_more = library().expand("SET", out.quantity + 1, multiplier=multiplier)
    assert any(line.quantity > available[line.sku] - buffer for line in one_more)
