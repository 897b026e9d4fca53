"""Shipped stock units back into channel units through the recorded expansion."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from channelhub.core.catalog import Catalog, ExpandedLine
from channelhub.core.errors import InvalidInput
from channelhub.core.models import PackageLine, Sku
from channelhub.core.units import channel_lines, channel_quantities, newly_shipped


def combo(code: str, parts: dict[str, int]) -> Sku:
    return Sku.model_validate(
        {
            "code": code,
            "kind": "combo",
            "components": [{"sku": s, "qty": q} for s, q in parts.items()],
        },
        strict=False,
    )


def shipped_as(expansion: tuple[ExpandedLine, ...], *, named: bool) -> list[PackageLine]:
    return [
        PackageLine(
            sku=x.sku, quantity=x.quantity, order_line_id=x.order_line_id if named else None
        )
        for x in expansion
    ]


recipes = st.dictionaries(
    st.sampled_from(["A", "B", "C", "D"]), st.integers(min_value=1, max_value=5), min_size=1
)


@given(
    recipe=recipes,
    multiplier=st.integers(min_value=1, max_value=4),
    ordered=st.integers(min_value=1, max_value=6),
    shipped_units=st.integers(min_value=0, max_value=6),
    named=st.booleans(),
)
def test_shipping_the_expansion_of_n_units_reports_n(
    recipe: dict[str, int], multiplier: int, ordered: int, shipped_units: int, named: bool
) -> None:
    catalog = Catalog([Sku(code=s) for s in "ABCD"] + [combo("SET", recipe)])
    expansion = catalog.expand("SET", ordered, multiplier=multiplier, order_line_id="L1")
    n = min(shipped_units, ordered)
    if n == 0:
        assert channel_quantities(expansion, []) == {"L1": 0}
        return
    unit = catalog.expand("SET", n, multiplier=multiplier, order_line_id="L1")
    assert channel_quantities(expansion, shipped_as(unit, named=named)) == {"L1": n}


@given(
    recipe=recipes,
    multiplier=st.integers(min_value=1, max_value=4),
    n=st.integers(min_value=1, max_value=5),
    short=st.data(),
)
def test_shipping_less_than_a_whole_unit_of_any_component_reports_fewer(
    recipe: dict[str, int], multiplier: int, n: int, short: st.DataObject
) -> None:
    catalog = Catalog([Sku(code=s) for s in "ABCD"] + [combo("SET", recipe)])
    expansion = catalog.expand("SET", n, multiplier=multiplier, order_line_id="L1")
    lines = shipped_as(expansion, named=True)
    index = short.draw(st.integers(min_value=0, max_value=len(lines) - 1))
    per_unit = lines[index].quantity // n
    missing = short.draw(st.integers(min_value=1, max_value=per_unit))
    rest = lines[index].quantity - missing
    lines[index] = lines[index].model_copy(update={"quantity": max(rest, 1)})
    shipped = [x for i, x in enumerate(lines) if i != index or rest > 0]
    assert channel_quantities(expansion, shipped) == {"L1": n - 1}


def test_two_pack_ships_two_tees_for_one_channel_unit() -> None:
    catalog = Catalog([Sku(code="TEE-M")])
    expansion = catalog.expand("TEE-M", 1, multiplier=2, order_line_id="AMZ-1")
    shipped = [PackageLine(sku="TEE-M", quantity=2, order_line_id="AMZ-1")]
    assert channel_quantities(expansion, shipped) == {"AMZ-1": 1}
    assert channel_lines(expansion, {"AMZ-1": 1}) == (
        PackageLine(sku="TEE-M", quantity=1, order_line_id="AMZ-1"),
    )


def test_a_bundle_split_over_packages_is_reported_with_the_package_completing_it() -> None:
    catalog = Catalog(
        [Sku(code="MUG"), Sku(code="COASTER"), combo("SET-MUGS", {"MUG": 2, "COASTER": 1})]
    )
    expansion = catalog.expand("SET-MUGS", 1, order_line_id="S1")
    mugs = [PackageLine(sku="MUG", quantity=2)]
    coaster = [PackageLine(sku="COASTER", quantity=1)]
    assert newly_shipped(expansion, [], mugs) == {}  # not whole yet: nothing to report
    assert newly_shipped(expansion, mugs, coaster) == {"S1": 1}


def test_sku_only_lines_fill_order_lines_in_expansion_order() -> None:
    catalog = Catalog([Sku(code="TEE-M")])
    expansion = (
        *catalog.expand("TEE-M", 1, order_line_id="L1"),
        *catalog.expand("TEE-M", 2, multiplier=2, order_line_id="L2"),
    )
    shipped = [PackageLine(sku="TEE-M", quantity=3)]
    assert channel_quantities(expansion, shipped) == {"L1": 1, "L2": 1}


def test_more_than_ordered_is_capped_at_what_was_ordered() -> None:
    expansion = Catalog([Sku(code="X")]).expand("X", 2, order_line_id="L1")
    assert channel_quantities(expansion, [PackageLine(sku="X", quantity=9)]) == {"L1": 2}


def test_an_expansion_without_its_channel_units_is_refused_by_name() -> None:
    bare = (ExpandedLine(order_line_id="L1", sku="X", quantity=2, bound_sku="X"),)
    with pytest.raises(InvalidInput, match=r"expansion\[0\]\.ordered_quantity"):
        channel_quantities(bare, [])
    uneven = (bare[0].model_copy(update={"quantity": 3, "ordered_quantity": 2}),)
    with pytest.raises(InvalidInput, match="not a whole multiple of 2"):
        channel_quantities(uneven, [])
