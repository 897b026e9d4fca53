"""The whole pure order flow: every line ends reserved, waiting with a reason, or cancelled."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from channelhub.core.allocation import Ranking
from channelhub.core.allocation_config import AllocationConfig
from channelhub.core.bindings import Binding, PairingBook, Scope
from channelhub.core.flow import (
    OUTCOMES_LIMIT,
    LineState,
    OrderPlan,
    Outcomes,
    plan_order,
    plan_stock,
)
from channelhub.core.models import HubStatus, MovementKind, Order, StockMovement
from channelhub.core.pairing import PairingConfig
from channelhub.core.reservations import Reservations
from channelhub.core.review import ReviewRules
from channelhub.core.stock import balances
from tests.core.orderflow_data import NOW, library, order

BOOK = PairingBook(
    [
        Binding(
            scope=Scope.ACCOUNT,
            channel="shopify",
            account="shop1",
            channel_sku="SET-2PK",
            sku="SET",
            multiplier=2,
        ),
        Binding(scope=Scope.CHANNEL, channel="shopify", channel_sku="GIFTBOX", sku="GIFT"),
    ]
)
RULES = ReviewRules.model_validate({"rules": [{"name": "cod", "kind": "cash_on_delivery"}]})
ALLOC = AllocationConfig.model_validate({"split": {"max_parts": 2}})
PAIRING = PairingConfig()  # one instance: kept outcomes stage orders per config instance


def ledger(**stock: int) -> list[StockMovement]:
    return [
        StockMovement(
            warehouse=key.split("_")[0],
            sku=key.split("_")[1],
            kind=MovementKind.RECEIVE,
            quantity=qty,
            reason="count",
            at=NOW,
        )
        for key, qty in stock.items()
        if qty
    ]


def plan(o: Order, moves: list[StockMovement], **kw: Any) -> OrderPlan:
    kw.setdefault("catalog", library())
    return plan_order(
        o,
        book=BOOK,
        pairing_config=PAIRING,
        review_rules=RULES,
        allocation_config=ALLOC,
        balances=balances(moves),
        now=NOW,
        **kw,
    )


def test_paired_reviewed_allocated_and_reserved() -> None:
    o = order(
        lines=[
            {"line_id": "1", "channel_sku": "SET-2PK", "quantity": 1},
            {"line_id": "2", "channel_sku": "mug", "quantity": 1},
        ]
    )
    p = plan(o, ledger(E_MUG=5, E_SPOON=4))
    assert p.status is HubStatus.ALLOCATED
    assert [x.state for x in p.lines] == [LineState.RESERVED, LineState.RESERVED]
    assert {(m.sku, m.quantity) for m in p.reservation.movements} == {  # type: ignore[union-attr]
        ("MUG", 2),
        ("SPOON", 4),
        ("MUG", 1),
    }
    assert [b.channel_sku for b in p.new_bindings] == ["mug"]
    kinds = [k for k, _ in p.decisions()]
    assert kinds == ["pairing", "pairing", "review", "allocation"]


def test_unpaired_line_waits_naming_the_listing() -> None:
    o = order(lines=[{"line_id": "1", "channel_sku": "NOPE", "quantity": 1}])
    p = plan(o, ledger(E_MUG=5))
    assert p.status is HubStatus.AWAITING_PAIRING
    assert "NOPE" in p.reason and p.lines[0].state is LineState.WAITING


def test_hold_lists_every_reason_and_hand_approval_skips_review() -> None:
    o = order(payment={"method": "cash_on_delivery", "paid": False})
    held = plan(o, ledger(E_MUG=5))
    assert held.status is HubStatus.ON_HOLD and "cash on delivery" in held.lines[0].reason
    assert plan(o, ledger(E_MUG=5), approved_by_hand=True).status is HubStatus.ALLOCATED


def test_no_stock_waits_approved_with_the_shortage() -> None:
    o = order(lines=[{"line_id": "1", "channel_sku": "GIFTBOX", "quantity": 1}])
    p = plan(o, ledger(E_MUG=9, E_LID=9))
    assert p.status is HubStatus.APPROVED
    assert "1 x GIFT" in p.lines[0].reason


def test_cancelled_and_channel_fulfilled_orders() -> None:
    gone = plan(order(channel_state="cancelled"), ledger(E_MUG=5))
    assert gone.status is HubStatus.CANCELLED and gone.lines[0].state is LineState.CANCELLED
    fba = plan(order(fulfilled_by="channel"), ledger(E_MUG=5))
    assert fba.lines[0].state is LineState.CHANNEL_FULFILLED and fba.reservation is None


def test_an_order_the_channel_has_not_confirmed_waits_and_reserves_nothing() -> None:
    """Amazon answers confirmShipment of a Pending order with 400: nothing is planned for it
    until an import shows it confirmed (unshipped)."""
    pending = plan(order(channel_state="pending"), ledger(E_MUG=5))
    assert pending.reservation is None and pending.status is HubStatus.NEW
    assert pending.lines[0].state is LineState.WAITING
    assert "payment pending" in pending.reason
    confirmed = plan(order(channel_state="unshipped"), ledger(E_MUG=5))
    assert confirmed.status is HubStatus.ALLOCATED and confirmed.reservation is not None


LINE_SKUS = ["MUG", "SET-2PK", "GIFTBOX", "NOPE", "LID"]


@given(
    lines=st.lists(
        st.tuples(st.sampled_from(LINE_SKUS), st.integers(1, 3), st.integers(0, 3)),
        min_size=1,
        max_size=4,
    ),
    stock=st.fixed_dictionaries(
        {f"{w}_{s}": st.integers(0, 8) for w in ("E", "W") for s in ("MUG", "SPOON", "LID", "GIFT")}
    ),
    cod=st.booleans(),
)
def test_every_line_is_reserved_waiting_with_a_reason_or_cancelled(
    lines: list[tuple[str, int, int]], stock: dict[str, int], cod: bool
) -> None:
    o = order(
        lines=[
            {"line_id": str(i), "channel_sku": sku, "quantity": q, "cancelled_quantity": min(c, q)}
            for i, (sku, q, c) in enumerate(lines)
        ],
        payment={"method": "cash_on_delivery" if cod else "prepaid"},
    )
    moves = ledger(**stock)
    p = plan(o, moves)
    assert [x.line_id for x in p.lines] == [line.line_id for line in o.lines]
    for x, line in zip(p.lines, o.lines, strict=True):
        assert x.state in {LineState.RESERVED, LineState.WAITING, LineState.CANCELLED}
        assert x.reason
        if line.cancelled_quantity == line.quantity:
            assert x.state is LineState.CANCELLED
    reserved = p.status is HubStatus.ALLOCATED
    assert reserved == any(x.state is LineState.RESERVED for x in p.lines)
    after = balances([*moves, *(p.reservation.movements if p.reservation else ())])
    assert all(b.reserved <= b.on_hand for b in after.values())


def test_order_without_address_is_held_even_without_an_address_rule() -> None:
    p = plan(order(ship_to=None), ledger(E_MUG=5))
    assert p.status is HubStatus.ON_HOLD and "no shipping address" in p.reason


ORDERS_IN_TURN = st.lists(
    st.fixed_dictionaries(
        {
            "lines": st.lists(
                st.tuples(st.sampled_from(LINE_SKUS), st.integers(1, 3), st.integers(0, 3)),
                min_size=1,
                max_size=3,
            ),
            "stock": st.fixed_dictionaries(
                {f"{w}_{s}": st.integers(0, 8) for w in ("E", "W") for s in ("MUG", "SPOON")}
            ),
            "cod": st.booleans(),
            "state": st.sampled_from(("unshipped", "unshipped", "cancelled", "pending")),
        }
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=150, deadline=None)
@given(ORDERS_IN_TURN)
def test_outcomes_kept_across_orders_plan_as_fresh_ones(sequence: list[dict[str, Any]]) -> None:
    """One :class:`Outcomes`, ranking and catalog planning order after order (as a planner
    does, in one pass or stopped ``until_stock`` and finished) plan each exactly as a plan
    made afresh: what was kept for one line never answers for another."""
    catalog, outcomes, ranking = library(), Outcomes(), Ranking(ALLOC, None)
    reservations = Reservations()
    for spec in sequence:
        o = order(
            lines=[
                {"line_id": str(i), "channel_sku": sku, "quantity": q}
                | {"cancelled_quantity": min(c, q)}
                for i, (sku, q, c) in enumerate(spec["lines"])
            ],
            payment={"method": "cash_on_delivery" if spec["cod"] else "prepaid"},
            channel_state=spec["state"],
        )
        moves = ledger(**spec["stock"])
        fresh = plan(o, moves)
        kept = {
            "catalog": catalog,
            "ranking": ranking,
            "outcomes": outcomes,
            "reservations": reservations,
        }
        assert plan(o, moves, **kept) == fresh
        first = plan(o, moves, until_stock=True, **kept)
        if first.status is HubStatus.APPROVED and first.expanded:
            rest = plan_stock(
                o, first, balances=balances(moves), allocation_config=ALLOC, now=NOW,
                ranking=ranking, outcomes=outcomes, reservations=reservations,
            )  # fmt: skip
            assert rest == fresh


def test_outcomes_share_one_line_outcome_per_binding_instance() -> None:
    outcomes = Outcomes()
    bound = BOOK.bindings()[0]
    same = outcomes.line("1", LineState.WAITING, "r", bound)
    assert outcomes.line("1", LineState.WAITING, "r", bound) is same
    twin = bound.model_copy()  # equal, another instance: its own entry, an equal outcome
    assert outcomes.line("1", LineState.WAITING, "r", twin).binding is twin
    assert outcomes.line("1", LineState.RESERVED, "r", bound, "E") != same
    for n in range(OUTCOMES_LIMIT + 5):  # a full memo is emptied and still answers
        assert outcomes.line(str(n), LineState.WAITING, "r").line_id == str(n)
    assert 0 < len(outcomes._made) <= OUTCOMES_LIMIT


def test_outcomes_share_one_plan_per_parts_instances() -> None:
    o = order(lines=[{"line_id": "1", "channel_sku": "SET-2PK", "quantity": 1}])  # bound
    outcomes = Outcomes()
    kw: dict[str, Any] = {"catalog": library(), "outcomes": outcomes, "until_stock": True}
    first = plan(o, ledger(E_MUG=5, E_SPOON=9), **kw)
    assert first.status is HubStatus.APPROVED and first.review is not None
    again = plan(o.model_copy(update={"external_id": "other"}), ledger(E_MUG=1), **kw)
    assert again is first  # the same lines, pairings, expansion and approval: one value
    by_hand = plan(o, ledger(E_MUG=5), approved_by_hand=True, **kw)
    assert by_hand.review is None and by_hand == first.model_copy(update={"review": None})
    unpaired = order(lines=[{"line_id": "1", "channel_sku": "NOPE", "quantity": 1}])
    waiting = plan(unpaired, [], **kw)
    assert waiting == plan(unpaired, []) and waiting.status is HubStatus.AWAITING_PAIRING
    assert waiting.model_fields_set == {"status", "reason", "lines", "pairings", "new_bindings"}
    parts = (first.lines, first.pairings, first.new_bindings)
    for n in range(OUTCOMES_LIMIT + 5):  # a full memo is emptied and still answers
        made = outcomes.plan(HubStatus.APPROVED, f"r{n}", *parts, (first.expanded, None))
        assert made.reason == f"r{n}" and made.expanded == first.expanded
    assert 0 < len(outcomes._plans) <= OUTCOMES_LIMIT


def test_outcomes_stage_orders_by_what_they_read_of_their_lines() -> None:
    outcomes = Outcomes()
    kw: dict[str, Any] = {"catalog": library(), "outcomes": outcomes, "until_stock": True}
    line = {"line_id": "1", "channel_sku": "SET-2PK", "quantity": 2}
    first = plan(order(lines=[line]), [], **kw)
    assert plan(order(lines=[line], external_id="other"), [], **kw) is first
    for changed in ({"shipped_quantity": 1}, {"cancelled_quantity": 2}, {"line_id": "2"}):
        o = order(lines=[line | changed])
        assert plan(o, [], **kw) == plan(o, [], until_stock=True) != first
    other_account = order(lines=[line], account="shop2")  # the binding is shop1's
    assert plan(other_account, [], **kw) == plan(other_account, [], until_stock=True)
    assert plan(other_account, [], **kw).status is HubStatus.AWAITING_PAIRING


def test_orders_held_for_the_same_reasons_share_their_plan() -> None:
    outcomes = Outcomes()
    kw: dict[str, Any] = {"catalog": library(), "outcomes": outcomes, "until_stock": True}
    cod: dict[str, Any] = {
        "payment": {"method": "cash_on_delivery"},
        "lines": [{"line_id": "1", "channel_sku": "SET-2PK", "quantity": 1}],  # bound
    }
    held = plan(order(**cod), [], **kw)
    assert held.status is HubStatus.ON_HOLD and held == plan(order(**cod), [], until_stock=True)
    assert plan(order(external_id="other", **cod), [], **kw) is held
