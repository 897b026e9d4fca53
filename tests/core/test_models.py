"""The canonical model refuses what it cannot represent, and says why in a sentence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from pydantic import BaseModel

from channelhub.core.errors import IllegalTransition, InvalidInput
from channelhub.core.lifecycle import HubStatus, allowed_targets, transition
from channelhub.core.models import (
    Address,
    Money,
    MovementKind,
    Order,
    OrderKey,
    OrderLine,
    OrderTotals,
    Sku,
    SkuKind,
    StockMovement,
)
from channelhub.core.stock import balances, movement_deltas
from channelhub.core.types import ENTITY_CONFIG, replaced
from channelhub.core.validation import parse

T0 = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)


def _order(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "channel": "shopify",
        "account": "shop-us",
        "external_id": "5001234567890123456",
        "channel_status": "PAID",
        "placed_at": T0,
        "updated_at": T0,
        "totals": {"total": {"amount": Decimal("20.00"), "currency": "USD"}},
        "lines": [{"line_id": "1", "channel_sku": "MUG-1", "quantity": 2}],
    }
    base.update(overrides)
    return base


def test_money_refuses_float_and_unknown_currency() -> None:
    with pytest.raises(TypeError):
        Money.of(1.1, "USD")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match=r"currency: 'XYZ' is not an ISO 4217 currency code"):
        parse(Money, {"amount": Decimal(1), "currency": "XYZ"})


def test_money_arithmetic_keeps_currency_and_refuses_mixing() -> None:
    assert Money.of("1.10", "EUR") + Money.of("2.20", "EUR") == Money.of("3.30", "EUR")
    with pytest.raises(ValueError, match="cannot combine EUR with USD"):
        _ = Money.of("1", "EUR") + Money.of("1", "USD")


def test_validation_names_nested_field_and_value() -> None:
    bad = _order(ship_to={"country": "USA", "line1": "1 Main St"})
    with pytest.raises(InvalidInput) as info:
        parse(Order, bad, source="order.json")
    assert info.value.problems == (
        "ship_to.country: 'USA' is not an ISO 3166-1 alpha-2 country code (e.g. 'US', 'SA')",
    )
    assert str(info.value).startswith("order.json: ship_to.country: 'USA'")


def test_validation_reports_every_fault() -> None:
    bad = _order(lines=[{"line_id": "1", "quantity": 0}], placed_at="yesterday")
    with pytest.raises(InvalidInput) as info:
        parse(Order, bad)
    text = " | ".join(info.value.problems)
    assert "lines[0].quantity: 0 must be greater than 0" in text
    assert "placed_at: 'yesterday'" in text


def test_naive_datetimes_are_refused_and_aware_ones_become_utc() -> None:
    with pytest.raises(InvalidInput, match="has no timezone"):
        parse(Order, _order(placed_at=datetime(2026, 1, 1), updated_at=T0))
    riyadh = timezone(timedelta(hours=3))
    order = parse(Order, _order(placed_at=datetime(2026, 11, 1, 13, 0, tzinfo=riyadh)))
    assert order.placed_at == T0 and order.placed_at.tzinfo is UTC


def test_order_ids_stay_strings_and_models_are_frozen() -> None:
    order = parse(Order, _order())
    assert order.external_id == "5001234567890123456"
    with pytest.raises(ValueError):
        order.external_id = "x"  # type: ignore[misc]
    with pytest.raises(InvalidInput, match="external_id: 5001234567890123456 is not text"):
        parse(Order, _order(external_id=5001234567890123456))


def test_totals_refuse_mixed_currencies() -> None:
    with pytest.raises(ValueError, match="totals mix currencies"):
        OrderTotals(total=Money.of("1", "USD"), shipping=Money.of("1", "EUR"))


def test_line_cannot_cancel_more_than_ordered() -> None:
    with pytest.raises(ValueError, match="cancelled quantity 3 exceeds ordered quantity 2"):
        OrderLine(line_id="1", quantity=2, cancelled_quantity=3)


def test_sku_recipe_must_match_kind() -> None:
    with pytest.raises(ValueError, match="is a combo and needs components"):
        Sku(code="SET", kind=SkuKind.COMBO)
    with pytest.raises(ValueError, match="is a single and cannot have components"):
        Sku.model_validate({"code": "A", "components": [{"sku": "B", "qty": 1}]})
    case = Sku.model_validate({"code": "A", "units": [{"name": "case", "base_units": 24}]})
    assert case.to_base_units(2, "case") == 48


def test_address_lists_missing_parts() -> None:
    assert Address(country="SA", city="Riyadh").missing_parts() == ["name", "line1"]


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (HubStatus.NEW, HubStatus.DISPATCHED),
        (HubStatus.CANCELLED, HubStatus.APPROVED),
        (HubStatus.SHIPPED, HubStatus.ALLOCATED),
        (HubStatus.DELIVERED, HubStatus.NEW),
        (HubStatus.APPROVED, HubStatus.SHIPPED),
    ],
)
def test_illegal_transitions_are_refused(current: HubStatus, target: HubStatus) -> None:
    with pytest.raises(IllegalTransition, match=f"cannot go from '{current}' to '{target}'"):
        transition(current, target, reason="test", at=T0)


def test_legal_transition_is_recorded_with_reason() -> None:
    record = transition(HubStatus.NEW, HubStatus.ON_HOLD, reason="cash on delivery", at=T0)
    assert (record.from_status, record.to_status, record.reason) == (
        HubStatus.NEW,
        HubStatus.ON_HOLD,
        "cash on delivery",
    )


def test_channel_fulfilled_orders_skip_dispatch() -> None:
    assert HubStatus.SHIPPED in allowed_targets(HubStatus.NEW, channel_fulfilled=True)
    assert HubStatus.ALLOCATED not in allowed_targets(HubStatus.NEW, channel_fulfilled=True)
    assert HubStatus.SHIPPED not in allowed_targets(HubStatus.NEW)


def test_ledger_balances_follow_movement_kinds() -> None:
    def move(kind: MovementKind, qty: int) -> StockMovement:
        return StockMovement(warehouse="W", sku="A", kind=kind, quantity=qty, reason="t", at=T0)

    ledger = [
        move(MovementKind.RECEIVE, 10),
        move(MovementKind.RESERVE, 4),
        move(MovementKind.CONSUME, 3),
        move(MovementKind.RELEASE, 1),
        move(MovementKind.ADJUST, -2),
    ]
    bal = balances(ledger)[("W", "A")]
    assert (bal.on_hand, bal.reserved, bal.available) == (5, 0, 5)
    with pytest.raises(ValueError, match="takes a positive quantity"):
        move(MovementKind.RESERVE, -1)


def test_every_movement_kind_has_its_fixed_effect() -> None:
    K = MovementKind
    assert {kind: movement_deltas(kind, 3) for kind in K} == {
        K.RECEIVE: (3, 0),
        K.ADJUST: (3, 0),
        K.ASSEMBLE: (3, 0),
        K.DISASSEMBLE: (3, 0),
        K.RESERVE: (0, 3),
        K.RELEASE: (0, -3),
        K.CONSUME: (-3, -3),
    }
    assert movement_deltas(K.ADJUST, -2) == (-2, 0)


def test_an_orders_key_is_built_from_its_own_fields() -> None:
    """(Keys are kept per (channel, account, id): orders told apart by one field, and a copy
    with another id, get their own.)"""
    seen = []
    for channel, account, external_id in [
        ("shopify", "shop1", "1001"),
        ("shopify", "shop2", "1001"),
        ("ebay", "shop1", "1001"),
        ("shopify", "shop1", "1002"),
    ] * 2:
        o = parse(Order, _order(channel=channel, account=account, external_id=external_id))
        assert o.key == OrderKey(channel=channel, account=account, external_id=external_id)
        assert str(o.key) == f"{channel}:{account}:{external_id}"
        seen.append(o)
    moved = seen[0].model_copy(update={"external_id": "9"})
    assert moved.key == OrderKey(channel="shopify", account="shop1", external_id="9")
    assert seen[0].key == OrderKey(channel="shopify", account="shop1", external_id="1001")


def test_replaced_is_model_copy_of_a_value() -> None:
    movement = StockMovement(
        warehouse="W", sku="MUG", kind=MovementKind.RESERVE, quantity=2, reason="r", at=T0
    )
    made = replaced(movement, reference="o1#p1")
    copied = movement.model_copy(update={"reference": "o1#p1"})
    assert made == copied and made.model_fields_set == copied.model_fields_set
    assert movement.reference is None and "reference" not in movement.model_fields_set


def test_replaced_shares_the_fields_set_only_of_a_frozen_value_with_those_fields_set() -> None:
    movement = StockMovement(
        warehouse="W", sku="MUG", kind=MovementKind.RESERVE, quantity=2, reason="r", at=T0
    )
    first = replaced(movement, reference="o1#p1")  # a field not set before: a set of its own
    assert first.model_fields_set is not movement.model_fields_set
    again = replaced(first, reference="o2#p1")  # every field set already, frozen: shared
    assert again.model_fields_set is first.model_fields_set
    assert again == movement.model_copy(update={"reference": "o2#p1"})
    assert first.reference == "o1#p1"

    class Entity(BaseModel):
        model_config = ENTITY_CONFIG
        a: int
        b: int = 0

    entity = Entity(a=1, b=2)
    changed = replaced(entity, b=3)  # may change later: never shares the original's set
    assert changed.model_fields_set == {"a", "b"}
    assert changed.model_fields_set is not entity.model_fields_set
    changed.a = 5
    assert entity.a == 1
