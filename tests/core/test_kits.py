"""Kit assembly and disassembly: components become kits and back, never beyond stock."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from channelhub.core.errors import InvalidInput
from channelhub.core.kits import assemble, disassemble
from channelhub.core.models import MovementKind, StockMovement
from channelhub.core.stock import balances
from tests.core.orderflow_data import NOW, library


def receive(sku: str, qty: int) -> StockMovement:
    return StockMovement(
        warehouse="W", sku=sku, kind=MovementKind.RECEIVE, quantity=qty, reason="count", at=NOW
    )


def test_assemble_then_disassemble_round_trips() -> None:
    ledger = [receive("MUG", 5), receive("LID", 3)]
    built = assemble(
        library(), "GIFT", 2, warehouse="W", balances=balances(ledger), at=NOW, reference="wo-1"
    )
    ledger += built
    after = {k[1]: b.on_hand for k, b in balances(ledger).items()}
    assert after == {"MUG": 3, "LID": 1, "GIFT": 2}
    ledger += disassemble(
        library(), "GIFT", 2, warehouse="W", balances=balances(ledger), at=NOW, reference="wo-2"
    )
    assert {k[1]: b.on_hand for k, b in balances(ledger).items()} == {"MUG": 5, "LID": 3, "GIFT": 0}


def test_refusals_name_what_is_short() -> None:
    ledger = [receive("MUG", 5), receive("LID", 1)]
    with pytest.raises(InvalidInput, match="W LID: 1 available; 2 needed for 2 x GIFT"):
        assemble(
            library(), "GIFT", 2, warehouse="W", balances=balances(ledger), at=NOW, reference="wo"
        )
    with pytest.raises(InvalidInput, match="is not a kit"):
        assemble(
            library(), "SET", 1, warehouse="W", balances=balances(ledger), at=NOW, reference="wo"
        )
    with pytest.raises(InvalidInput, match="W GIFT: 0 available; 1 to break"):
        disassemble(
            library(), "GIFT", 1, warehouse="W", balances=balances(ledger), at=NOW, reference="wo"
        )


@given(mug=st.integers(0, 20), lid=st.integers(0, 20), want=st.integers(1, 25))
def test_assembly_never_drives_stock_negative(mug: int, lid: int, want: int) -> None:
    ledger = [receive(s, q) for s, q in (("MUG", mug), ("LID", lid)) if q]
    try:
        ledger += assemble(
            library(),
            "GIFT",
            want,
            warehouse="W",
            balances=balances(ledger),
            at=NOW,
            reference="wo",
        )
    except InvalidInput:
        assert want > min(mug, lid)
        return
    assert want <= min(mug, lid)
    assert all(b.on_hand >= 0 for b in balances(ledger).values())
