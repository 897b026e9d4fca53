"""The product library view: expansion of singles, kits and combos; cycles; units."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from channelhub.core.catalog import Catalog
from channelhub.core.errors import InvalidInput, NotFound
from channelhub.core.models import Sku
from tests.core.orderflow_data import library


def combo(code: str, **parts: int) -> Sku:
    return Sku.model_validate(
        {
            "code": code,
            "kind": "combo",
            "components": [{"sku": s, "qty": q} for s, q in parts.items()],
        },
        strict=False,
    )


def test_single_expands_to_itself_times_multiplier() -> None:
    (line,) = library().expand("MUG", 3, multiplier=2, order_line_id="L1")
    assert (line.sku, line.quantity, line.bound_sku, line.via) == ("MUG", 6, "MUG", ())


def test_kit_expands_to_the_kit_never_its_components() -> None:
    (line,) = library().expand("GIFT", 2, order_line_id="L1")
    assert (line.sku, line.quantity) == ("GIFT", 2)


def test_combo_expands_to_components_times_qty_times_multiplier() -> None:
    lines = library().expand("SET", 2, multiplier=3, order_line_id="L9")
    assert [(x.sku, x.quantity, x.via) for x in lines] == [
        ("MUG", 6, ("SET",)),
        ("SPOON", 12, ("SET",)),
    ]
    assert {x.order_line_id for x in lines} == {"L9"}


def test_nested_combo_expands_through_every_level() -> None:
    lines = library().expand("MEGA", 1)
    assert {x.sku: x.quantity for x in lines} == {"MUG": 1, "SPOON": 2, "LID": 3}
    assert {x.sku: x.via for x in lines}["MUG"] == ("MEGA", "SET")


def test_cycle_is_refused_with_the_path() -> None:
    with pytest.raises(InvalidInput, match=r"cycle: A -> B -> A"):
        Catalog([Sku(code="X"), combo("A", B=1, X=1), combo("B", A=1)])


def test_unknown_component_and_duplicate_code_are_each_named() -> None:
    with pytest.raises(InvalidInput) as err:
        Catalog([Sku(code="X"), Sku(code="X"), combo("A", NOPE=1)])
    text = " | ".join(err.value.problems)
    assert "'X' is defined twice" in text
    assert "component 'NOPE' is not defined" in text


def test_unknown_sku_is_not_found() -> None:
    with pytest.raises(NotFound, match="'ZZZ'"):
        library().expand("ZZZ", 1)


def test_bad_quantities_name_the_field() -> None:
    with pytest.raises(InvalidInput, match="multiplier: 0"):
        library().expand("MUG", 1, multiplier=0)
    with pytest.raises(InvalidInput, match="quantity: 0"):
        library().expand("MUG", 0)


def test_units_of_measure_convert_both_ways() -> None:
    cat = library()
    assert cat.to_base_units("MUG", 3, "case") == 72
    assert cat.to_base_units("MUG", 3) == 3
    assert cat.from_base_units("MUG", 50, "case") == (2, 2)
    with pytest.raises(InvalidInput, match="unit: 'pallet'"):
        cat.to_base_units("MUG", 1, "pallet")


def test_barcodes_find_the_sku_and_the_case_size() -> None:
    cat = library()
    assert cat.by_barcode("0001") == ("MUG", 1)
    assert cat.by_barcode("0024") == ("MUG", 24)
    assert cat.by_barcode("0999") == ("GIFT", 1)
    assert cat.by_barcode("nope") is None


@given(
    chain=st.integers(min_value=1, max_value=6),
    qtys=st.lists(st.integers(min_value=1, max_value=4), min_size=6, max_size=6),
    quantity=st.integers(min_value=1, max_value=5),
    multiplier=st.integers(min_value=1, max_value=4),
)
def test_expansion_multiplies_along_a_chain_of_combos(
    chain: int, qtys: list[int], quantity: int, multiplier: int
) -> None:
    skus = [Sku(code="BASE")]
    below = "BASE"
    for level in range(chain):
        skus.append(combo(f"C{level}", **{below: qtys[level]}))
        below = f"C{level}"
    (line,) = Catalog(skus).expand(below, quantity, multiplier=multiplier)
    expected = quantity * multiplier
    for level in range(chain):
        expected *= qtys[level]
    assert (line.sku, line.quantity, len(line.via)) == ("BASE", expected, chain)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["MUG", "SET", "MEGA", "GIFT", "LID", "NOPE"]),
            st.integers(-1, 3),
            st.integers(0, 2),
            st.sampled_from(["", "L1", "L2"]),
        ),
        min_size=1,
        max_size=10,
    )
)
def test_a_catalog_remembers_expansions_and_answers_as_a_fresh_one(
    calls: list[tuple[str, int, int, str]],
) -> None:
    """Codes, quantities, multipliers and line ids in turn and again, errors included."""
    kept = library()

    def expand(catalog: Catalog, call: tuple[str, int, int, str]) -> object:
        code, quantity, multiplier, line_id = call
        try:
            return catalog.expand(code, quantity, multiplier=multiplier, order_line_id=line_id)
        except (InvalidInput, NotFound) as error:
            return (type(error), str(error))

    for call in [*calls, *calls]:
        assert expand(kept, call) == expand(library(), call)


def test_an_expansion_is_remembered_only_for_whole_numbers() -> None:
    catalog = library()
    assert catalog.expand("MUG", 1) == catalog.expand("MUG", 1)
    with pytest.raises(ValidationError):  # True is not a quantity, even after 1 was asked
        catalog.expand("MUG", True)
