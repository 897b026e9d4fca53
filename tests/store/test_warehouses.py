"""The warehouses repo and the ledger's set-to-count: SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from channelhub.core.errors import InvalidInput, NotFound
from channelhub.core.fulfilment import OutboundState
from channelhub.core.models import MovementKind, StockMovement, Warehouse
from channelhub.store.repos.outbox import enqueue
from channelhub.store.repos.stock import mark_stock_known, movements, record_movement, set_on_hand
from channelhub.store.repos.warehouses import (
    add_warehouse,
    level_resolver,
    list_warehouses,
    remove_warehouse,
    unknown_stock_warehouses,
    warehouses_of_account,
)
from channelhub.store.tables.fulfilment import OutboundOrderRow

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _add(session: Session, code: str, **kw: str) -> None:
    add_warehouse(session, Warehouse(code=code, country="US", **kw), now=T0)


def test_set_on_hand_records_the_difference_and_nothing_when_already_there(
    session: Session,
) -> None:
    _add(session, "E")
    record_movement(
        session,
        StockMovement(
            warehouse="E", sku="MUG", kind=MovementKind.RESERVE, quantity=2, reason="o", at=T0
        ),
        now=T0,
    )
    assert set_on_hand(session, "E", "MUG", 5, reason="count", now=T0) == 5
    assert set_on_hand(session, "E", "MUG", 3, reason="recount", now=T0) == -2
    assert set_on_hand(session, "E", "MUG", 3, reason="again", now=T0) == 0
    assert [(m.kind, m.quantity, m.reason) for m in movements(session, warehouse="E", sku="MUG")][
        1:
    ] == [(MovementKind.ADJUST, 5, "count"), (MovementKind.ADJUST, -2, "recount")]
    with pytest.raises(InvalidInput, match="whole number >= 0"):
        set_on_hand(session, "E", "MUG", -1, reason="x", now=T0)


def test_stock_known_and_the_list(session: Session) -> None:
    _add(session, "E", account="wms", region="NJ")
    _add(session, "W")
    assert unknown_stock_warehouses(session) == {"E", "W"}
    set_on_hand(session, "E", "MUG", 4, reason="count", now=T0)
    set_on_hand(session, "E", "TEE", 2, reason="count", now=T0)
    set_on_hand(session, "E", "CAP", 1, reason="count", now=T0)
    set_on_hand(session, "E", "CAP", 0, reason="sold out", now=T0)
    mark_stock_known(session, "E", T0 + timedelta(hours=1))
    assert unknown_stock_warehouses(session) == {"W"}
    east, west = list_warehouses(session)
    assert (east.code, east.skus, east.on_hand, east.account, east.region) == (
        "E", 2, 6, "wms", "NJ"
    )  # fmt: skip
    assert east.stock_known_at is not None and east.stock_known_at.replace(tzinfo=UTC) == (
        T0 + timedelta(hours=1)
    )
    assert (west.skus, west.on_hand, west.stock_known_at) == (0, 0, None)
    assert [w.code for w in warehouses_of_account(session, "wms")] == ["E"]
    with pytest.raises(InvalidInput, match="not a known warehouse"):
        mark_stock_known(session, "NOPE", T0)
    with pytest.raises(InvalidInput, match="already registered"):
        _add(session, "E")


def test_remove_is_refused_while_anything_refers_to_the_warehouse(session: Session) -> None:
    _add(session, "E")
    _add(session, "W")
    session.add(
        OutboundOrderRow(
            idempotency_key="k#p1r1",
            order_key="k",
            part=1,
            revision=1,
            warehouse="W",
            state=OutboundState.ACCEPTED.value,
            document={},
            created_at=T0,
            updated_at=T0,
        )
    )
    enqueue(
        session,
        idempotency_key="k#p1r1",
        target="warehouse:W",
        kind="outbound.create",
        payload={},
        now=T0,
    )
    set_on_hand(session, "E", "MUG", 1, reason="count", now=T0)
    with pytest.raises(InvalidInput, match="1 stock movement"):
        remove_warehouse(session, "E")
    with pytest.raises(InvalidInput) as refused:
        remove_warehouse(session, "W")
    assert "1 open outbound order(s), 1 queued warehouse message(s) refer to it" in str(
        refused.value
    )
    with pytest.raises(NotFound, match="`channelhub warehouses add`"):
        remove_warehouse(session, "X")
    _add(session, "Z")
    remove_warehouse(session, "Z")
    assert [w.code for w in list_warehouses(session)] == ["E", "W"]


def test_levels_resolve_by_external_id_code_or_the_only_warehouse(session: Session) -> None:
    _add(session, "E", account="wms", external_id="fc-1")
    _add(session, "W", account="wms")
    resolve = level_resolver(warehouses_of_account(session, "wms"))
    assert (resolve("fc-1"), resolve("W"), resolve("E"), resolve("wms")) == ("E", "W", "E", None)
    only = level_resolver([w for w in warehouses_of_account(session, "wms") if w.code == "W"])
    assert only("wms") == "W"
    assert level_resolver([])("anything") is None
