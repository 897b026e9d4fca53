"""An FBA summary the hub cannot read, on a read of what changed (``STOCK_CHANGES``): it is set
aside as a dead letter and the other summaries are applied, as on a full read; the read's
cursor stays where the read started, so the next read lists that SKU again rather than skip
it until it changes at Amazon, and the read that finally reads it resolves its letter."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from channelhub.jobs.stock.pull import PullSummary, pull_stock
from channelhub.store.repos.jobs import list_dead_letters
from channelhub.store.repos.stock import stock_balances
from tests.amazon_mcf.harness import ACCOUNT, Rig, make_rig
from tests.amazon_mcf.test_flow import FBA, _setup

pytestmark = pytest.mark.anyio


async def _pull(factory: sessionmaker[Session], rig: Rig, cursor: str | None) -> PullSummary:
    rig.sim.advance(timedelta(minutes=15))
    mcf = rig.connector()
    try:
        return await pull_stock(factory, mcf, account=ACCOUNT, now=rig.clock(), cursor=cursor)
    finally:
        await mcf.aclose()


def _on_hand(factory: sessionmaker[Session]) -> dict[str, int]:
    with factory() as session:
        return {sku: b.on_hand for (_, sku), b in stock_balances(session, warehouse=FBA).items()}


def _letters(factory: sessionmaker[Session]) -> list[tuple[str | None, int]]:
    with factory() as session:
        return [(x.external_id, x.attempts) for x in list_dead_letters(session, account=ACCOUNT)]


async def test_a_summary_set_aside_is_listed_again_until_it_reads(engine: Engine) -> None:
    rig = make_rig()
    factory = _setup(engine, rig)
    first = await _pull(factory, rig, None)  # a full read: MUG-RED 120, MUG-BLUE 40, TEE-M 15
    assert first.cursor and not first.set_aside

    state = rig.sim.state
    state.set_stock("MUG-RED", 100)
    state.set_stock("TEE-M", 9)
    state.garbled["TEE-M"] = -3  # Amazon reports a count no one can read
    changed = await _pull(factory, rig, first.cursor)
    assert changed.changes_only and changed.set_aside == 1 and changed.partial == (FBA,)
    assert changed.cursor == first.cursor  # held back: the next read lists TEE-M again
    assert _on_hand(factory) == {"MUG-RED": 100, "MUG-BLUE": 40, "TEE-M": 15}
    assert _letters(factory) == [(f"{FBA}:TEE-M", 1)]

    again = await _pull(factory, rig, changed.cursor)  # still garbled: the same letter
    assert again.set_aside == 1 and again.cursor == first.cursor
    assert _letters(factory) == [(f"{FBA}:TEE-M", 2)]

    del state.garbled["TEE-M"]  # Amazon's count reads again
    fixed = await _pull(factory, rig, again.cursor)
    assert fixed.changes_only and not fixed.set_aside and fixed.cursor != first.cursor
    assert _on_hand(factory) == {"MUG-RED": 100, "MUG-BLUE": 40, "TEE-M": 9}
    assert _letters(factory) == []  # the read that listed TEE-M resolved its letter
