"""``channelhub demo`` at a small size in virtual time (``speed=0``: a connector's wait moves
the demo clock and returns at once, so nothing sleeps): every stage ran and the numbers add up
(one warehouse order per part, one channel fulfilment per package, both injected discrepancies
repaired). No timing assertions."""

from __future__ import annotations

from pathlib import Path

import pytest

from channelhub.core.errors import ConfigError
from channelhub.demo.home import prepare_home
from channelhub.demo.scenario import BANNED_COUNTRY, UNPAIRED_LISTING, build_scenario
from channelhub.demo.summary import DemoSummary
from tests.demo import SIZE


def done(summary: DemoSummary, stage: str) -> bool:
    outcome = summary.stages.get(stage, "missing")
    assert not outcome.startswith("failed"), f"{stage}: {outcome}"
    return outcome == "done"


def test_every_stage_done(summary: DemoSummary) -> None:
    assert summary.stages["setup"] == "done"
    assert summary.failed() == []
    assert set(summary.stages.values()) == {"done"}
    assert len(summary.stages) == 9  # setup + eight stages
    assert summary.reruns == {}  # no job run failed at this size


def test_import_pairing_holds_allocation(summary: DemoSummary) -> None:
    assert done(summary, "import orders and listings")
    scenario = build_scenario(SIZE)
    assert summary.imported == {"amazon": len(scenario.amazon), "shopify": len(scenario.shopify)}
    assert summary.listings["amazon"] > 0 and summary.listings["shopify"] > 0
    assert done(summary, "pair, review, allocate")
    assert summary.unpaired == [UNPAIRED_LISTING]
    assert summary.bound == {UNPAIRED_LISTING: "TEE-M"}
    assert summary.reevaluated == 1
    reasons = " ".join(summary.held.values()).lower()
    assert len(summary.held) == 2, summary.held
    assert "cash on delivery" in reasons or "cod" in reasons
    assert BANNED_COUNTRY.lower() in reasons or "ban" in reasons
    assert summary.allocated == scenario.total - 2
    assert summary.split >= 1 and summary.parts == summary.allocated + summary.split


def test_dispatch_once_per_part_and_shipping(summary: DemoSummary) -> None:
    assert done(summary, "dispatch to the warehouses")
    assert summary.dispatched == summary.parts
    assert summary.warehouse_orders == summary.parts  # exactly one warehouse order per part
    assert set(summary.per_warehouse) == {"US-EAST", "DE-CENTRAL"}
    assert all(n > 0 for n in summary.per_warehouse.values())  # both warehouses ship
    assert done(summary, "warehouses ship and call back")
    assert summary.shipments == summary.parts
    assert summary.packages >= summary.shipments


def test_tracking_one_fulfilment_per_package(summary: DemoSummary) -> None:
    assert done(summary, "tracking to the channels")
    # every package is pushed or listed with the channel's reason; none is pushed twice
    assert summary.tracking_pushed + len(summary.tracking_failures) == summary.packages
    assert summary.tracking_pushed > 0
    # fulfilments speak channel units: the 2-pack and the combo are pushed too
    assert summary.tracking_failures == {}
    assert summary.channel_fulfilments == summary.tracking_pushed


def test_carrier_delivers(summary: DemoSummary) -> None:
    assert done(summary, "carrier events")
    assert summary.delivered == summary.allocated  # orders, not packages


def test_stock_pushed(summary: DemoSummary) -> None:
    assert done(summary, "stock push")
    assert summary.stock_pushed > 0
    # a first (full) sweep: every paired listing of both channels got its quantity
    assert summary.stock_pushed == summary.stock_considered
    assert summary.stock_problems == {}


def test_discrepancy_found_and_repaired(summary: DemoSummary) -> None:
    assert done(summary, "reconciliation")
    assert summary.discrepancy_classes == {
        "order_missing_in_hub": 1,
        "quantity_edited_on_channel": 1,
    }
    assert summary.discrepancies_found == summary.discrepancies_repaired == 2
    assert summary.missed_order_backfilled
    assert summary.edited_quantity is not None
    assert summary.quantity_repushed == 1


def test_home_is_wiped_only_when_it_is_a_demo_home(tmp_path: Path) -> None:
    first = prepare_home(tmp_path / "demo")
    (first.home / "leftover").write_text("x")
    again = prepare_home(tmp_path / "demo")
    assert not (again.home / "leftover").exists()
    assert again.database_path.exists()
    foreign = tmp_path / "real-hub"
    foreign.mkdir()
    (foreign / "hub.db").write_text("precious")
    with pytest.raises(ConfigError, match="not a channelhub demo home"):
        prepare_home(foreign)
    assert (foreign / "hub.db").read_text() == "precious"
