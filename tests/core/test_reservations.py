"""Reservations: all or nothing, never more than available, released and consumed exactly."""

from __future__ import annotations

from datetime import timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from channelhub.core.allocation import AllocationDecision
from channelhub.core.errors import InvalidInput
from channelhub.core.models import MovementKind, StockMovement
from channelhub.core.reservations import (
    Reservations,
    consume,
    open_reservations,
    release,
    reserve,
)
from channelhub.core.stock import balances
from channelhub.core.types import MAX_TEXT
from tests.core.orderflow_data import NOW, library


def receive(warehouse: str, sku: str, qty: int) -> StockMovement:
    return StockMovement(
        warehouse=warehouse,
        sku=sku,
        kind=MovementKind.RECEIVE,
        quantity=qty,
        reason="count",
        at=NOW,
    )


def decision(
    warehouse: str, sku: str, qty: int, *, part: int = 1, line: str = "L1"
) -> AllocationDecision:
    return AllocationDecision(
        part=part, warehouse=warehouse, lines=library().expand(sku, qty, order_line_id=line)
    )


def test_combo_reserves_its_components_with_provenance() -> None:
    ledger = [receive("W", "MUG", 5), receive("W", "SPOON", 5)]
    plan = reserve([decision("W", "SET", 2)], balances(ledger), reference="o1", at=NOW)
    assert plan.ok
    assert [(m.sku, m.quantity, m.reference) for m in plan.movements] == [
        ("MUG", 2, "o1#p1"),
        ("SPOON", 4, "o1#p1"),
    ]
    assert plan.movements[0].reason == "reserve for line L1 via SET"


def test_short_stock_reserves_nothing_and_names_the_shortfall() -> None:
    ledger = [receive("W", "MUG", 5), receive("W", "SPOON", 3)]
    plan = reserve([decision("W", "SET", 2)], balances(ledger), reference="o1", at=NOW)
    assert not plan.ok and plan.movements == ()
    assert plan.reason() == "W has 3 x SPOON available, 4 needed"


def test_kit_reservation_needs_kit_stock() -> None:
    ledger = [receive("W", "MUG", 5), receive("W", "LID", 5)]
    plan = reserve([decision("W", "GIFT", 1)], balances(ledger), reference="o1", at=NOW)
    assert plan.reason() == "W has 0 x GIFT available, 1 needed"


def test_a_memo_reserves_as_reserve_does_order_after_order() -> None:
    memo = Reservations()
    decisions = (decision("W", "SET", 2), decision("W", "MUG", 1, part=2, line="L2"))
    stock = balances([receive("W", "MUG", 5), receive("W", "SPOON", 5)])
    at_noon_cet = NOW.astimezone(timezone(timedelta(hours=1)))  # the same instant
    for reference, at in (("o1", NOW), ("o2", NOW), ("o3", at_noon_cet)):
        plan = reserve(decisions, stock, reference=reference, at=at, memo=memo)
        fresh = reserve(decisions, stock, reference=reference, at=at)
        assert plan == fresh and plan.model_fields_set == fresh.model_fields_set
        assert [m.model_fields_set for m in plan.movements] == [
            m.model_fields_set for m in fresh.movements
        ]
    assert [m.reference for m in plan.movements] == ["o3#p1", "o3#p1", "o3#p2"]


def test_a_memo_still_names_shortfalls_and_refuses_what_validation_refuses() -> None:
    memo = Reservations()
    decisions = (decision("W", "SET", 2),)
    plenty = balances([receive("W", "MUG", 5), receive("W", "SPOON", 5)])
    assert reserve(decisions, plenty, reference="o1", at=NOW, memo=memo).ok
    short = balances([receive("W", "MUG", 5), receive("W", "SPOON", 3)])
    plan = reserve(decisions, short, reference="o2", at=NOW, memo=memo)
    assert plan.reason() == "W has 3 x SPOON available, 4 needed"
    with pytest.raises(ValidationError):
        reserve(decisions, plenty, reference="o" * MAX_TEXT, at=NOW, memo=memo)


def test_release_and_consume_settle_exactly_what_is_held() -> None:
    ledger = [receive("W", "MUG", 5)]
    ledger += reserve(
        [decision("W", "MUG", 2), decision("W", "MUG", 1, part=2)],
        balances(ledger),
        reference="o1",
        at=NOW,
    ).movements
    assert open_reservations(ledger, "o1") == {("o1#p1", "W", "MUG"): 2, ("o1#p2", "W", "MUG"): 1}
    ledger += consume(ledger, "o1#p1", {("W", "MUG"): 2}, at=NOW)
    with pytest.raises(InvalidInput, match="exceeds the 1 reserved"):
        consume(ledger, "o1", {("W", "MUG"): 2}, at=NOW)
    ledger += release(ledger, "o1", at=NOW, reason="cancelled by the channel")
    assert open_reservations(ledger, "o1") == {}
    assert release(ledger, "o1", at=NOW, reason="again") == ()
    final = balances(ledger)[("W", "MUG")]
    assert (final.on_hand, final.reserved) == (3, 0)


@given(
    stock=st.dictionaries(st.sampled_from(["MUG", "SPOON", "LID", "GIFT"]), st.integers(0, 10)),
    orders=st.lists(
        st.tuples(
            st.sampled_from(["MUG", "SET", "GIFT", "MEGA"]), st.integers(1, 4), st.booleans()
        ),
        max_size=12,
    ),
)
def test_reservations_never_exceed_stock(
    stock: dict[str, int], orders: list[tuple[str, int, bool]]
) -> None:
    ledger = [receive("W", sku, qty) for sku, qty in stock.items() if qty]
    for n, (sku, qty, cancel) in enumerate(orders):
        plan = reserve([decision("W", sku, qty)], balances(ledger), reference=f"o{n}", at=NOW)
        ledger += plan.movements
        if cancel and n % 2:
            ledger += release(ledger, f"o{n}", at=NOW, reason="cancelled")
        for b in balances(ledger).values():
            assert 0 <= b.reserved <= b.on_hand
