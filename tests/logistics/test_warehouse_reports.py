"""Stock snapshots become ledger adjustments that say what they explain."""

from __future__ import annotations

from datetime import UTC, datetime

from channelhub.core.stock import Balance, MovementKind
from channelhub.core.warehouse_reports import StockLevel, StockSnapshot, snapshot_adjustments

NOW = datetime(2026, 1, 15, tzinfo=UTC)


def test_adjustments_only_for_differences() -> None:
    snapshot = StockSnapshot(
        warehouse="w",
        snapshot_id="s1",
        taken_at=NOW,
        complete=True,
        levels=(
            StockLevel(sku="A", on_hand=7),
            StockLevel(sku="B", on_hand=3),
            StockLevel(sku="N", on_hand=2),
        ),
    )
    ledger = {
        "A": Balance(warehouse="w", sku="A", on_hand=10, reserved=1),
        "B": Balance(warehouse="w", sku="B", on_hand=3),
        "GONE": Balance(warehouse="w", sku="GONE", on_hand=4),
    }
    moves = {m.sku: m for m in snapshot_adjustments(snapshot, ledger)}
    assert set(moves) == {"A", "GONE", "N"}
    assert moves["A"].quantity == -3 and moves["A"].kind is MovementKind.ADJUST
    assert "count 7 vs ledger 10" in moves["A"].reason
    assert moves["GONE"].quantity == -4
    assert moves["N"].quantity == 2
    assert moves["A"].reference == "snapshot:w:s1"


def test_partial_snapshot_says_nothing_about_absent_skus() -> None:
    snapshot = StockSnapshot(
        warehouse="w", snapshot_id="s2", taken_at=NOW, levels=(StockLevel(sku="A", on_hand=10),)
    )
    ledger = {
        "A": Balance(warehouse="w", sku="A", on_hand=10),
        "B": Balance(warehouse="w", sku="B", on_hand=4),
    }
    assert snapshot_adjustments(snapshot, ledger) == []
