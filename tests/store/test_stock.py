"""The stock ledger: balances summed in SQL agree with the core fold; re-imports add nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from channelhub.core.errors import InvalidInput
from channelhub.core.models import MovementKind, StockMovement, Warehouse
from channelhub.core.stock import balances
from channelhub.store.repos.stock import (
    movements,
    record_movement,
    stock_balances,
    upsert_warehouse,
)

T0 = datetime(2026, 3, 1, tzinfo=UTC)
K = MovementKind


def move(
    kind: MovementKind, qty: int, sku: str = "MUG", wh: str = "DE-1", n: int = 0
) -> StockMovement:
    return StockMovement(
        warehouse=wh,
        sku=sku,
        kind=kind,
        quantity=qty,
        reason=kind.value,
        at=T0 + timedelta(minutes=n),
    )


LEDGER = [
    move(K.RECEIVE, 100, n=0),
    move(K.RESERVE, 10, n=1),
    move(K.RELEASE, 3, n=2),
    move(K.CONSUME, 5, n=3),
    move(K.ADJUST, -4, n=4),
    move(K.RECEIVE, 20, sku="KIT", n=5),
    move(K.ASSEMBLE, -6, n=6),
    move(K.ASSEMBLE, 3, sku="KIT", n=6),
    move(K.DISASSEMBLE, -1, sku="KIT", n=7),
    move(K.RECEIVE, 7, wh="US-1", n=8),
]


def test_sql_balances_match_core(session: Session) -> None:
    for code, country in (("DE-1", "DE"), ("US-1", "US")):
        upsert_warehouse(session, Warehouse(code=code, country=country), now=T0)
    for n, movement in enumerate(LEDGER):
        assert record_movement(session, movement, now=T0, dedupe_key=f"m{n}")
    session.commit()
    assert stock_balances(session) == balances(LEDGER)
    only = stock_balances(session, warehouse="DE-1", skus=["MUG"])
    assert list(only) == [("DE-1", "MUG")]
    assert (only["DE-1", "MUG"].on_hand, only["DE-1", "MUG"].reserved) == (85, 2)
    assert movements(session, warehouse="DE-1", sku="MUG")[0] == LEDGER[0]


def test_replayed_movement_is_recorded_once(session: Session) -> None:
    upsert_warehouse(session, Warehouse(code="DE-1", country="DE"), now=T0)
    assert record_movement(session, move(K.RECEIVE, 5), now=T0, dedupe_key="asn-1")
    assert not record_movement(session, move(K.RECEIVE, 5), now=T0, dedupe_key="asn-1")
    assert record_movement(session, move(K.ADJUST, 1), now=T0)  # no key: always appended
    assert record_movement(session, move(K.ADJUST, 1), now=T0)
    assert stock_balances(session)["DE-1", "MUG"].on_hand == 7


def test_unknown_warehouse_is_refused(session: Session) -> None:
    with pytest.raises(InvalidInput, match="warehouse: 'XX-9' is not a known warehouse"):
        record_movement(session, move(K.RECEIVE, 1, wh="XX-9"), now=T0)
