"""The store-driven pipeline on SQLite and PostgreSQL: decisions recorded, stock never oversold."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from channelhub.core.bindings import Binding, Scope
from channelhub.core.models import HubStatus, MovementKind, Order, Sku, StockMovement, Warehouse
from channelhub.core.review import ReviewRules
from channelhub.jobs.orders.pipeline import (
    OUTBOUND_CANCEL,
    OUTBOUND_CREATE,
    PipelineSettings,
    process_order,
    stop_order,
)
from channelhub.jobs.orders.pipeline_batch import run_pipeline
from channelhub.jobs.orders.replan import rebind
from channelhub.store.db import make_session_factory
from channelhub.store.repos.decisions import order_decisions
from channelhub.store.repos.orders import get_order_row, upsert_order
from channelhub.store.repos.pairings import binding_history, list_bindings
from channelhub.store.repos.products import upsert_sku
from channelhub.store.repos.stock import record_movement, stock_balances, upsert_warehouse
from channelhub.store.tables.outbox import OutboxMessage
from tests.core.orderflow_data import NOW, order

SETTINGS = PipelineSettings(
    review=ReviewRules.model_validate({"rules": [{"name": "cod", "kind": "cash_on_delivery"}]})
)


def seed(session: Session, **stock: int) -> None:
    for code in ("E", "W"):
        upsert_warehouse(session, Warehouse(code=code, country="US"), now=NOW)
    for sku in (Sku(code="MUG"), Sku(code="SPOON")):
        upsert_sku(session, sku, now=NOW)
    upsert_sku(
        session,
        Sku.model_validate(
            {
                "code": "SET",
                "kind": "combo",
                "components": [{"sku": "MUG", "qty": 1}, {"sku": "SPOON", "qty": 2}],
            },
            strict=False,
        ),
        now=NOW,
    )
    for key, qty in stock.items():
        warehouse, sku = key.split("_")
        record_movement(
            session,
            StockMovement(
                warehouse=warehouse,
                sku=sku,
                kind=MovementKind.RECEIVE,
                quantity=qty,
                reason="count",
                at=NOW,
            ),
            now=NOW,
        )
    session.commit()


def add(session: Session, o: Order) -> None:
    upsert_order(session, o, now=NOW)
    session.commit()


def status(session: Session, o: Order) -> HubStatus:
    session.expire_all()
    return HubStatus(get_order_row(session, o.key).hub_status)


def test_pipeline_reserves_queues_and_explains(engine: Engine) -> None:
    factory = make_session_factory(engine)
    with factory() as s:
        seed(s, E_MUG=5, E_SPOON=10)
        ok = order(external_id="1", lines=[{"line_id": "1", "channel_sku": "SET", "quantity": 2}])
        cod = order(external_id="2", payment={"method": "cash_on_delivery", "paid": False})
        unpaired = order(
            external_id="3", lines=[{"line_id": "1", "channel_sku": "CUP-2PK", "quantity": 1}]
        )
        for o in (ok, cod, unpaired):
            add(s, o)
    counts = run_pipeline(factory, settings=SETTINGS, now=NOW)
    assert counts.by_status == {"allocated": 1, "on_hold": 1, "awaiting_pairing": 1}
    with factory() as s:
        assert status(s, ok) is HubStatus.ALLOCATED
        b = stock_balances(s)
        assert (b[("E", "MUG")].reserved, b[("E", "SPOON")].reserved) == (2, 4)
        messages = s.scalars(select(OutboxMessage)).all()
        assert [(m.idempotency_key, m.kind, m.target) for m in messages] == [
            ("shopify:shop1:1#p1r1", OUTBOUND_CREATE, "warehouse:E")
        ]
        assert {x["sku"]: x["quantity"] for x in messages[0].payload["lines"]} == {
            "MUG": 2,
            "SPOON": 4,
        }
        kinds = [d.kind for d in order_decisions(s, get_order_row(s, ok.key).id)]
        assert kinds == ["pairing", "review", "allocation", "dispatch"]
        held = order_decisions(s, get_order_row(s, cod.key).id)
        assert any("cash on delivery" in d.reason for d in held)
        assert [b.channel_sku for b in list_bindings(s)] == ["SET", "MUG"]
    # a second run changes nothing: allocated orders are done, holds wait for a person
    again = run_pipeline(factory, settings=SETTINGS, now=NOW + timedelta(minutes=1))
    assert again.by_status == {"awaiting_pairing": 1}
    with factory() as s:
        assert len(s.scalars(select(OutboxMessage)).all()) == 1


def test_binding_reevaluates_waiting_orders(engine: Engine) -> None:
    factory = make_session_factory(engine)
    with factory() as s:
        seed(s, W_MUG=9)
        o = order(
            external_id="7", lines=[{"line_id": "1", "channel_sku": "CUP-2PK", "quantity": 2}]
        )
        add(s, o)
    run_pipeline(factory, settings=SETTINGS, now=NOW)
    with factory() as s, s.begin():
        stored, plans = rebind(
            s,
            Binding(
                scope=Scope.ACCOUNT,
                channel="shopify",
                account="shop1",
                channel_sku="CUP-2PK",
                sku="MUG",
                multiplier=2,
            ),
            settings=SETTINGS,
            now=NOW,
            actor="seller",
        )
    assert stored.version == 1 and [p.status for p in plans] == [HubStatus.ALLOCATED]
    with factory() as s:
        assert stock_balances(s)[("W", "MUG")].reserved == 4
        s.commit()
        with s.begin():
            rebound = rebind(
                s,
                Binding(
                    scope=Scope.ACCOUNT,
                    channel="shopify",
                    account="shop1",
                    channel_sku="CUP-2PK",
                    sku="MUG",
                    multiplier=3,
                ),
                settings=SETTINGS,
                now=NOW,
                actor="seller",
            )[0]
        assert rebound.version == 2
        assert [b.version for b in binding_history(s, rebound)] == [1, 2]


def test_hold_by_rule_then_approve_by_hand_then_cancel_releases(engine: Engine) -> None:
    factory = make_session_factory(engine)
    with factory() as s:
        seed(s, E_MUG=3)
        o = order(external_id="9", payment={"method": "cash_on_delivery", "paid": False})
        add(s, o)
    run_pipeline(factory, settings=SETTINGS, now=NOW)
    with factory() as s:
        assert status(s, o) is HubStatus.ON_HOLD
        s.commit()
        with s.begin():
            plan = process_order(
                s, o.key, settings=SETTINGS, now=NOW, actor="ann", approved_by_hand=True
            )
        assert plan is not None and plan.status is HubStatus.ALLOCATED
        assert stock_balances(s)[("E", "MUG")].reserved == 1
        s.commit()
        with s.begin():
            released = stop_order(
                s, o.key, target=HubStatus.CANCELLED, reason="buyer asked", now=NOW, actor="ann"
            )
        assert [(m.sku, m.quantity) for m in released] == [("MUG", 1)]
        assert stock_balances(s)[("E", "MUG")].reserved == 0
        assert status(s, o) is HubStatus.CANCELLED
        kinds = {m.kind for m in s.scalars(select(OutboxMessage))}
        assert kinds == {OUTBOUND_CREATE, OUTBOUND_CANCEL}


def test_channel_cancellation_releases_the_reservation(engine: Engine) -> None:
    factory = make_session_factory(engine)
    with factory() as s:
        seed(s, E_MUG=3)
        o = order(external_id="11")
        add(s, o)
    run_pipeline(factory, settings=SETTINGS, now=NOW)
    with factory() as s:
        later = NOW + timedelta(hours=1)
        cancelled = order(external_id="11", channel_state="cancelled", updated_at=later)
        add(s, cancelled)
    counts = run_pipeline(factory, settings=SETTINGS, now=NOW + timedelta(hours=1))
    assert counts.by_status == {"cancelled": 1}
    with factory() as s:
        assert status(s, o) is HubStatus.CANCELLED
        assert stock_balances(s)[("E", "MUG")].reserved == 0


def test_waiting_for_stock_is_retried_when_stock_arrives(engine: Engine) -> None:
    factory = make_session_factory(engine)
    with factory() as s:
        seed(s, E_MUG=1)
        o = order(external_id="12", lines=[{"line_id": "1", "channel_sku": "MUG", "quantity": 3}])
        add(s, o)
    run_pipeline(factory, settings=SETTINGS, now=NOW)
    with factory() as s:
        assert status(s, o) is HubStatus.APPROVED
        reasons = [d.reason for d in order_decisions(s, get_order_row(s, o.key).id)]
        assert any("no warehouse has 3 x MUG" in r for r in reasons)
        record_movement(
            s,
            StockMovement(
                warehouse="W",
                sku="MUG",
                kind=MovementKind.RECEIVE,
                quantity=5,
                reason="arrival",
                at=NOW,
            ),
            now=NOW,
        )
        s.commit()
    run_pipeline(factory, settings=SETTINGS, now=NOW)
    with factory() as s:
        assert status(s, o) is HubStatus.ALLOCATED
        kinds = [d.kind for d in order_decisions(s, get_order_row(s, o.key).id)]
        assert kinds == ["pairing", "review", "allocation", "pairing", "allocation", "dispatch"]


@pytest.mark.parametrize("workers", [2])
def test_concurrent_allocators_never_oversell(engine: Engine, workers: int) -> None:
    factory = make_session_factory(engine)
    orders = [
        order(external_id=f"c{i}", lines=[{"line_id": "1", "channel_sku": "MUG", "quantity": 2}])
        for i in range(8)
    ]
    with factory() as s:
        seed(s, E_MUG=7)
        for o in orders:
            add(s, o)
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def work(mine: list[Order]) -> None:
        try:
            barrier.wait()
            for o in mine:
                with factory() as s, s.begin():
                    process_order(s, o.key, settings=SETTINGS, now=NOW)
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(orders[i::workers],)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with factory() as s:
        b = stock_balances(s)[("E", "MUG")]
        assert b.reserved <= b.on_hand == 7
        allocated = [o for o in orders if status(s, o) is HubStatus.ALLOCATED]
        assert len(allocated) == 3 and b.reserved == 6
