"""``channelhub orders ...`` end to end on SQLite and PostgreSQL: every action explains itself."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from channelhub.core.fulfilment import (
    OutboundOrder,
    Package,
    Shipment,
    TrackingEvent,
    TrackingStatus,
)
from channelhub.core.models import HubStatus
from channelhub.store.repos.fulfilment import (
    record_shipment,
    record_tracking_events,
    save_outbound,
)
from channelhub.store.repos.orders import get_order, get_order_row, transition_order
from channelhub.store.repos.stock import stock_balances
from channelhub.store.tables.outbox import OutboxMessage
from tests.cli.hub import Hub
from tests.core.orderflow_data import order
from tests.jobs.test_pipeline import add, seed

RULES = """
[[review.rules]]
name = "cod"
kind = "cash_on_delivery"

[merge]
enabled = true
"""


def prepare(hub: Hub, tmp_path: Path, **stock: int) -> Path:
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES)
    with hub.session() as s:
        seed(s, **stock)
    return rules


def test_hold_by_rule_show_approve_and_cancel(ready_hub: Hub, tmp_path: Path) -> None:
    hub = ready_hub
    rules = prepare(hub, tmp_path, E_MUG=5)
    cod = order(external_id="1", payment={"method": "cash_on_delivery", "paid": False})
    with hub.session() as s:
        add(s, cod)
    code, out, err = hub("orders", "release", "shopify:shop1:1", "--rules", str(rules))
    assert code == 1 and "is new, not on hold" in err
    # the rule holds it: release puts it through the pipeline, which holds it again
    with hub.session() as s:
        row = get_order_row(s, cod.key)
        transition_order(s, row.id, HubStatus.ON_HOLD, reason="imported on hold", at=cod.placed_at)
        s.commit()
    code, out, err = hub("orders", "release", "shopify:shop1:1", "--rules", str(rules))
    assert code == 0, err
    assert "now on_hold: hold: cod: " in out
    code, out, _ = hub(
        "orders", "approve", "shopify:shop1:1", "--rules", str(rules), "--actor", "ann"
    )
    assert code == 0 and "approved by ann; now allocated" in out
    code, out, _ = hub("orders", "show", "shopify:shop1:1")
    assert code == 0
    assert "order shopify:shop1:1" in out and "payment cash_on_delivery (unpaid)" in out
    assert "  L1  MUG  x1" in out
    assert "review: hold: cod:" in out  # the hold reason
    assert "manual_approval: approved by ann: review rules skipped  [ann]" in out
    assert "allocation: part 1 E: every line in stock" in out
    assert "on_hold -> approved" in out and "approved -> allocated" in out
    assert "shopify:shop1:1#p1r1  create -> warehouse:E  pending" in out
    code, out, _ = hub("orders", "cancel", "shopify:shop1:1", "--reason", "buyer asked")
    assert code == 0 and "released 1 unit(s)" in out
    code, out, _ = hub("orders", "show", "shopify:shop1:1")
    assert "#p1r1#cancel  cancel -> warehouse:E" in out
    assert "allocated -> cancelled: cancelled by" in out
    code, _, err = hub("orders", "approve", "shopify:shop1:1")
    assert code == 1 and "not on hold" in err
    code, _, err = hub("orders", "show", "shopify:shop1")
    assert code == 1 and "is not CHANNEL:ACCOUNT:ORDER_ID" in err
    code, _, err = hub("orders", "show", "shopify:shop1:404")
    assert code == 1 and "not in the hub" in err


def test_list_and_hold_release(ready_hub: Hub, tmp_path: Path) -> None:
    hub = ready_hub
    rules = prepare(hub, tmp_path, E_MUG=5)
    with hub.session() as s:
        add(s, order(external_id="2"))
        add(s, order(external_id="3"))
    code, out, _ = hub("orders", "list", "--status", "new")
    assert code == 0 and "shopify:shop1:2" in out and "2 order(s)" in out
    code, out, _ = hub("orders", "hold", "shopify:shop1:2", "--reason", "check address")
    assert code == 0 and "on hold" in out
    code, out, _ = hub("orders", "release", "shopify:shop1:2", "--rules", str(rules))
    assert code == 0 and "now allocated" in out
    code, out, _ = hub("orders", "list", "--status", "allocated")
    assert "shopify:shop1:2" in out and "1 order(s)" in out


def test_intercept_before_and_after_dispatch_and_tracking(ready_hub: Hub, tmp_path: Path) -> None:
    hub = ready_hub
    rules = prepare(hub, tmp_path, E_MUG=5)
    with hub.session() as s:
        add(s, order(external_id="4"))
        add(s, order(external_id="5"))
    for n in ("4", "5"):
        hub("orders", "hold", f"shopify:shop1:{n}", "--reason", "x")
        assert hub("orders", "release", f"shopify:shop1:{n}", "--rules", str(rules))[0] == 0
    code, out, _ = hub("orders", "intercept", "shopify:shop1:4", "--reason", "ban")
    assert code == 0 and "stopped before dispatch, now on_hold; released 1 unit(s)" in out
    at = datetime(2026, 3, 2, tzinfo=UTC)
    with hub.session() as s:
        row = get_order_row(s, get_order(s, order(external_id="5").key).key)
        transition_order(s, row.id, HubStatus.DISPATCHED, reason="sent", at=at)
        create = s.scalars(
            select(OutboxMessage).where(OutboxMessage.idempotency_key == "shopify:shop1:5#p1r1")
        ).one()
        save_outbound(s, OutboundOrder.model_validate(create.payload, strict=False), now=at)
        record_shipment(
            s,
            Shipment(
                warehouse="E",
                shipment_id="S1",
                outbound_key="shopify:shop1:5#p1r1",
                shipped_at=at,
                packages=(Package(tracking_number="1Z9", carrier="ups"),),
            ),
            now=at,
        )
        events = [
            TrackingEvent(
                tracking_number="1Z9",
                carrier="ups",
                status=status,
                raw_code=code,
                description=text,
                occurred_at=at.replace(hour=hour),
            )
            for status, code, text, hour in (
                (TrackingStatus.IN_TRANSIT, "I", "Departed facility", 3),
                (TrackingStatus.IN_TRANSIT, "I2", "Departed facility", 4),
                (TrackingStatus.DELIVERED, "D", "Delivered", 9),
            )
        ]
        record_tracking_events(s, events, now=at)
        s.commit()
    code, out, err = hub(
        "orders", "intercept", "shopify:shop1:5", "--reason", "wrong size", "--then", "cancelled"
    )
    assert code == 0, err
    assert "asked the warehouse to cancel 1 order(s)" in out
    with hub.session() as s:
        cancel = s.scalars(
            select(OutboxMessage).where(
                OutboxMessage.idempotency_key == "shopify:shop1:5#p1r1#cancel"
            )
        ).one()
        assert cancel.payload["then"] == "cancelled"
        assert cancel.kind == "outbound_order.cancel"
        cancel.payload = {**cancel.payload, "answer": {"state": "cancel_too_late"}}
        s.commit()
    code, out, _ = hub("orders", "show", "shopify:shop1:5")
    assert "intercept: intercept requested (intercepted by" in out
    assert "answer: state=cancel_too_late" in out
    assert "tracking 1Z9 (ups):" in out
    assert out.count("Departed facility") == 1 and "delivered  Delivered" in out


def test_split_and_merge_with_unmerge(ready_hub: Hub, tmp_path: Path) -> None:
    hub = ready_hub
    rules = prepare(hub, tmp_path, E_MUG=10, E_SPOON=10)
    two_lines = [
        {"line_id": "1", "channel_sku": "MUG", "quantity": 3},
        {"line_id": "2", "channel_sku": "SPOON", "quantity": 1},
    ]
    with hub.session() as s:
        add(s, order(external_id="6", lines=two_lines))
        add(s, order(external_id="7"))
        add(s, order(external_id="8"))
    code, out, err = hub(
        "orders", "split", "shopify:shop1:6", "--lines", "1:2", "--lines", "1:1,2:1",
        "--rules", str(rules),
    )  # fmt: skip
    assert code == 0, err
    assert "split into shopify:shop1:6-S1, shopify:shop1:6-S2" in out
    with hub.session() as s:
        assert stock_balances(s)[("E", "MUG")].reserved == 3
        assert get_order(s, order(external_id="6-S2").key).hub_status is HubStatus.ALLOCATED
    code, out, _ = hub("orders", "show", "shopify:shop1:6")
    assert "split_into: split into 2 orders (6-S1, 6-S2)" in out
    code, out, _ = hub("orders", "show", "shopify:shop1:6-S2")
    assert "split: part 2 of 2 of order shopify:shop1:6: 1 x1, 2 x1" in out
    assert "parent    6" in out
    code, _, err = hub("orders", "release", "shopify:shop1:6")
    assert code == 1 and "split into 2 orders" in err
    code, _, err = hub("orders", "split", "shopify:shop1:7", "--lines", "L1:2")
    assert code == 1 and "at least two" in err

    code, out, err = hub(
        "orders", "merge", "shopify:shop1:7", "shopify:shop1:8", "--rules", str(rules)
    )
    assert code == 0, err
    assert "into shopify:shop1:M-7+8" in out
    code, out, _ = hub("orders", "show", "shopify:shop1:M-7+8")
    assert "merge: merge of shopify:shop1:7, shopify:shop1:8" in out
    assert "7/L1  MUG  x1" in out and "new -> approved" in out
    code, out, _ = hub("orders", "show", "shopify:shop1:7")
    assert "merged_into: merged into shopify:shop1:M-7+8" in out
    code, out, err = hub("orders", "unmerge", "shopify:shop1:M-7+8", "--rules", str(rules))
    assert code == 0, err
    with hub.session() as s:
        assert get_order(s, order(external_id="M-7+8").key).hub_status is HubStatus.CANCELLED
        assert get_order(s, order(external_id="7").key).hub_status is HubStatus.ALLOCATED
        assert stock_balances(s)[("E", "MUG")].reserved == 5
    code, _, err = hub("orders", "unmerge", "shopify:shop1:7")
    assert code == 1 and "is not a merged order" in err
    # merging again works, under a fresh id
    hub("orders", "merge", "shopify:shop1:7", "shopify:shop1:8", "--rules", str(rules))
    code, out, _ = hub("orders", "show", "shopify:shop1:M-7+8~2")
    assert code == 0 and "merge of" in out


def test_money_is_shown_in_the_currencys_minor_units_on_both_databases(ready_hub: Hub) -> None:
    """PostgreSQL's NUMERIC(20, 6) returns 238.980000; the CLI shows 238.98 on both."""
    hub = ready_hub
    lines = [
        {
            "line_id": "L1",
            "channel_sku": "MUG",
            "quantity": 2,
            "unit_price": {"amount": "0.0125", "currency": "USD"},
        }
    ]
    with hub.session() as s:
        add(s, order(external_id="1", totals={"total": {"amount": "238.98", "currency": "USD"}}))
        add(s, order(external_id="2", totals={"total": {"amount": "1500", "currency": "JPY"}}))
        add(
            s,
            order(
                external_id="3",
                totals={"total": {"amount": "12.5", "currency": "USD"}},
                lines=lines,
            ),
        )
    code, out, err = hub("orders", "list")
    assert code == 0, err
    assert "  238.98 USD  1 line(s)" in out
    assert "  1500 JPY  1 line(s)" in out
    assert "  12.50 USD  1 line(s)" in out
    code, out, _ = hub("orders", "show", "shopify:shop1:3")
    assert "total 12.50 USD" in out
    assert "@ 0.0125 USD" in out  # a sub-cent unit price keeps its digits


def test_list_pages_after_the_last_order_printed(ready_hub: Hub, tmp_path: Path) -> None:
    """Keyset pages: the hint names the last order shown; ties on placed_at split by id."""
    hub = ready_hub
    prepare(hub, tmp_path, E_MUG=5)
    with hub.session() as s:
        for n in ("4", "5", "6"):  # placed at the same instant
            add(s, order(external_id=n))
    code, out, _ = hub("orders", "list", "--limit", "2")
    first = [line.split()[0] for line in out.splitlines()[:-1]]
    assert code == 0 and first == ["shopify:shop1:6", "shopify:shop1:5"]
    hint = out.splitlines()[-1]
    assert hint == "2 order(s); next page: channelhub orders list --limit 2 --after shopify:shop1:5"
    code, out, _ = hub(*hint.split("channelhub ")[1].split())
    assert code == 0 and out.splitlines() == [out.splitlines()[0], "1 order(s)"]
    assert out.startswith("shopify:shop1:4 ")
    code, _, err = hub("orders", "list", "--after", "shopify:shop1:404")
    assert code == 1 and "no order shopify:shop1:404" in err
