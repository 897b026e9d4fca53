"""Cartons (箱产品): a warehouse that ships a SKU only in whole cartons fills only whole
cartons of its usable stock, in allocation and in the sellable quantity, and says so."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from channelhub.core.allocation import allocate
from channelhub.core.allocation_config import AllocationConfig
from channelhub.core.cartons import CartonRule, CartonShipping, can_fill, usable_for_listing
from channelhub.core.catalog import ExpandedLine
from channelhub.core.models import Address, Balance
from channelhub.core.sellable import StockRules, sellable
from tests.core.orderflow_data import library

PARIS = Address(name="C", line1="5 Rue", city="Paris", country="FR")
CONFIG = AllocationConfig.model_validate(
    {
        "strategies": ["whole_order", "nearest"],
        "zones": [
            {"warehouse": "GC-DE", "country": "FR", "distance": 1},
            {"warehouse": "FR-3PL", "country": "FR", "distance": 2},
        ],
    }
)
WHOLE = CartonRule(warehouse="GC-DE", sku="MUG", units_per_carton=12, ships=CartonShipping.CARTONS)
CARTONS = {("GC-DE", "MUG"): WHOLE}


def lines(*spec: tuple[str, int]) -> list[ExpandedLine]:
    return [
        ExpandedLine(order_line_id=f"L{n}", sku=sku, quantity=q, bound_sku=sku)
        for n, (sku, q) in enumerate(spec, start=1)
    ]


def run(ls: list[ExpandedLine], stock: dict[tuple[str, str], int], cartons=CARTONS):  # type: ignore[no-untyped-def]
    return allocate(
        ls,
        stock=stock,
        ship_to=PARIS,
        channel="shopify",
        account="shop1",
        config=CONFIG,
        cartons=cartons,
    )


@given(
    n=st.integers(min_value=1, max_value=50),
    available=st.integers(min_value=-20, max_value=2_000),
    whole=st.booleans(),
)
def test_usable_is_whole_cartons_never_more_than_available(
    n: int, available: int, whole: bool
) -> None:
    ships = CartonShipping.CARTONS if whole else CartonShipping.UNITS
    rule = CartonRule(warehouse="W", sku="S", units_per_carton=n, ships=ships)
    usable = rule.usable(available)
    if not whole or n == 1:
        assert usable == available
    else:
        assert 0 <= usable <= max(available, 0) and usable % n == 0
        assert max(available, 0) - usable < n  # only the loose remainder is held back


@given(
    n=st.integers(min_value=2, max_value=24),
    available=st.integers(min_value=0, max_value=300),
    quantity=st.integers(min_value=1, max_value=300),
)
def test_a_whole_carton_warehouse_fills_exactly_whole_cartons_it_has(
    n: int, available: int, quantity: int
) -> None:
    rule = CartonRule(warehouse="W", sku="S", units_per_carton=n, ships=CartonShipping.CARTONS)
    fills = can_fill({"S": quantity}, "W", {("W", "S"): available}, {("W", "S"): rule})
    assert fills == (quantity % n == 0 and quantity <= (available // n) * n)
    assert can_fill({"S": quantity}, "W", {("W", "S"): available}, {}) == (quantity <= available)


def test_a_loose_unit_goes_elsewhere_and_a_whole_carton_stays_nearest() -> None:
    stock = {("GC-DE", "MUG"): 30, ("FR-3PL", "MUG"): 10}
    one = run(lines(("MUG", 1)), stock)
    assert [d.warehouse for d in one.decisions] == ["FR-3PL"]
    assert [d.warehouse for d in run(lines(("MUG", 1)), stock, cartons={}).decisions] == ["GC-DE"]
    carton = run(lines(("MUG", 24)), stock)
    assert [d.warehouse for d in carton.decisions] == ["GC-DE"] and carton.allocated


def test_the_shortage_names_the_carton_rule() -> None:
    result = run(lines(("MUG", 5)), {("GC-DE", "MUG"): 30})
    assert not result.allocated
    assert "GC-DE ships MUG only in whole cartons of 12: 5 is not a multiple of 12" in (
        result.unallocatable or ""
    )
    two = run(lines(("MUG", 12), ("MUG", 12)), {("GC-DE", "MUG"): 30})
    assert two.allocated  # two lines of one carton each


def test_sellable_counts_whole_cartons_only_for_a_listing_that_sells_cartons() -> None:
    balances = [
        Balance(warehouse="GC-DE", sku="MUG", on_hand=30, reserved=0),
        Balance(warehouse="FR-3PL", sku="MUG", on_hand=5, reserved=0),
    ]

    def run_sellable(multiplier: int):  # type: ignore[no-untyped-def]
        return sellable(
            listing="shopify:s:L1",
            channel="shopify",
            account="s",
            sku="MUG",
            multiplier=multiplier,
            catalog=library(),
            balances=balances,
            rules=StockRules(),
            cartons=CARTONS,
        )

    single = run_sellable(1)
    assert single.quantity == 5  # only the 3PL's units can leave one by one
    assert "a sale of 1 cannot leave it, 0 counted" in single.render()
    case = run_sellable(12)  # a listing bound to 12 x MUG: one carton per sale
    assert case.quantity == (24 + 5) // 12
    assert "ships whole cartons of 12 only: 24 counted" in case.render()
    assert usable_for_listing(None, 7, 1) == 7


def test_rules_are_validated() -> None:
    with pytest.raises(ValidationError):
        CartonRule(warehouse="W", sku="S", units_per_carton=0)
    assert CartonRule(warehouse="W", sku="S", units_per_carton=6).describe() == (
        "W stocks S in cartons of 6 and ships units"
    )


@given(
    quantities=st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=4),
    carton_stock=st.integers(min_value=0, max_value=80),
    unit_stock=st.integers(min_value=0, max_value=40),
)
def test_allocation_sends_a_whole_carton_warehouse_only_whole_cartons_it_has(
    quantities: list[int], carton_stock: int, unit_stock: int
) -> None:
    stock = {("GC-DE", "MUG"): carton_stock, ("FR-3PL", "MUG"): unit_stock}
    result = run(lines(*(("MUG", q) for q in quantities)), stock)
    taken = {"GC-DE": 0, "FR-3PL": 0}
    for decision in result.decisions:
        for line in decision.lines:
            taken[decision.warehouse] += line.quantity
            if decision.warehouse == "GC-DE":
                assert line.quantity % 12 == 0
    assert taken["GC-DE"] <= WHOLE.usable(carton_stock) and taken["FR-3PL"] <= unit_stock
    if result.allocated:
        assert sum(taken.values()) == sum(quantities)
