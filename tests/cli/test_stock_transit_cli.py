"""``channelhub stock transit add|list|receive``: goods on their way, which replenishment
counts as in flight; both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from channelhub.store.tables.stock import StockInTransitRow
from tests.cli.hub import Hub


@pytest.fixture
def hub(ready_hub: Hub, tmp_path: Path) -> Hub:
    products = tmp_path / "products.csv"
    products.write_text("code,title\nMUG,Mug\n")
    assert ready_hub("products", "import", str(products))[0] == 0
    assert ready_hub("warehouses", "add", "US-EAST", "--country", "US")[0] == 0
    return ready_hub


def test_a_shipment_is_in_flight_until_received(hub: Hub) -> None:
    code, out, err = hub(
        "stock", "transit", "add", "PO-7", "US-EAST", "MUG", "120",
        "--shipped", "2026-11-20", "--expected", "2026-12-24", "--mode", "sea",
    )  # fmt: skip
    assert (code, err) == (0, ""), err
    assert out == "PO-7: 120 x MUG on their way to US-EAST\n"
    assert hub("stock", "transit", "add", "PO-7", "US-EAST", "MUG", "120")[1] == (
        "PO-7 is already recorded: nothing added\n"
    )
    code, out, _ = hub("stock", "transit", "list")
    line = next(line for line in out.splitlines() if "PO-7" in line)
    assert "US-EAST" in line and "120" in line and "sea" in line and "2026-12-24" in line

    code, out, _ = hub("stock", "transit", "receive", "PO-7")
    assert (code, out) == (0, "PO-7: received (no longer in flight)\n")
    assert hub("stock", "transit", "list")[1] == "nothing on its way\n"
    assert "PO-7" in hub("stock", "transit", "list", "--all")[1]
    with hub.session() as session:
        (row,) = session.scalars(select(StockInTransitRow)).all()
        assert row.received_at is not None and row.quantity == 120


def test_mistakes_are_one_line(hub: Hub) -> None:
    code, _, err = hub("stock", "transit", "add", "PO-8", "NOWHERE", "MUG", "5")
    assert code != 0 and err.count("\n") == 1 and "NOWHERE" in err
    code, _, err = hub("stock", "transit", "receive", "PO-404")
    assert code != 0 and err.count("\n") == 1 and "PO-404" in err
    code, _, err = hub(
        "stock", "transit", "add", "PO-9", "US-EAST", "MUG", "5", "--shipped", "0001-01-01"
    )
    assert code != 0 and "Traceback" not in err
