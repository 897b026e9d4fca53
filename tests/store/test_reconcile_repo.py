"""The hub-side readers stream in Python's (bytewise) key order on both databases, agree with
the ledger sums, and runs keep their discrepancies."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from channelhub.core.discrepancy import Discrepancy, DiscrepancyClass, Repair, RepairKind
from channelhub.core.lifecycle import HubStatus
from channelhub.core.models import MovementKind, StockMovement, Warehouse
from channelhub.core.order import ChannelOrderState
from channelhub.store.repos.orders import upsert_order
from channelhub.store.repos.reconcile import (
    add_discrepancies,
    finish_run,
    get_run,
    iter_hub_orders,
    iter_ledger_on_hand,
    list_discrepancies,
    mark_repair,
    start_run,
)
from channelhub.store.repos.stock import record_movement, stock_balances, upsert_warehouse
from tests.jobs.reconcile_fakes import ACCOUNT, CHANNEL, T0, make_order

#: Ids a locale-aware collation (en_US) would order differently from bytes.
AWKWARD_IDS = ["a-1", "a1", "B", "a", "Z-9", "z", "_x", "10", "9", "ä"]


def test_hub_orders_stream_in_python_order(session: Session) -> None:
    for external_id in AWKWARD_IDS:
        upsert_order(session, make_order(external_id, ChannelOrderState.UNSHIPPED), now=T0)
    other = make_order("other", ChannelOrderState.UNSHIPPED).model_copy(update={"account": "x"})
    upsert_order(session, other, now=T0)
    views = list(iter_hub_orders(session, channel=CHANNEL, account=ACCOUNT))
    assert [v.external_id for v in views] == sorted(AWKWARD_IDS)
    assert {v.status for v in views} == {HubStatus.NEW}


def test_ledger_stream_agrees_with_the_balances(session: Session) -> None:
    for code in ("DE-1", "DE_2", "de-1"):
        upsert_warehouse(session, Warehouse(code=code, country="DE"), now=T0)
    n = 0
    for wh in ("DE-1", "DE_2", "de-1"):
        for sku in AWKWARD_IDS:
            for kind, qty in ((MovementKind.RECEIVE, 9), (MovementKind.CONSUME, 2)):
                n += 1
                record_movement(
                    session,
                    StockMovement(
                        warehouse=wh, sku=sku, kind=kind, quantity=qty, reason="r", at=T0
                    ),
                    now=T0,
                )
    streamed = list(iter_ledger_on_hand(session))
    assert [c.key for c in streamed] == sorted(c.key for c in streamed)
    assert {c.key: c.quantity for c in streamed} == {
        k: b.on_hand for k, b in stock_balances(session).items()
    }
    assert [c.warehouse for c in iter_ledger_on_hand(session, warehouses=["DE_2"])] == [
        "DE_2"
    ] * len(AWKWARD_IDS)


def test_run_keeps_discrepancies_and_repair_outcomes(session: Session) -> None:
    now = datetime(2026, 3, 2, tzinfo=UTC)
    run_id = start_run(
        session, account=ACCOUNT, platform=CHANNEL, scope="orders", since=T0, repair=True, now=now
    )
    found = [
        Discrepancy(
            DiscrepancyClass.ORDER_MISSING_IN_HUB,
            {"order": "1"},
            None,
            "unshipped",
            "missing",
            Repair(RepairKind.BACKFILL_ORDER, True, {"external_id": "1"}),
        ),
        Discrepancy(
            DiscrepancyClass.TRACKING_MISMATCH,
            {"order": "2"},
            ("A", "B"),
            ("C",),
            "differs",
            Repair(RepairKind.REVIEW, False, {}),
        ),
    ]
    assert add_discrepancies(session, run_id, found, batch=1) == {
        "order_missing_in_hub": 1,
        "tracking_mismatch": 1,
    }
    pending = list_discrepancies(session, run_id, repair_status="pending")
    assert [d.subject for d in pending] == [{"order": "1"}]
    mark_repair(session, pending[0].id, status="failed", note="channel said 404", now=now)
    finish_run(session, run_id, counts={"x": 1}, now=now)
    session.commit()
    stored = list_discrepancies(session, run_id)
    assert [(d.repair_status, d.repair_note) for d in stored] == [
        ("failed", "channel said 404"),
        ("proposed", None),
    ]
    assert stored[1].hub_value == ["A", "B"] and stored[1].to_json()["class"] == "tracking_mismatch"
    assert get_run(session, run_id).status == "finished"
