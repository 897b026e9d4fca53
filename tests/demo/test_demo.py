"""``channelhub demo`` in process at a small size: every stage whose components are in this
build happened, and the numbers add up (one warehouse order per part, one channel fulfilment
per package, the injected discrepancy repaired). No timing assertions."""

from __future__ import annotations

from pathlib import Path

import pytest

from channelhub.core.errors import ConfigError
from channelhub.demo.home import prepare_home
from channelhub.demo.runner import run_demo
from channelhub.demo.scenario import BANNED_COUNTRY, UNPAIRED_LISTING, build_scenario
from channelhub.demo.summary import DemoSummary

SIZE = 2


@pytest.fixture(scope="module")
def summary(tmp_path_factory: pytest.TempPathFactory) -> DemoSummary:
    import asyncio

    home = tmp_path_factory.mktemp("demo") / "home"
    return asyncio.run(run_demo(home, size=SIZE))


def done(summary: DemoSummary, stage: str) -> bool:
    outcome = summary.stages.get(stage, "missing")
    assert not outcome.startswith("failed"), f"{stage}: {outcome}"
    return outcome == "done"


def test_no_stage_failed(summary: DemoSummary) -> None:
    assert summary.stages["setup"] == "done"
    assert summary.failed() == []


def test_import_pairing_holds_allocation(summary: DemoSummary) -> None:
    if not done(summary, "import orders and listings"):
        pytest.skip(summary.stages["import orders and listings"])
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
    if not done(summary, "dispatch to the warehouses"):
        pytest.skip(summary.stages.get("dispatch to the warehouses", "missing"))
    assert summary.dispatched == summary.parts
    assert summary.warehouse_orders == summary.parts  # exactly one warehouse order per part
    assert done(summary, "warehouses ship and call back")
    assert summary.shipments == summary.parts
    assert summary.packages >= summary.shipments


def test_tracking_one_fulfilment_per_package(summary: DemoSummary) -> None:
    if not done(summary, "tracking to the channels"):
        pytest.skip(summary.stages.get("tracking to the channels", "missing"))
    # every package is pushed or listed with the channel's reason; none is pushed twice
    assert summary.tracking_pushed + len(summary.tracking_failures) == summary.packages
    assert summary.tracking_pushed > 0
    assert summary.channel_fulfilments == summary.tracking_pushed


def test_carrier_delivers(summary: DemoSummary) -> None:
    if not done(summary, "carrier events"):
        pytest.skip(summary.stages.get("carrier events", "missing"))
    assert summary.delivered == summary.allocated


def test_stock_pushed(summary: DemoSummary) -> None:
    if not done(summary, "stock push"):
        pytest.skip(summary.stages.get("stock push", "missing"))
    assert summary.stock_pushed > 0


def test_discrepancy_found_and_repaired(summary: DemoSummary) -> None:
    if not done(summary, "reconciliation"):
        pytest.skip(summary.stages.get("reconciliation", "missing"))
    assert summary.discrepancies_found >= 1
    assert summary.discrepancies_repaired >= 1
    assert summary.missed_order_backfilled


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
