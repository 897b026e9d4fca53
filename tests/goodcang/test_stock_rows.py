"""One Goodcang inventory page lists several warehouses; a row the hub cannot read is set aside
under the warehouse it names: the pull files it as a dead letter for that warehouse alone,
leaves that warehouse's unlisted SKUs as they were, and still sets a SKU another warehouse no
longer lists to 0. The next pull that reads the row resolves its letter."""

from __future__ import annotations

import json

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from channelhub.connectors.goodcang import PLUGIN
from channelhub.core.models import MovementKind, Sku, StockMovement, Warehouse
from channelhub.jobs.stock.pull import PullSummary, pull_stock
from channelhub.jobs.stock.warehouses import register_warehouse
from channelhub.simulators.goodcang import DEFAULT_CREDENTIALS
from channelhub.store.crypto import Vault, generate_key
from channelhub.store.db import make_session_factory
from channelhub.store.repos.accounts import add_account
from channelhub.store.repos.jobs import list_dead_letters
from channelhub.store.repos.payloads import get_raw_payload
from channelhub.store.repos.products import upsert_sku
from channelhub.store.repos.stock import record_movement, stock_balances
from tests.goodcang.harness import ACCOUNT, SETTINGS, START, Rig, make_rig

pytestmark = pytest.mark.anyio
DE, US = "GC-DE", "GC-US"  # Goodcang's DEWH and USEA (SETTINGS["warehouses"])


def _setup(engine: Engine) -> sessionmaker[Session]:
    factory = make_session_factory(engine)
    with factory.begin() as session:
        add_account(
            session, Vault(generate_key()), platform="goodcang", name=ACCOUNT,
            credentials={k: SecretStr(v) for k, v in DEFAULT_CREDENTIALS.items()},
            now=START, base_url="http://gc.sim", settings=SETTINGS,
        )  # fmt: skip
        for code, country in ((DE, "DE"), (US, "US")):
            register_warehouse(
                session,
                Warehouse(code=code, country=country, account=ACCOUNT),
                now=START,
                roles_of=lambda platform: PLUGIN.roles,
            )
        for sku in ("MUG-RED", "TEE-M", "CAP-X"):
            upsert_sku(session, Sku(code=sku), now=START)
        for warehouse in (DE, US):  # both ledgers hold CAP-X, which neither lists any more
            movement = StockMovement(
                warehouse=warehouse, sku="CAP-X", kind=MovementKind.RECEIVE, quantity=4,
                reason="opening", at=START,
            )  # fmt: skip
            record_movement(session, movement, now=START)
    return factory


async def _pull(factory: sessionmaker[Session], rig: Rig) -> PullSummary:
    gc = rig.connector()
    try:
        return await pull_stock(factory, gc, account=ACCOUNT, now=rig.clock())
    finally:
        await gc.aclose()


def _on_hand(factory: sessionmaker[Session]) -> dict[tuple[str, str], int]:
    with factory() as session:
        return {key: b.on_hand for key, b in stock_balances(session).items()}


async def test_a_bad_row_is_set_aside_for_the_warehouse_it_names(engine: Engine) -> None:
    stock = {("DEWH", "MUG-RED"): 40, ("DEWH", "TEE-M"): -3, ("USEA", "MUG-RED"): 10}
    rig = make_rig(stock=stock)
    factory = _setup(engine)

    pulled = await _pull(factory, rig)
    assert pulled.set_aside == 1 and pulled.partial == (DE,)
    assert _on_hand(factory) == {
        (DE, "MUG-RED"): 40,
        (DE, "CAP-X"): 4,  # DE had a row set aside: what it did not list is left alone
        (US, "MUG-RED"): 10,
        (US, "CAP-X"): 0,  # US read whole: a SKU it no longer lists is 0
    }
    with factory() as session:
        [letter] = list_dead_letters(session, account=ACCOUNT)
        assert letter.external_id == f"{DE}:TEE-M" and "data[1].sellable" in letter.reason
        assert letter.payload == {"mapping": {"warehouse": DE}}
        raw = get_raw_payload(session, letter.raw_payload_id or 0)
        assert raw is not None and json.loads(raw.body)["sellable"] == "-3"  # the row as sent

    rig.sim.state.sellable[("DEWH", "TEE-M")] = 6  # Goodcang's count reads again
    again = await _pull(factory, rig)
    assert not again.set_aside and not again.partial
    assert _on_hand(factory)[(DE, "TEE-M")] == 6 and _on_hand(factory)[(DE, "CAP-X")] == 0
    with factory() as session:
        assert list_dead_letters(session, account=ACCOUNT) == []
