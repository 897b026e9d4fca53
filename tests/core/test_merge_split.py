"""Merge and split: who may merge, and both operations reversible to the cent."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from channelhub.core.errors import InvalidInput
from channelhub.core.merge import MergeConfig, merge_candidates, merge_orders, origin_of, unmerge
from channelhub.core.models import HubStatus, Order
from channelhub.core.split import part_lines, rejoin, split_by_lines, split_order
from tests.core.orderflow_data import order

CONFIG = MergeConfig()


def two_lines(ext: str, **kw: object) -> Order:
    return order(
        external_id=ext,
        lines=[
            {
                "line_id": "1",
                "channel_sku": "MUG",
                "quantity": 3,
                "total": {"amount": "10.00", "currency": "USD"},
                "tax": {"amount": "0.99", "currency": "USD"},
            },
            {"line_id": "2", "channel_sku": "LID", "quantity": 1},
        ],
        **kw,
    )


def test_same_buyer_address_currency_service_merge() -> None:
    a, b = order(external_id="A"), order(external_id="B", remarks="ring twice")
    c = order(external_id="C", shipping_service="express")
    d = order(external_id="D", hub_status=HubStatus.DISPATCHED)
    e = order(external_id="E", payment={"method": "cash_on_delivery", "paid": False})
    f = order(external_id="F", ship_to={**a.ship_to.model_dump(), "line1": " 1 main  st "})  # type: ignore[union-attr]
    groups = merge_candidates([a, b, c, d, e, f], CONFIG)
    assert [[o.external_id for o in g] for g in groups] == [["A", "B", "F"]]


def test_merge_is_configurable() -> None:
    a, c = order(external_id="A"), order(external_id="C", shipping_service="express")
    loose = MergeConfig(match_on=["account", "buyer", "address", "currency"])
    assert len(merge_candidates([a, c], loose)) == 1
    assert merge_candidates([a, c], MergeConfig(enabled=False)) == ()


def test_merged_order_keeps_provenance_and_sums_money() -> None:
    merged = merge_orders([two_lines("A"), two_lines("B", remarks="hi")], config=CONFIG)
    assert [line.line_id for line in merged.order.lines] == ["A/1", "A/2", "B/1", "B/2"]
    assert merged.order.totals.total.amount == Decimal("80.00")
    assert merged.order.remarks == "B: hi"
    assert origin_of(merged, "B/2").order.external_id == "B"
    restored = dict(unmerge(merged))
    assert restored[two_lines("A").key] == two_lines("A").lines


def test_orders_that_differ_cannot_merge() -> None:
    with pytest.raises(InvalidInput, match="cannot merge"):
        merge_orders(
            [
                order(external_id="A"),
                order(
                    external_id="B",
                    totals={"total": {"amount": "1", "currency": "EUR"}},
                ),
            ],
            config=CONFIG,
        )
    with pytest.raises(InvalidInput, match="too few"):
        merge_orders([order()], config=CONFIG)


def test_split_must_cover_every_unit_once() -> None:
    o = two_lines("A")
    with pytest.raises(InvalidInput, match="line 1: 2 units assigned, but it has 3"):
        split_order(o, [[("1", 2)], [("2", 1)]], reason="test")
    with pytest.raises(InvalidInput, match="exceeds the cap of 1"):
        split_order(o, [[("1", 3)], [("2", 1)]], reason="test", max_parts=1)
    split = split_by_lines(o, [["1"], ["2"]], reason="by stock")
    first, second = part_lines(o, split)
    assert [x.line_id for x in first] == ["1"] and [x.line_id for x in second] == ["2"]


def test_split_apportions_money_to_the_cent() -> None:
    o = two_lines("A")
    split = split_order(o, [[("1", 1), ("2", 1)], [("1", 2)]], reason="by stock")
    first, second = part_lines(o, split)
    assert first[0].total is not None and first[0].total.amount == Decimal("3.33")
    assert second[0].total is not None and second[0].total.amount == Decimal("6.67")
    assert rejoin([first, second]) == o.lines


@st.composite
def orders_and_partitions(draw: st.DrawFn) -> tuple[list[Order], list[list[tuple[str, int]]]]:
    count = draw(st.integers(2, 4))
    orders = []
    for n in range(count):
        specs = draw(
            st.lists(st.tuples(st.integers(1, 5), st.integers(0, 5000)), min_size=1, max_size=3)
        )
        lines = [
            {
                "line_id": f"L{i}",
                "channel_sku": "MUG",
                "quantity": q,
                "cancelled_quantity": draw(st.integers(0, q)),
                "total": {"amount": str(Decimal(cents) / 100), "currency": "USD"},
            }
            for i, (q, cents) in enumerate(specs)
        ]
        orders.append(order(external_id=f"O{n}", lines=lines))
    parts = draw(st.integers(1, 4))
    assignment: list[list[tuple[str, int]]] = [[] for _ in range(parts)]
    for o in orders:
        for line in o.lines:
            for _ in range(line.quantity):
                assignment[draw(st.integers(0, parts - 1))].append(
                    (f"{o.external_id}/{line.line_id}", 1)
                )
    return orders, [p for p in assignment if p]


@given(orders_and_partitions())
def test_merge_then_split_restores_the_original_lines(
    case: tuple[list[Order], list[list[tuple[str, int]]]],
) -> None:
    orders, assignment = case
    merged = merge_orders(orders, config=CONFIG)
    split = split_order(merged.order, assignment, reason="property")
    pieces = part_lines(merged.order, split)
    assert sum(x.quantity for p in pieces for x in p) == sum(x.quantity for x in merged.order.lines)
    restored = dict(unmerge(merged, rejoin(pieces)))
    for o in orders:
        assert sorted(restored[o.key], key=lambda x: x.line_id) == sorted(
            o.lines, key=lambda x: x.line_id
        )
