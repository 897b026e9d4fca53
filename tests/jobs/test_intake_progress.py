"""Shipping progress the channel reports back is not a change to the order: a re-import after
the hub's own tracking push (shipped quantities up) records no "modified" note, while a real
change (a quantity) still does."""

from __future__ import annotations

from datetime import timedelta

from channelhub.jobs.orders.intake import modification
from tests.core.orderflow_data import NOW, order

LINE = {"line_id": "L1", "channel_sku": "MUG", "quantity": 2}


def test_shipped_quantities_are_progress_not_a_modification() -> None:
    before = order(external_id="7", lines=[LINE])
    later = NOW + timedelta(hours=1)
    shipped = order(external_id="7", updated_at=later, lines=[{**LINE, "shipped_quantity": 2}])
    assert modification(before, shipped) == []
    changed = order(external_id="7", lines=[{**LINE, "quantity": 3, "shipped_quantity": 2}])
    assert modification(before, changed) == ["lines"]
