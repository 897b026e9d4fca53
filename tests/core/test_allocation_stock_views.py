"""Allocation reads stock as asked: through a view of the balances (:class:`Available`) and
with what it took kept apart (no copy of the stock per warehouse tried), it decides exactly
as from a plain dict of every balance's available units."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channelhub.core.allocation import (
    AllocationResult,
    Ranking,
    _fill,
    _fills_all,
    _Taken,
    allocate,
)
from channelhub.core.allocation_config import AllocationConfig
from channelhub.core.cartons import CartonRule, CartonShipping
from channelhub.core.catalog import ExpandedLine
from channelhub.core.geography import Origin
from channelhub.core.stock import Available, Balance
from tests.core.test_allocation_ranking import CONFIGS, ORIGINS, SKUS, WAREHOUSES, addresses

balances = st.lists(
    st.builds(
        lambda w, sku, on_hand, reserved: Balance(
            warehouse=w, sku=sku, on_hand=on_hand, reserved=reserved
        ),
        st.sampled_from((*WAREHOUSES, "EU-X")),  # EU-X: registered nowhere
        st.sampled_from((*SKUS, "OTHER")),  # OTHER: in no order
        st.integers(-2, 9),
        st.integers(0, 9),
    ),
    max_size=12,
).map(lambda found: {(b.warehouse, b.sku): b for b in found})


def test_available_is_every_balances_available_units() -> None:
    held = {
        ("W", "A"): Balance(warehouse="W", sku="A", on_hand=5, reserved=2),
        ("W", "B"): Balance(warehouse="W", sku="B", on_hand=1, reserved=4),
    }
    view = Available(held)
    assert (
        dict(view)
        == {key: b.available for key, b in held.items()}
        == {
            ("W", "A"): 3,
            ("W", "B"): 0,
        }
    )
    assert len(view) == 2 and ("W", "A") in view and ("W", "C") not in view
    assert view.get(("W", "C")) is None and view.get(("W", "C"), 0) == 0
    with pytest.raises(KeyError):
        view[("W", "C")]


def test_taken_stock_is_the_stock_less_what_was_taken() -> None:
    stock = {("W", "A"): 5, ("W", "B"): 1}
    taken = _Taken(stock)
    taken.take(("W", "A"), 2)
    inner = _Taken(taken)
    inner.take(("W", "A"), 3)
    assert dict(taken) == {("W", "A"): 3, ("W", "B"): 1} and stock[("W", "A")] == 5
    assert dict(inner) == {("W", "A"): 0, ("W", "B"): 1}
    assert taken.get(("W", "C"), 0) == 0 and len(inner) == 2
    with pytest.raises(KeyError):  # as ``dict[key] -= units`` for a key it does not hold
        taken.take(("W", "C"), 1)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 4)), min_size=1, max_size=3),
    balances,
    st.none() | addresses,
    st.sampled_from(CONFIGS),
    st.booleans(),
)
def test_allocating_from_the_view_decides_as_from_a_dict(
    spec: list[tuple[str, int]],
    held: dict[tuple[str, str], Balance],
    ship_to: object,
    config: AllocationConfig,
    registered: bool,
) -> None:
    origins: dict[str, Origin] | None = dict(ORIGINS) if registered else None
    lines = [
        ExpandedLine(order_line_id=str(n), sku=sku, quantity=qty, bound_sku=sku)
        for n, (sku, qty) in enumerate(spec)
    ]

    def run(stock: object, ranking: Ranking | None) -> AllocationResult:
        return allocate(
            lines,
            stock=stock,  # type: ignore[arg-type]
            ship_to=ship_to,  # type: ignore[arg-type]
            channel="shopify",
            account="shop1",
            config=config,
            origins=origins,
            ranking=ranking,
        )

    plain = {key: b.available for key, b in held.items()}
    assert run(Available(held), Ranking(config, origins)) == run(plain, None)


def test_a_later_part_reads_the_stock_earlier_parts_took() -> None:
    """Line 1 (a lid and two mugs) ships in a part of its own (split rule): line 2 then finds
    one mug left, never the three on the shelf before."""
    config = AllocationConfig.model_validate(
        {"split_rules": [{"name": "lids", "skus": ["LID"]}], "split": {"max_parts": 3}}
    )
    lines = [
        ExpandedLine(order_line_id="1", sku="LID", quantity=1, bound_sku="SET"),
        ExpandedLine(order_line_id="1", sku="MUG", quantity=2, bound_sku="SET"),
        ExpandedLine(order_line_id="2", sku="MUG", quantity=2, bound_sku="MUG"),
    ]
    held = {
        ("US-EAST", "MUG"): Balance(warehouse="US-EAST", sku="MUG", on_hand=3),
        ("US-EAST", "LID"): Balance(warehouse="US-EAST", sku="LID", on_hand=1),
    }
    result = allocate(
        lines,
        stock=Available(held),
        ship_to=None,
        channel="shopify",
        account="shop1",
        config=config,
        origins={"US-EAST": Origin("US")},
    )
    assert not result.allocated
    assert result.unallocatable == "no warehouse has 2 x MUG for line 2 (US-EAST has 1)"


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 6)), min_size=1, max_size=3),
        min_size=1,
        max_size=4,
    ),
    st.dictionaries(
        st.tuples(st.sampled_from(WAREHOUSES), st.sampled_from(SKUS)), st.integers(-3, 12)
    ),
    st.sampled_from(WAREHOUSES),
    st.none() | st.sampled_from(SKUS),
    st.integers(1, 4),
)
def test_filling_every_group_at_once_says_what_filling_them_in_turn_does(
    spec: list[list[tuple[str, int]]],
    stock: dict[tuple[str, str], int],
    warehouse: str,
    carton_sku: str | None,
    carton: int,
) -> None:
    """Whether a warehouse takes every group (the whole order) is answered in one pass:
    exactly what taking the groups one after another from what the earlier ones left says,
    a SKU repeated across groups or within one included (and with carton rules in play)."""
    groups = [
        tuple(
            ExpandedLine(order_line_id=str(n), sku=sku, quantity=qty, bound_sku=sku)
            for sku, qty in group
        )
        for n, group in enumerate(spec)
    ]
    cartons = (
        {}
        if carton_sku is None
        else {
            (warehouse, carton_sku): CartonRule(
                warehouse=warehouse,
                sku=carton_sku,
                units_per_carton=carton,
                ships=CartonShipping.CARTONS,
            )
        }
    )
    in_turn = len(_fill(groups, warehouse, stock, cartons)) == len(groups)
    assert _fills_all(groups, warehouse, stock, cartons) is in_turn
