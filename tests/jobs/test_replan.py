"""Re-planning on SQLite and PostgreSQL: re-binds and channel modifications of allocated orders."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from channelhub.core.bindings import Binding, Scope
from channelhub.core.models import HubStatus, Order
from channelhub.jobs.orders.pipeline import OUTBOUND_CANCEL, OUTBOUND_CREATE
from channelhub.jobs.orders.pipeline_batch import run_pipeline
from channelhub.jobs.orders.replan import ingest_order, modification, rebind
from channelhub.store.db import make_session_factory
from channelhub.store.repos.decisions import order_decisions
from channelhub.store.repos.orders import get_order_row, transition_order
from channelhub.store.repos.stock import stock_balances
from channelhub.store.tables.outbox import OutboxMessage
from tests.core.orderflow_data import NOW, order
from tests.jobs.test_pipeline import SETTINGS, add, seed, status

LATER = NOW + timedelta(hours=1)


def outbox(s: Session) -> list[tuple[str, str]]:
    messages = s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
    return [(m.idempotency_key, m.kind) for m in messages]


def cup(multiplier: int) -> Binding:
    return Binding(
        scope=Scope.ACCOUNT,
        channel="shopify",
        account="shop1",
        channel_sku="CUP-2PK",
        sku="MUG",
        multiplier=multiplier,
    )


def test_rebinding_an_allocated_order_releases_and_replans(engine: Engine) -> None:
    factory = make_session_factory(engine)
    with factory() as s:
        seed(s, E_MUG=10)
        o = order(
            external_id="5", lines=[{"line_id": "1", "channel_sku": "CUP-2PK", "quantity": 1}]
        )
        add(s, o)
        with s.begin():
            rebind(s, cup(2), settings=SETTINGS, now=NOW, actor="ann")
    with factory() as s:
        assert status(s, o) is HubStatus.ALLOCATED
        assert stock_balances(s)[("E", "MUG")].reserved == 2
        s.commit()
        with s.begin():
            same, plans = rebind(s, cup(2), settings=SETTINGS, now=LATER, actor="ann")
        assert same.version == 1 and plans == []  # the same binding again moves nothing
        with s.begin():
            stored, plans = rebind(s, cup(3), settings=SETTINGS, now=LATER, actor="ann")
        assert stored.version == 2 and [p.status for p in plans] == [HubStatus.ALLOCATED]
    with factory() as s:
        assert stock_balances(s)[("E", "MUG")].reserved == 3
        assert outbox(s) == [
            ("shopify:shop1:5#p1r1", OUTBOUND_CREATE),
            ("shopify:shop1:5#p1r1#cancel", OUTBOUND_CANCEL),
            ("shopify:shop1:5#p1r2", OUTBOUND_CREATE),
        ]
        reasons = [d.reason for d in order_decisions(s, get_order_row(s, o.key).id)]
        assert any("re-planned: pairing changed" in r and "3 x MUG (v2)" in r for r in reasons)


def test_an_order_modified_after_allocation_gets_a_new_revision(engine: Engine) -> None:
    factory = make_session_factory(engine)
    with factory() as s:
        seed(s, E_MUG=10)
        o = order(external_id="6")
        add(s, o)
    run_pipeline(factory, settings=SETTINGS, now=NOW)
    changed = order(
        external_id="6",
        updated_at=LATER,
        lines=[{"line_id": "L1", "channel_sku": "MUG", "quantity": 4}],
    )
    assert modification(o, changed) == ["lines"]
    with factory() as s, s.begin():
        result = ingest_order(s, changed, settings=SETTINGS, now=LATER)
        assert result.outcome == "updated"
    with factory() as s:
        assert status(s, o) is HubStatus.ALLOCATED
        assert stock_balances(s)[("E", "MUG")].reserved == 4
        messages = s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [(m.idempotency_key, m.kind) for m in messages] == [
            ("shopify:shop1:6#p1r1", OUTBOUND_CREATE),
            ("shopify:shop1:6#p1r1#cancel", OUTBOUND_CANCEL),
            ("shopify:shop1:6#p1r2", OUTBOUND_CREATE),
        ]
        assert messages[1].payload["idempotency_key"] == "shopify:shop1:6#p1r1"
        assert messages[2].payload["revision"] == 2
        kinds = [d.kind for d in order_decisions(s, get_order_row(s, o.key).id)]
        assert kinds[kinds.index("modified") :] == ["modified", "stop", "pairing", "dispatch"]


def test_a_replayed_or_unchanged_update_replans_nothing(engine: Engine) -> None:
    factory = make_session_factory(engine)
    with factory() as s:
        seed(s, E_MUG=10)
        o = order(external_id="7")
        add(s, o)
    run_pipeline(factory, settings=SETTINGS, now=NOW)
    with factory() as s, s.begin():
        ingest_order(s, o, settings=SETTINGS, now=LATER)  # stale replay
        note = order(external_id="7", updated_at=LATER, channel_status="paid, tagged")
        assert ingest_order(s, note, settings=SETTINGS, now=LATER).outcome == "updated"
    with factory() as s:
        assert outbox(s) == [("shopify:shop1:7#p1r1", OUTBOUND_CREATE)]
        assert stock_balances(s)[("E", "MUG")].reserved == 1


def test_a_change_after_dispatch_is_recorded_for_a_person(engine: Engine) -> None:
    factory = make_session_factory(engine)
    with factory() as s:
        seed(s, E_MUG=10)
        o = order(external_id="8")
        add(s, o)
    run_pipeline(factory, settings=SETTINGS, now=NOW)
    moved: Order = order(
        external_id="8",
        updated_at=LATER,
        ship_to={"name": "Ann Lee", "line1": "9 Elm St", "city": "Boston", "country": "US"},
    )
    with factory() as s, s.begin():
        row = get_order_row(s, o.key)
        transition_order(s, row.id, HubStatus.DISPATCHED, reason="sent", at=NOW)
        ingest_order(s, moved, settings=SETTINGS, now=LATER)
    with factory() as s:
        assert status(s, o) is HubStatus.DISPATCHED
        last = order_decisions(s, get_order_row(s, o.key).id)[-1]
        assert last.kind == "modified" and "(address) after the order became dispatched" in (
            last.reason
        )
        assert outbox(s) == [("shopify:shop1:8#p1r1", OUTBOUND_CREATE)]
