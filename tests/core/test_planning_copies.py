"""Planning's per-order shortcuts (allocation's routes, plans copied rather than validated)
make values equal to those made the long way."""

from __future__ import annotations

from channelhub.core.allocation import Ranking, allocate
from channelhub.core.allocation_config import AllocationConfig
from channelhub.core.bindings import PairingBook
from channelhub.core.catalog import ExpandedLine
from channelhub.core.flow import Outcomes, plan_order, plan_stock
from channelhub.core.geography import Origin
from channelhub.core.models import Address, MovementKind, StockMovement
from channelhub.core.pairing import PairingConfig
from channelhub.core.review import ReviewDecision, ReviewRules, review
from channelhub.core.stock import balances
from channelhub.core.types import copies_plainly, rebuilt
from tests.core.orderflow_data import NOW, library, order

ORIGINS = {"US-EAST": Origin("US", "NY"), "US-WEST": Origin("US", "CA")}
NY = Address(name="A", line1="1 Main", city="X", region="NY", country="US")


def _receive(warehouse: str, sku: str, qty: int) -> StockMovement:
    return StockMovement(
        warehouse=warehouse, sku=sku, kind=MovementKind.RECEIVE, quantity=qty, reason="n", at=NOW
    )


def test_rebuilt_copies_as_model_copy_does() -> None:
    movement = _receive("W", "MUG", 2).model_copy(update={"reference": "o1"})
    assert copies_plainly(movement, "reference")
    assert not copies_plainly(_receive("W", "MUG", 2), "reference")  # never set on it
    values = movement.__dict__.copy()
    values["reference"] = "o2"
    made = rebuilt(movement, values)
    fresh = movement.model_copy(update={"reference": "o2"})
    assert made == fresh and made.model_fields_set == fresh.model_fields_set
    assert movement.reference == "o1"


def test_a_route_is_worked_out_once_and_ships_as_a_fresh_allocation() -> None:
    config = AllocationConfig()
    ranking = Ranking(config, ORIGINS)
    lines = (ExpandedLine(order_line_id="1", sku="MUG", quantity=2, bound_sku="MUG"),)
    route = ranking.route(lines, "shopify", "shop1", NY)
    assert route is not None and ranking.route(lines, "shopify", "shop1", NY) is route
    for east, west in ((5, 5), (0, 5), (1, 1), (5, 0)):
        stock = {("US-EAST", "MUG"): east, ("US-WEST", "MUG"): west}
        kept = allocate(
            lines, stock=stock, ship_to=NY, channel="shopify", account="shop1",
            config=config, origins=ORIGINS, ranking=ranking,
        )  # fmt: skip
        fresh = allocate(
            list(lines), stock=stock, ship_to=NY, channel="shopify", account="shop1",
            config=config, origins=ORIGINS,
        )  # fmt: skip
        assert kept == fresh


def test_orders_held_alike_are_held_for_the_same_reasons() -> None:
    rules = ReviewRules.model_validate({"rules": [{"name": "cod", "kind": "cash_on_delivery"}]})
    cod = {"method": "cash_on_delivery", "paid": False}
    first = review(order(external_id="1", payment=cod), rules, now=NOW)
    second = review(order(external_id="2", payment=cod), rules, now=NOW)
    assert first == second and not first.approved
    assert first == ReviewDecision.model_validate(
        {
            "reasons": [
                {"rule": "cod", "kind": "cash_on_delivery", "message": first.reasons[0].message}
            ]
        }
    )


def test_allocated_plans_copied_with_each_reservation_equal_fresh_ones() -> None:
    said = Outcomes()
    stock = balances([_receive("US-EAST", "MUG", 9), _receive("US-WEST", "MUG", 9)])
    catalog = library()
    kept = Ranking(AllocationConfig(), ORIGINS)
    book, pairing = PairingBook([]), PairingConfig()
    for n in range(3):
        placed = order(external_id=f"10{n}")
        first = plan_order(
            placed, catalog=catalog, book=book, pairing_config=pairing,
            review_rules=ReviewRules(), allocation_config=kept.config, balances={}, now=NOW,
            origins=ORIGINS, until_stock=True, ranking=kept, outcomes=said,
        )  # fmt: skip
        plan = plan_stock(
            placed, first, balances=stock, allocation_config=kept.config, now=NOW,
            reference=f"r{n}", origins=ORIGINS, ranking=kept, outcomes=said,
        )  # fmt: skip
        fresh = plan_stock(
            placed, first, balances=stock, allocation_config=kept.config, now=NOW,
            reference=f"r{n}", origins=ORIGINS,
        )  # fmt: skip
        assert plan == fresh and plan.model_fields_set == fresh.model_fields_set
        assert plan.reservation is not None
        assert {m.reference for m in plan.reservation.movements} == {f"r{n}#p1"}
    assert len(said._reserved) == 1  # one plan copied with each order's reservation
