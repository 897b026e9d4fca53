"""The chunked pipeline on SQLite and PostgreSQL: the same outcomes as one order at a time,
stock never oversold by concurrent runs, a failing order isolated from its chunk."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from channelhub.core.errors import InvalidInput
from channelhub.core.flow import OrderPlan
from channelhub.core.models import HubStatus, Order
from channelhub.jobs.orders import pipeline_batch, planner
from channelhub.jobs.orders.pipeline import (
    OUTBOUND_CREATE,
    pending_order_keys,
    process_order,
)
from channelhub.jobs.orders.pipeline_batch import run_pipeline
from channelhub.store.db import make_engine, make_session_factory, upgrade
from channelhub.store.repos.decisions import order_decisions
from channelhub.store.repos.orders import get_order_row
from channelhub.store.repos.outbox import enqueue
from channelhub.store.repos.stock import movements, stock_balances
from channelhub.store.repos.txnotes import OUTBOX_TARGETS_KEY
from channelhub.store.tables.orderflow import OrderDecisionRow, PairingRow
from channelhub.store.tables.orders import OrderRow, OrderTransitionRow
from channelhub.store.tables.outbox import OutboxMessage
from channelhub.store.tables.stock import StockMovementRow
from tests.core.orderflow_data import NOW, order
from tests.jobs.test_pipeline import SETTINGS, add, seed, status


def mugs(n: int, prefix: str = "m", qty: int = 2) -> list[Order]:
    return [
        order(
            external_id=f"{prefix}{i}",
            lines=[{"line_id": "1", "channel_sku": "MUG", "quantity": qty}],
        )
        for i in range(n)
    ]


def allocated(s: Session, orders: list[Order]) -> list[Order]:
    return [o for o in orders if status(s, o) is HubStatus.ALLOCATED]


def test_chunks_reserve_in_order_until_stock_runs_out(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline_batch, "CHUNK", 3)  # several chunks share the balance
    factory = make_session_factory(engine)
    orders = mugs(8)
    with factory() as s:
        seed(s, E_MUG=9)
        for o in orders:
            add(s, o)
    counts = run_pipeline(factory, settings=SETTINGS, now=NOW)
    assert counts.by_status == {"allocated": 4, "approved": 4} and not counts.failed
    with factory() as s:
        assert allocated(s, orders) == orders[:4]  # first placed, first served
        b = stock_balances(s)[("E", "MUG")]
        assert (b.on_hand, b.reserved) == (9, 8)
        assert [m.reference for m in movements(s, warehouse="E", sku="MUG")][1:] == [
            f"{o.key}#p1" for o in orders[:4]
        ]
        kinds = [d.kind for d in order_decisions(s, get_order_row(s, orders[0].key).id)]
        assert kinds == ["pairing", "review", "allocation", "dispatch"]
        waiting = order_decisions(s, get_order_row(s, orders[5].key).id)
        assert [d.kind for d in waiting] == ["pairing", "review", "allocation"]
    again = run_pipeline(factory, settings=SETTINGS, now=NOW)  # nothing new to say
    assert again.by_status == {"approved": 4}
    with factory() as s:
        assert len(order_decisions(s, get_order_row(s, orders[5].key).id)) == 3


@pytest.mark.parametrize("workers", [3])
def test_concurrent_pipeline_runs_never_oversell(
    engine: Engine, workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline_batch, "CHUNK", 4)
    factory = make_session_factory(engine)
    orders = mugs(20, prefix="c")
    with factory() as s:
        seed(s, E_MUG=15, W_MUG=6)
        for o in orders:
            add(s, o)
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            run_pipeline(factory, settings=SETTINGS, now=NOW)
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with factory() as s:
        balances = stock_balances(s)
        for warehouse, on_hand in (("E", 15), ("W", 6)):
            b = balances[(warehouse, "MUG")]
            assert b.on_hand == on_hand and b.reserved <= on_hand
        done = allocated(s, orders)
        assert len(done) == 10  # 7 from E, 3 from W: 2 units each
        assert sum(b.reserved for b in balances.values()) == 20
        keys = s.scalars(select(OutboxMessage.idempotency_key)).all()
        assert sorted(keys) == sorted(f"{o.key}#p1r1" for o in done)  # one each, never two


def test_a_failing_order_is_recorded_and_its_chunk_still_planned(engine: Engine) -> None:
    factory = make_session_factory(engine)
    orders = mugs(3, prefix="f", qty=1)
    with factory() as s:
        seed(s, E_MUG=9)
        for o in orders:
            add(s, o)
        with s.begin():  # a warehouse order already queued under the key f1 would get
            enqueue(
                s,
                idempotency_key=f"{orders[1].key}#p1r1",
                target="warehouse:E",
                kind=OUTBOUND_CREATE,
                payload={},
                now=NOW,
            )
    counts = run_pipeline(factory, settings=SETTINGS, now=NOW)
    # the chunk's insert meets the queued key, rolls back, and each order goes alone: the
    # one-by-one path sees the queued revision and plans f1 as revision 2
    assert counts.by_status == {"allocated": 3} and not counts.failed
    with factory() as s:
        assert allocated(s, orders) == orders
        keys = sorted(s.scalars(select(OutboxMessage.idempotency_key)).all())
        assert keys == sorted([f"{o.key}#p1r1" for o in orders] + [f"{orders[1].key}#p1r2"])
        assert stock_balances(s)[("E", "MUG")].reserved == 3


def test_an_order_the_pipeline_refuses_is_recorded_without_stopping_the_rest(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = planner.plan_order

    def refusing(o: Order, **kwargs: Any) -> OrderPlan:
        if o.external_id == "bad":
            raise InvalidInput.field("rule", "x", "cannot be applied")
        return real(o, **kwargs)

    monkeypatch.setattr(planner, "plan_order", refusing)
    factory = make_session_factory(engine)
    good = mugs(2, prefix="g", qty=1)
    bad = order(external_id="bad", lines=[{"line_id": "1", "channel_sku": "MUG", "quantity": 1}])
    with factory() as s:
        seed(s, E_MUG=5)
        for o in (good[0], bad, good[1]):
            add(s, o)
    counts = run_pipeline(factory, settings=SETTINGS, now=NOW)
    assert counts.by_status == {"allocated": 2}
    assert counts.failed == [(str(bad.key), "rule: 'x' cannot be applied")]
    with factory() as s:
        assert allocated(s, [*good, bad]) == good
        assert stock_balances(s)[("E", "MUG")].reserved == 2
        errors = [d for d in order_decisions(s, get_order_row(s, bad.key).id) if d.kind == "error"]
        assert [d.reason for d in errors] == ["rule: 'x' cannot be applied"]


def _mixed(n: int) -> list[Order]:
    """Combos, two-line orders, cash on delivery (held) and unpaired listings, in turn."""
    skus = ("MUG", "SET", "SPOON", "CUP-2PK")
    out = []
    for i in range(n):
        lines = [{"line_id": "1", "channel_sku": skus[i % 4], "quantity": 1 + i % 3}]
        if i % 2:
            lines.append({"line_id": "2", "channel_sku": "SPOON", "quantity": 1})
        cod = {"method": "cash_on_delivery", "paid": False} if i % 7 == 0 else {}
        out.append(order(external_id=f"x{i:03d}", lines=lines, payment=cod))
    return out


def _footprint(s: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Everything the pipeline writes, without ids (they differ between databases)."""
    ext = {row.id: row.external_id for row in s.scalars(select(OrderRow))}
    return {
        "status": sorted((r.external_id, r.hub_status) for r in s.scalars(select(OrderRow))),
        "decisions": sorted(
            (ext[d.order_id], d.kind, d.reason, json.dumps(d.detail, sort_keys=True))
            for d in s.scalars(select(OrderDecisionRow))
        ),
        "transitions": sorted(
            (ext[t.order_id], t.from_status, t.to_status, t.reason)
            for t in s.scalars(select(OrderTransitionRow))
        ),
        "movements": sorted(
            (m.warehouse, m.sku, m.kind, m.quantity, m.reference or "")
            for m in s.scalars(select(StockMovementRow))
        ),
        "outbox": sorted(
            (m.idempotency_key, m.target, json.dumps(m.payload, sort_keys=True))
            for m in s.scalars(select(OutboxMessage))
        ),
        "bindings": sorted((b.value, b.sku, b.version) for b in s.scalars(select(PairingRow))),
    }


def test_chunks_write_exactly_what_one_order_at_a_time_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline_batch, "CHUNK", 7)
    orders = _mixed(60)
    footprints = []
    for name in ("classic", "chunked"):
        engine = make_engine(f"sqlite:///{tmp_path / name}.db")
        upgrade(engine)
        factory = make_session_factory(engine)
        with factory() as s:
            seed(s, E_MUG=30, W_MUG=12, E_SPOON=40, W_SPOON=25)
            for o in orders:
                add(s, o)
        if name == "classic":
            with factory() as s:
                keys = pending_order_keys(s, limit=500)
            for key in keys:
                with factory() as s, s.begin():
                    process_order(s, key, settings=SETTINGS, now=NOW)
        else:
            run_pipeline(factory, settings=SETTINGS, now=NOW)
        with factory() as s:
            footprints.append(_footprint(s))
        engine.dispose()
    classic, chunked = footprints
    assert {x[1] for x in classic["status"]} >= {"allocated", "approved", "on_hold"}
    for part in classic:
        assert chunked[part] == classic[part], part


def test_a_chunk_notes_its_warehouse_orders_targets_for_the_commit(engine: Engine) -> None:
    """The distributed engine defers a warehouse's dispatch from this note at commit; a chunk
    written without it left a worker's freshly planned orders for the safety-net timer."""
    factory = make_session_factory(engine)
    noted: list[frozenset[str]] = []

    def before_commit(session: Session) -> None:
        if session.info.get(OUTBOX_TARGETS_KEY):
            noted.append(frozenset(session.info[OUTBOX_TARGETS_KEY]))

    with factory() as s:
        seed(s, E_MUG=9)
        for o in mugs(2):
            add(s, o)
    event.listen(factory, "before_commit", before_commit)
    try:
        run_pipeline(factory, settings=SETTINGS, now=NOW)
    finally:
        event.remove(factory, "before_commit", before_commit)
    assert noted and set().union(*noted) == {"warehouse:E"}
