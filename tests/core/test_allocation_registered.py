"""Without ``[allocation] warehouses`` the registered warehouses are the candidates, and an
order that cannot be allocated says what the seller should do."""

from __future__ import annotations

from channelhub.core.allocation import allocate
from channelhub.core.allocation_config import AllocationConfig
from channelhub.core.catalog import ExpandedLine
from channelhub.core.geography import Origin
from channelhub.core.models import Address

NY = Address(name="A", line1="1 Main", city="New York", region="NY", country="US")
MUG = [ExpandedLine(order_line_id="L1", sku="MUG", quantity=2, bound_sku="MUG")]


def run(stock: dict[tuple[str, str], int], **kw: object):  # type: ignore[no-untyped-def]
    args: dict[str, object] = {
        "stock": stock,
        "ship_to": NY,
        "channel": "shopify",
        "account": "shop1",
        "config": AllocationConfig(),
    }
    args.update(kw)
    return allocate(MUG, **args)  # type: ignore[arg-type]


def test_no_registered_warehouse_says_how_to_add_one() -> None:
    result = run({}, origins={})
    assert result.unallocatable == (
        "no warehouse is registered: add one with `channelhub warehouses add`"
    )


def test_registered_warehouses_are_candidates_even_without_stock_rows() -> None:
    origins = {"US-EAST": Origin("US", "NJ"), "US-WEST": Origin("US", "CA")}
    result = run({("US-WEST", "MUG"): 5}, origins=origins)
    assert result.allocated and result.decisions[0].warehouse == "US-WEST"
    short = run({("US-WEST", "MUG"): 1}, origins=origins)
    # both registered warehouses are named, the one the ledger never saw included
    assert short.unallocatable == (
        "no warehouse has 2 x MUG for line L1 (US-EAST has 0, US-WEST has 1)"
    )


def test_a_shortage_at_a_warehouse_of_unknown_stock_says_how_to_tell_the_hub() -> None:
    result = run({}, origins={"US-EAST": Origin("US", "NJ")}, stock_unknown=frozenset({"US-EAST"}))
    assert result.unallocatable == (
        "no warehouse has 2 x MUG for line L1 (US-EAST has 0); stock unknown at US-EAST: "
        "run `channelhub stock set|import|pull`"
    )


def test_a_split_rule_whose_warehouse_is_not_allowed_is_named() -> None:
    config = AllocationConfig.model_validate(
        {"split_rules": [{"name": "mugs", "skus": ["MUG"], "warehouse": "CN-SZ"}]}
    )
    result = run({}, origins={"US-EAST": Origin("US", "NJ")}, config=config)
    assert result.unallocatable is not None
    assert "split rule 'mugs' ships from CN-SZ, which is not allowed" in result.unallocatable
