"""Orders: natural-key upsert guarded by the channel's updated_at, and hub-status history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, Text, cast, func, select
from sqlalchemy.orm import Session

from channelhub.core.errors import IllegalTransition
from channelhub.core.lifecycle import transition
from channelhub.core.models import (
    Address,
    HubStatus,
    Money,
    Order,
    OrderKey,
    OrderLine,
    OrderTotals,
)
from channelhub.store.repos._upsert import UpsertOutcome
from channelhub.store.repos.orders import (
    StatusChanged,
    get_order,
    get_order_row,
    json_document_order,
    order_history,
    record_transition,
    transition_order,
    upsert_order,
)
from channelhub.store.repos.payloads import store_raw_payload
from channelhub.store.tables.orders import OrderLineRow, OrderRow

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
BIG_ID = "5678901234567890123"  # beyond 2^53: must stay a string


def make_order(
    updated: datetime = T0, status: str = "paid", qty: int = 2, **extra: object
) -> Order:
    lines = extra.pop(
        "lines",
        (
            OrderLine(
                line_id="L1", listing_id="P1", quantity=qty, unit_price=Money.of("19.99", "EUR")
            ),
        ),
    )
    return Order.model_validate(
        {
            "channel": "shopify",
            "account": "shop-eu",
            "external_id": BIG_ID,
            "channel_status": status,
            "placed_at": T0,
            "updated_at": updated,
            "ship_to": Address(name="A. Buyer", line1="Hauptstr. 1", city="Berlin", country="DE"),
            "totals": OrderTotals(total=Money.of("39.98", "EUR")),
            "lines": lines,
            **extra,
        }
    )


KEY = OrderKey(channel="shopify", account="shop-eu", external_id=BIG_ID)


def test_insert_then_round_trip(session: Session) -> None:
    result = upsert_order(session, make_order(), now=T0)
    session.commit()
    assert result.outcome is UpsertOutcome.INSERTED
    back = get_order(session, KEY)
    assert back == make_order()
    assert back.totals.total.amount.as_tuple() == Money.of("39.98", "EUR").amount.as_tuple()
    row = get_order_row(session, KEY)
    assert (row.external_id, row.currency, row.ship_to_country) == (BIG_ID, "EUR", "DE")
    assert [line.listing_id for line in row.lines] == ["P1"]


def test_stale_update_changes_nothing(session: Session) -> None:
    upsert_order(session, make_order(T0 + timedelta(hours=1), status="paid"), now=T0)
    older = upsert_order(session, make_order(T0, status="pending", qty=5), now=T0)
    same = upsert_order(session, make_order(T0 + timedelta(hours=1), status="x"), now=T0)
    session.commit()
    assert older.outcome is UpsertOutcome.STALE and same.outcome is UpsertOutcome.STALE
    stored = get_order(session, KEY)
    assert stored.channel_status == "paid" and stored.lines[0].quantity == 2
    assert session.scalar(select(func.count()).select_from(OrderRow)) == 1


def test_newer_update_applies_and_keeps_hub_status(session: Session) -> None:
    first = upsert_order(session, make_order(), now=T0)
    transition_order(session, first.id, HubStatus.ON_HOLD, reason="COD review", at=T0)
    lines = (
        OrderLine(line_id="L1", listing_id="P1", quantity=2, cancelled_quantity=1),
        OrderLine(line_id="L2", listing_id="P2", quantity=1),
    )
    newer = make_order(T0 + timedelta(hours=2), status="partially_cancelled", lines=lines)
    result = upsert_order(session, newer, now=T0 + timedelta(hours=2))
    session.commit()
    assert result == (first.id, UpsertOutcome.UPDATED)
    stored = get_order(session, KEY)
    assert stored.channel_status == "partially_cancelled"
    assert stored.hub_status is HubStatus.ON_HOLD  # the hub's status is the hub's
    rows = session.scalars(select(OrderLineRow).order_by(OrderLineRow.line_id)).all()
    assert [(r.line_id, r.cancelled_quantity) for r in rows] == [("L1", 1), ("L2", 0)]


def test_vanished_lines_are_dropped_and_line_ids_are_stable(session: Session) -> None:
    lines = (
        OrderLine(line_id="L1", quantity=1),
        OrderLine(line_id="L2", quantity=1),
    )
    upsert_order(session, make_order(lines=lines), now=T0)
    l1_id = session.scalar(select(OrderLineRow.id).where(OrderLineRow.line_id == "L1"))
    upsert_order(session, make_order(T0 + timedelta(minutes=1), lines=lines[:1]), now=T0)
    assert session.scalars(select(OrderLineRow.id)).all() == [l1_id]


def test_raw_payload_is_linked(session: Session) -> None:
    payload = store_raw_payload(
        session, platform="shopify", account="shop-eu", kind="order", body=b"{}", received_at=T0
    )
    upsert_order(session, make_order(), now=T0, raw_payload_id=payload.id)
    assert get_order_row(session, KEY).raw_payload_id == payload.id


def test_transitions_are_checked_and_recorded(session: Session) -> None:
    order_id = upsert_order(session, make_order(), now=T0).id
    transition_order(session, order_id, HubStatus.APPROVED, reason="auto review passed", at=T0)
    with pytest.raises(IllegalTransition, match="'approved' to 'shipped'"):
        transition_order(session, order_id, HubStatus.SHIPPED, reason="?", at=T0)
    transition_order(
        session,
        order_id,
        HubStatus.ALLOCATED,
        reason="warehouse DE-1",
        at=T0 + timedelta(minutes=1),
        actor="allocator",
    )
    session.commit()
    history = order_history(session, order_id)
    assert [(t.from_status, t.to_status, t.actor) for t in history] == [
        (HubStatus.NEW, HubStatus.APPROVED, "hub"),
        (HubStatus.APPROVED, HubStatus.ALLOCATED, "allocator"),
    ]
    assert get_order(session, KEY).hub_status is HubStatus.ALLOCATED


def test_concurrent_status_change_is_detected(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        order_id = upsert_order(session, make_order(), now=T0).id
    with Session(engine) as stale:
        stale.get(OrderRow, order_id)  # reads 'new'
        with Session(engine) as other, other.begin():
            transition_order(other, order_id, HubStatus.CANCELLED, reason="buyer", at=T0)
        move = transition(HubStatus.NEW, HubStatus.APPROVED, reason="late reviewer", at=T0)
        with pytest.raises(StatusChanged, match="no longer 'new'"):
            record_transition(stale, order_id, move)


def _copied(document: str, status: str) -> Order:
    """The order of a document's text as json_document_order built it before: parsed, then
    copied with its status."""
    order = Order.model_validate_json(document, strict=False)
    return order.model_copy(update={"hub_status": HubStatus(status)})


@pytest.mark.parametrize("status", ["new", "approved", "awaiting_pairing"])
def test_json_document_order_is_the_stored_order_with_its_status(
    session: Session, status: str
) -> None:
    order = make_order(remarks='say "hub_status" twice', tags=("a", "b"))
    upsert_order(session, order, now=T0)
    text = session.scalar(select(cast(OrderRow.document, Text)))
    assert text is not None
    built = json_document_order(text, status)
    assert built == order.model_copy(update={"hub_status": HubStatus(status)})
    assert built == _copied(text, status)
    assert built.model_fields_set == _copied(text, status).model_fields_set


@pytest.mark.parametrize(
    "member",
    [
        "",  # written without a status, as every document is
        ', "hub_status": "on_hold"',  # a status in the document: the row's wins
    ],
)
def test_json_document_order_the_row_status_wins(member: str) -> None:
    document = make_order().model_dump_json(exclude={"hub_status"})[:-1] + member + "}\n "
    built = json_document_order(document, "approved")
    assert built.hub_status is HubStatus.APPROVED
    assert built == _copied(document, "approved")
    assert built.model_fields_set == _copied(document, "approved").model_fields_set


def test_json_document_order_refuses_what_it_refused() -> None:
    with pytest.raises(ValidationError) as empty:
        json_document_order("{}", "approved")
    with pytest.raises(ValidationError) as before:
        _copied("{}", "approved")
    assert empty.value.errors() == before.value.errors()
    with pytest.raises(ValueError, match="'nonsense' is not a valid HubStatus"):
        json_document_order(make_order().model_dump_json(exclude={"hub_status"}), "nonsense")
