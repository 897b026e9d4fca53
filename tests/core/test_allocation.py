"""Warehouse allocation: whole orders first, strategies in order, splits capped, reasons given."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from pydantic import ValidationError

from channelhub.core.allocation import allocate
from channelhub.core.allocation_config import AllocationConfig
from channelhub.core.catalog import ExpandedLine
from channelhub.core.models import Address
from tests.core.orderflow_data import library

NY = Address(name="A", line1="1 Main", city="New York", region="NY", country="US")
CONFIG = AllocationConfig.model_validate(
    {
        "warehouses": ["US-EAST", "US-WEST", "CN-SZ"],
        "allowed": [
            {"channel": "shopify", "warehouses": ["US-EAST", "US-WEST"]},
            {"channel": "shopify", "account": "vip", "warehouses": ["US-WEST"]},
        ],
        "zones": [
            {"warehouse": "US-EAST", "country": "US", "distance": 3},
            {"warehouse": "US-EAST", "country": "US", "region": "NY", "distance": 1},
            {"warehouse": "US-WEST", "country": "US", "distance": 4},
        ],
        "costs": [
            {"warehouse": "US-EAST", "country": "US", "cost": "6.00"},
            {"warehouse": "US-WEST", "country": "US", "cost": "4.50"},
        ],
        "priority": ["US-WEST", "US-EAST"],
        "fallback": ["CN-SZ"],
        "split": {"max_parts": 2},
    }
)


def tweak(**updates: object) -> AllocationConfig:
    """CONFIG with some settings changed, validated again."""
    return AllocationConfig.model_validate({**CONFIG.model_dump(), **updates})


def lines(*spec: tuple[str, str, int]) -> list[ExpandedLine]:
    return [ExpandedLine(order_line_id=i, sku=s, quantity=q, bound_sku=s) for i, s, q in spec]


def run(ls: list[ExpandedLine], stock: dict[tuple[str, str], int], **kw: object):  # type: ignore[no-untyped-def]
    args: dict[str, object] = {
        "stock": stock,
        "ship_to": NY,
        "channel": "shopify",
        "account": "shop1",
        "config": CONFIG,
    }
    args.update(kw)
    return allocate(ls, **args)  # type: ignore[arg-type]


def test_whole_order_from_the_nearest_warehouse_with_reasons() -> None:
    stock = {("US-EAST", "MUG"): 5, ("US-WEST", "MUG"): 5}
    result = run(lines(("L1", "MUG", 2)), stock)
    (part,) = result.decisions
    assert part.warehouse == "US-EAST"
    assert part.explain() == (
        "US-EAST: allowed for shopify:shop1; every line in stock; nearest to US/NY (1); "
        "cost to US/NY (6.00 USD); priority 2"
    )


def test_strategy_order_decides_cheapest_first() -> None:
    config = tweak(strategies=["whole_order", "cheapest", "nearest"])
    stock = {("US-EAST", "MUG"): 5, ("US-WEST", "MUG"): 5}
    (part,) = run(lines(("L1", "MUG", 2)), stock, config=config).decisions
    assert part.warehouse == "US-WEST"
    assert "cheapest to US/NY (4.50 USD)" in part.reasons


def test_account_allow_list_beats_the_channels() -> None:
    stock = {("US-EAST", "MUG"): 5, ("US-WEST", "MUG"): 5}
    (part,) = run(lines(("L1", "MUG", 2)), stock, account="vip").decisions
    assert part.warehouse == "US-WEST" and "allowed for shopify:vip" in part.reasons


def test_a_warehouse_that_fills_everything_beats_a_nearer_split() -> None:
    stock = {("US-EAST", "MUG"): 5, ("US-WEST", "MUG"): 5, ("US-WEST", "LID"): 5}
    (part,) = run(lines(("L1", "MUG", 2), ("L2", "LID", 1)), stock).decisions
    assert part.warehouse == "US-WEST"


def test_split_by_stock_when_no_single_warehouse_can_fill() -> None:
    stock = {("US-EAST", "MUG"): 5, ("US-WEST", "LID"): 5}
    result = run(lines(("L1", "MUG", 2), ("L2", "LID", 1)), stock)
    assert [(d.part, d.warehouse, [x.sku for x in d.lines]) for d in result.decisions] == [
        (1, "US-EAST", ["MUG"]),
        (2, "US-WEST", ["LID"]),
    ]
    assert "split by stock: has every unit for line(s) L1" in result.decisions[0].reasons


def test_split_is_capped() -> None:
    stock = {("US-EAST", "MUG"): 5, ("US-WEST", "LID"): 5, ("CN-SZ", "BOX"): 5}
    config = tweak(fallback=[], allowed=[])
    result = run(lines(("L1", "MUG", 1), ("L2", "LID", 1), ("L3", "BOX", 1)), stock, config=config)
    assert not result.allocated
    assert "more than 2 parts (the cap)" in (result.unallocatable or "")


def test_fallback_is_used_only_when_the_preferred_cannot_ship() -> None:
    stock = {("US-EAST", "MUG"): 1, ("CN-SZ", "MUG"): 9}
    (part,) = run(lines(("L1", "MUG", 3)), stock).decisions
    assert part.warehouse == "CN-SZ" and part.reasons[0] == "fallback warehouse"


def test_shortage_names_the_line_and_each_warehouse() -> None:
    result = run(lines(("L1", "MUG", 3)), {("US-EAST", "MUG"): 1})
    assert result.unallocatable == (
        "no warehouse has 3 x MUG for line L1 (US-EAST has 1, US-WEST has 0); "
        "then from the fallback: no warehouse has 3 x MUG for line L1 (CN-SZ has 0)"
    )


def test_combo_components_of_one_line_ship_together() -> None:
    combo = library().expand("SET", 1, order_line_id="L1")  # MUG + 2 SPOON
    stock = {("US-EAST", "MUG"): 1, ("US-WEST", "SPOON"): 2}
    result = run(list(combo), stock)
    assert not result.allocated
    assert "no single warehouse has every part of line L1" in (result.unallocatable or "")


def test_kit_is_never_filled_from_loose_components() -> None:
    kit = library().expand("GIFT", 1, order_line_id="L1")
    stock = {("US-EAST", "MUG"): 50, ("US-EAST", "LID"): 50}
    result = run(list(kit), stock)
    assert not result.allocated and "1 x GIFT" in (result.unallocatable or "")


def test_split_rule_carves_its_own_part_from_its_warehouse() -> None:
    config = tweak(split_rules=[{"name": "boxes", "skus": ["BOX"], "warehouse": "US-WEST"}])
    stock = {("US-EAST", "MUG"): 5, ("US-EAST", "BOX"): 5, ("US-WEST", "BOX"): 5}
    result = run(lines(("L1", "MUG", 1), ("L2", "BOX", 1)), stock, config=config)
    assert [(d.warehouse, d.reasons[0]) for d in result.decisions] == [
        ("US-WEST", "split rule 'boxes'"),
        ("US-EAST", "allowed for shopify:shop1"),
    ]


def test_config_is_validated() -> None:
    with pytest.raises(ValidationError, match="not a float"):
        AllocationConfig.model_validate(
            {"costs": [{"warehouse": "W", "country": "US", "cost": 1.5}]}
        )
    with pytest.raises(ValidationError, match="once"):
        AllocationConfig.model_validate({"strategies": ["nearest", "nearest"]})
    with pytest.raises(ValidationError, match="needs skus or sku_pattern"):
        AllocationConfig.model_validate({"split_rules": [{"name": "x"}]})


WAREHOUSES = ["US-EAST", "US-WEST", "CN-SZ"]
SKUS = ["MUG", "LID", "SPOON", "BOX", "GIFT", "SET", "MEGA"]
STOCK_SKUS = ["MUG", "LID", "SPOON", "BOX", "GIFT"]


@given(
    order_lines=st.lists(
        st.tuples(st.sampled_from(SKUS), st.integers(1, 3), st.integers(1, 2)),
        min_size=1,
        max_size=5,
    ),
    stock_levels=st.fixed_dictionaries(
        {(w, s): st.integers(0, 20) for w in WAREHOUSES for s in STOCK_SKUS}
    ),
    max_parts=st.integers(1, 3),
)
def test_allocation_never_exceeds_stock_and_ships_each_line_once(
    order_lines: list[tuple[str, int, int]],
    stock_levels: dict[tuple[str, str], int],
    max_parts: int,
) -> None:
    cat = library()
    expanded = [
        x
        for i, (sku, qty, mult) in enumerate(order_lines)
        for x in cat.expand(sku, qty, multiplier=mult, order_line_id=f"L{i}")
    ]
    config = tweak(split={"max_parts": max_parts, "by_stock": True})
    result = run(expanded, stock_levels, config=config)
    event(f"parts={len(result.decisions)}")
    if not result.allocated:
        assert result.unallocatable
        return
    assert len(result.decisions) <= max_parts
    shipped = Counter[tuple[str, str]]()
    for d in result.decisions:
        for x in d.lines:
            shipped[(d.warehouse, x.sku)] += x.quantity
        assert len({x.order_line_id for x in d.lines}) >= 1
    assert all(q <= stock_levels.get(k, 0) for k, q in shipped.items())
    allocated = [x for d in result.decisions for x in d.lines]
    assert Counter(x.model_dump_json() for x in allocated) == Counter(
        x.model_dump_json() for x in expanded
    )
    line_homes: dict[str, set[str]] = {}
    for d in result.decisions:
        for x in d.lines:
            line_homes.setdefault(x.order_line_id, set()).add(d.warehouse)
    assert all(len(homes) == 1 for homes in line_homes.values())
    # a kit is only ever shipped as the kit: no decision turns it into MUG + LID
    assert sum(x.quantity for x in allocated if x.sku == "GIFT") == sum(
        x.quantity for x in expanded if x.sku == "GIFT"
    )
