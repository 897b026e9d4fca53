"""One unreadable stock row of a WINIT / 4PX inventory page is set aside, never the page: the
connector reports it as a failure with its raw row, the ``pull_stock`` job files it as a dead
letter and applies the other rows (leaving the SKU it may be about as it was), reconciliation
does not read it as a count of 0, and replaying the letter pulls again once the row reads."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from channelhub.core.models import MovementKind, StockMovement
from channelhub.jobs.engine.kinds import JobKind
from channelhub.jobs.engine.replay import ReplayFailed, replay_dead_letter
from channelhub.jobs.engine.runner import run_job
from channelhub.jobs.reconciliation.run import reconcile_warehouse
from channelhub.simulators import fourpx as fourpx_sim
from channelhub.simulators import winit as winit_sim
from channelhub.simulators.clock import ManualClock
from channelhub.store.repos.jobs import get_dead_letter, list_dead_letters
from channelhub.store.repos.payloads import get_raw_payload
from channelhub.store.repos.stock import record_movement, stock_balances
from tests.overseas.flow import START, Platform, connector, setup, sim_code
from tests.overseas.test_fourpx import FOURPX
from tests.overseas.test_winit import WINIT

pytestmark = pytest.mark.anyio

#: each platform with its simulator module and the field its bad row is refused on
CASES: dict[str, tuple[Platform, Any, str]] = {
    "winit": (WINIT, winit_sim, "data.list[1].inStockQty"),
    "fourpx": (FOURPX, fourpx_sim, "data.data[1].available_stock"),
}


def _sim(platform: Platform, module: Any, clock: ManualClock) -> Any:
    """A simulator whose US warehouse reports TEE-M at -3: a row no count can be read from."""
    us, de = sim_code(platform, platform.us), sim_code(platform, platform.de)
    stock = {us: {"MUG-RED": 50, "TEE-M": -3}, de: {"MUG-RED": 10, "TEE-M": 10}}
    return module.create_app(clock=clock, stock=stock)


@pytest.mark.parametrize("name", sorted(CASES))
async def test_a_bad_row_is_a_failure_of_its_page_and_the_other_rows_go_through(
    name: str,
) -> None:
    platform, module, field = CASES[name]
    clock = ManualClock(START)
    wms = connector(platform, _sim(platform, module, clock), clock)
    pages = [page async for page in wms.get_stock_levels()]
    await wms.aclose()
    levels = {(lv.warehouse, lv.sku): lv.on_hand for page in pages for lv in page.items}
    assert levels == {
        (platform.us, "MUG-RED"): 50,
        (platform.de, "MUG-RED"): 10,
        (platform.de, "TEE-M"): 10,
    }
    [failure] = [f for page in pages for f in page.failures]
    assert failure.raw.kind == "stock" and failure.raw.external_id == f"{platform.us}:TEE-M"
    assert field in failure.reason and "-3" in failure.reason
    row = json.loads(failure.raw.body)
    assert row[module.wire.STOCK_SKU] == "TEE-M"  # the row exactly as the warehouse sent it
    assert failure.context == {"warehouse": platform.us}
    assert pages[-1].done and not pages[0].done


def _receive(factory: sessionmaker[Session], warehouse: str, sku: str, qty: int) -> None:
    with factory.begin() as session:
        movement = StockMovement(
            warehouse=warehouse,
            sku=sku,
            kind=MovementKind.RECEIVE,
            quantity=qty,
            reason="opening",
            at=START,
        )
        record_movement(session, movement, now=START)


def _on_hand(factory: sessionmaker[Session]) -> dict[tuple[str, str], int]:
    with factory() as session:
        return {key: b.on_hand for key, b in stock_balances(session).items()}


@pytest.mark.parametrize("name", sorted(CASES))
async def test_the_pull_dead_letters_the_bad_row_and_a_replay_resolves_it_once_it_reads(
    engine: Engine, name: str
) -> None:
    platform, module, field = CASES[name]
    clock = ManualClock(START)
    sim = _sim(platform, module, clock)
    factory = setup(engine, platform, clock())
    _receive(factory, platform.us, "TEE-M", 7)  # the ledger's count of the unreadable row
    connectors: Callable[[Any], Any] = lambda row: connector(platform, sim, clock)  # noqa: E731

    result = await run_job(
        factory, "wms", JobKind.PULL_STOCK, connector_factory=connectors, now=clock
    )
    assert result.outcome == "ok", result.error
    assert result.counts.failed == 1 and "1 record(s) set aside" in (result.note or "")
    assert _on_hand(factory) == {
        (platform.us, "MUG-RED"): 50,
        (platform.us, "TEE-M"): 7,  # left as it was: not set to 0 for a row that did not read
        (platform.de, "MUG-RED"): 10,
        (platform.de, "TEE-M"): 10,
    }
    with factory() as session:
        [letter] = list_dead_letters(session, account="wms")
        assert (letter.subject, letter.job_kind, letter.run_id) == (
            "stock",
            "pull_stock",
            result.run_id,
        )
        assert letter.external_id == f"{platform.us}:TEE-M" and field in letter.reason
        assert letter.payload == {"mapping": {"warehouse": platform.us}}
        raw = get_raw_payload(session, letter.raw_payload_id or 0)
        assert raw is not None and json.loads(raw.body)[module.wire.STOCK_SKU] == "TEE-M"
    letter_id = letter.id

    report = await reconcile_warehouse(factory, connector(platform, sim, clock), now=clock())
    assert report.discrepancies == []  # TEE-M's 7 is not compared with a count of 0
    assert report.counts["unreadable_levels"] == [f"{platform.us}:TEE-M: {letter.reason}"]

    with pytest.raises(ReplayFailed, match="could not read"):  # still -3: stays open
        await replay_dead_letter(factory, letter_id, connector_factory=connectors, now=clock)
    with factory() as session:
        again = get_dead_letter(session, letter_id)
        assert (again.state, again.attempts) == ("open", 2)

    sim.state.stock[sim_code(platform, platform.us)]["TEE-M"] = 5  # the warehouse fixed it
    said = await replay_dead_letter(factory, letter_id, connector_factory=connectors, now=clock)
    assert "now reads" in said
    with factory() as session:
        assert get_dead_letter(session, letter_id).state == "resolved"
        assert list_dead_letters(session, account="wms") == []
    assert _on_hand(factory)[(platform.us, "TEE-M")] == 5
