"""NEAREST without a zone table: the warehouses' own addresses decide, the zone table overrides."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from channelhub.core.allocation import AllocationResult, allocate
from channelhub.core.allocation_config import AllocationConfig
from channelhub.core.catalog import ExpandedLine
from channelhub.core.geography import TRADE_ZONES, Origin, address_distance
from channelhub.core.models import Address

AUSTIN = Address(name="A", line1="1 Congress Ave", city="Austin", region="TX", country="US")
RIYADH = Address(name="B", line1="1 King Fahd Rd", city="Riyadh", region="Riyadh", country="SA")
DEMO = {"US-EAST": Origin("US"), "DE-CENTRAL": Origin("DE")}


def lines(*spec: tuple[str, str, int]) -> list[ExpandedLine]:
    return [ExpandedLine(order_line_id=i, sku=s, quantity=q, bound_sku=s) for i, s, q in spec]


def run(
    ls: list[ExpandedLine],
    stock: dict[tuple[str, str], int],
    *,
    ship_to: Address = AUSTIN,
    origins: dict[str, Origin] | None = None,
    config: AllocationConfig | None = None,
) -> AllocationResult:
    return allocate(
        ls,
        stock=stock,
        ship_to=ship_to,
        channel="amazon",
        account="amazon-us",
        config=config or AllocationConfig(),
        origins=origins,
    )


@pytest.mark.parametrize(
    ("origin", "country", "region", "expected"),
    [
        (Origin("US", "TX"), "US", "tx", (0, "same region")),
        (Origin("US", "NY"), "US", "TX", (1, "same country")),
        (Origin("US"), "US", None, (1, "same country")),
        (Origin("DE"), "FR", None, (2, "same trade zone: Europe")),
        (Origin("AE"), "SA", "Riyadh", (2, "same trade zone: GCC")),
        (Origin("CA"), "MX", None, (2, "same trade zone: North America")),
        (Origin("DE"), "US", "TX", (3, "another trade zone")),
        (Origin("AQ"), "AR", None, (3, "another trade zone")),  # a country in no zone
    ],
)
def test_address_distance(
    origin: Origin, country: str, region: str | None, expected: tuple[int, str]
) -> None:
    d = address_distance(origin, country, region)
    assert (d.value, d.basis) == expected
    assert d.label == expected[1]


def test_trade_zones_name_only_iso_countries() -> None:
    from channelhub.core.codes import COUNTRIES

    assert set(TRADE_ZONES) <= COUNTRIES


def test_the_demo_us_order_ships_from_the_us_warehouse() -> None:
    stock = {("US-EAST", "MUG"): 5, ("DE-CENTRAL", "MUG"): 5}
    blind = run(lines(("L1", "MUG", 1)), stock)  # no addresses known: the old behaviour
    assert [d.warehouse for d in blind.decisions] == ["DE-CENTRAL"]
    (part,) = run(lines(("L1", "MUG", 1)), stock, origins=DEMO).decisions
    assert part.explain() == "US-EAST: every line in stock; nearest to US/TX (same country)"


def test_a_saudi_order_ships_from_the_gulf_not_germany() -> None:
    stock = {("UAE-DUBAI", "MUG"): 5, ("DE-CENTRAL", "MUG"): 5}
    origins = {"UAE-DUBAI": Origin("AE"), "DE-CENTRAL": Origin("DE")}
    (part,) = run(lines(("L1", "MUG", 1)), stock, ship_to=RIYADH, origins=origins).decisions
    assert part.warehouse == "UAE-DUBAI"
    assert "nearest to SA/Riyadh (same trade zone: GCC)" in part.reasons


def test_same_region_beats_same_country() -> None:
    stock = {("US-EAST", "MUG"): 5, ("US-WEST", "MUG"): 5}
    origins = {"US-EAST": Origin("US", "NY"), "US-WEST": Origin("US", "TX")}
    (part,) = run(lines(("L1", "MUG", 1)), stock, origins=origins).decisions
    assert part.warehouse == "US-WEST" and "nearest to US/TX (same region)" in part.reasons


def test_the_zone_table_overrides_the_addresses() -> None:
    config = AllocationConfig.model_validate(
        {"zones": [{"warehouse": "DE-CENTRAL", "country": "US", "distance": 0}]}
    )
    stock = {("US-EAST", "MUG"): 5, ("DE-CENTRAL", "MUG"): 5}
    (part,) = run(lines(("L1", "MUG", 1)), stock, origins=DEMO, config=config).decisions
    assert part.explain() == "DE-CENTRAL: every line in stock; nearest to US/TX (0)"


def test_a_zone_entry_for_another_warehouse_leaves_the_fallback_in_force() -> None:
    config = AllocationConfig.model_validate(
        {"zones": [{"warehouse": "DE-CENTRAL", "country": "US", "distance": 5}]}
    )
    stock = {("US-EAST", "MUG"): 5, ("DE-CENTRAL", "MUG"): 5}
    (part,) = run(lines(("L1", "MUG", 1)), stock, origins=DEMO, config=config).decisions
    assert part.warehouse == "US-EAST" and "nearest to US/TX (same country)" in part.reasons


def test_a_warehouse_of_unknown_address_ranks_last() -> None:
    stock = {("US-EAST", "MUG"): 5, ("DE-CENTRAL", "MUG"): 5, ("AA-NOWHERE", "MUG"): 5}
    (part,) = run(lines(("L1", "MUG", 1)), stock, origins=DEMO).decisions
    assert part.warehouse == "US-EAST"
    only_germany = {"DE-CENTRAL": Origin("DE")}
    (part,) = run(lines(("L1", "MUG", 1)), stock, origins=only_germany).decisions
    assert part.warehouse == "DE-CENTRAL"
    assert "nearest to US/TX (another trade zone)" in part.reasons


def test_whole_order_still_beats_nearest() -> None:
    stock = {("US-EAST", "MUG"): 5, ("DE-CENTRAL", "MUG"): 5, ("DE-CENTRAL", "CAP"): 5}
    result = run(lines(("L1", "MUG", 1), ("L2", "CAP", 1)), stock, origins=DEMO)
    (part,) = result.decisions
    assert part.warehouse == "DE-CENTRAL" and part.reasons[0] == "every line in stock"


def test_nearest_first_splits_from_the_nearer_warehouse_when_whole_order_is_off() -> None:
    config = AllocationConfig.model_validate({"strategies": ["nearest"]})
    stock = {("US-EAST", "MUG"): 5, ("DE-CENTRAL", "MUG"): 5, ("DE-CENTRAL", "CAP"): 5}
    result = run(lines(("L1", "MUG", 1), ("L2", "CAP", 1)), stock, origins=DEMO, config=config)
    assert [(d.warehouse, [x.sku for x in d.lines]) for d in result.decisions] == [
        ("US-EAST", ["MUG"]),
        ("DE-CENTRAL", ["CAP"]),
    ]


WAREHOUSES = ("W-US", "W-DE", "W-AE", "W-JP")
SKUS = ("MUG", "CAP", "TEE")
COUNTRIES = ("US", "CA", "DE", "FR", "AE", "SA", "JP", "BR")


@given(
    order_lines=st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 4)), min_size=1),
    stock_levels=st.fixed_dictionaries(
        {(w, s): st.integers(0, 6) for w in WAREHOUSES for s in SKUS}
    ),
    homes=st.fixed_dictionaries({w: st.sampled_from(COUNTRIES) for w in WAREHOUSES}),
    destination=st.sampled_from(COUNTRIES),
    max_parts=st.integers(1, 4),
)
def test_nearest_by_address_never_exceeds_stock_and_ships_the_nearest_filler(
    order_lines: list[tuple[str, int]],
    stock_levels: dict[tuple[str, str], int],
    homes: dict[str, str],
    destination: str,
    max_parts: int,
) -> None:
    expanded = lines(*((f"L{i}", sku, qty) for i, (sku, qty) in enumerate(order_lines)))
    origins = {w: Origin(c) for w, c in homes.items()}
    config = AllocationConfig.model_validate({"split": {"max_parts": max_parts}})
    ship_to = Address(country=destination)
    result = run(expanded, stock_levels, ship_to=ship_to, origins=origins, config=config)
    if not result.allocated:
        assert result.unallocatable
        return
    assert len(result.decisions) <= max_parts
    shipped = Counter[tuple[str, str]]()
    for d in result.decisions:
        for x in d.lines:
            shipped[(d.warehouse, x.sku)] += x.quantity
    assert all(q <= stock_levels[k] for k, q in shipped.items())
    assert sorted(x.order_line_id for d in result.decisions for x in d.lines) == sorted(
        x.order_line_id for x in expanded
    )
    if len(result.decisions) == 1:  # whole order: no warehouse that could fill it is nearer
        chosen = result.decisions[0].warehouse
        need = Counter[str]()
        for x in expanded:
            need[x.sku] += x.quantity
        fillers = [w for w in WAREHOUSES if all(stock_levels[(w, s)] >= q for s, q in need.items())]
        far = {w: address_distance(origins[w], destination, None).value for w in fillers}
        assert far[chosen] == min(far.values())
