"""The ``pull_stock`` job through ``run_job`` against the ShipBob and reference-warehouse
simulators in process: the ledger follows the WMS, a second pull records nothing, units in
flight are not counted twice. Both databases."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.registry import ConnectorRegistry
from channelhub.core.fulfilment import OutboundState
from channelhub.core.models import MovementKind, StockMovement, Warehouse
from channelhub.jobs.engine.kinds import JobKind
from channelhub.jobs.engine.runner import run_job
from channelhub.simulators import shipbob as shipbob_sim
from channelhub.simulators import warehouse as reference_sim
from channelhub.store.crypto import Vault
from channelhub.store.repos.accounts import add_account
from channelhub.store.repos.stock import (
    movements,
    record_movement,
    stock_balances,
    upsert_warehouse,
)
from channelhub.store.tables.fulfilment import OutboundLineRow, OutboundOrderRow
from channelhub.store.tables.stock import WarehouseRow
from tests.jobs.conftest import Clock

pytestmark = pytest.mark.anyio

PLATFORMS: dict[str, dict[str, Any]] = {
    "shipbob": {
        "app": lambda stock, clock: shipbob_sim.create_app(inventory=stock, clock=clock),
        "credentials": {"pat": "pat_sim"},
        "settings": {"channel_id": 1},
    },
    "outbound_protocol": {
        "app": lambda stock, clock: reference_sim.create_app(
            secret="whsec_t", stock=stock, clock=clock
        ),
        "credentials": {"secret": "whsec_t"},
        "settings": {},
    },
}


def _setup(
    factory: sessionmaker[Session], vault: Vault, clock: Clock, platform: str, stock: dict[str, int]
) -> Any:
    spec = PLATFORMS[platform]
    transport = httpx.ASGITransport(app=spec["app"](stock, clock))
    with factory.begin() as session:
        add_account(
            session,
            vault,
            platform=platform,
            name="wms",
            credentials={k: SecretStr(v) for k, v in spec["credentials"].items()},
            now=clock(),
            base_url="http://wms.test",
            settings=spec["settings"],
        )
        upsert_warehouse(
            session, Warehouse(code="US-EAST", country="US", account="wms"), now=clock()
        )

    def connector_factory(account: Any) -> Any:
        context = ConnectorContext(
            platform=account.platform,
            account=account.name,
            base_url=account.base_url,
            credentials={k: SecretStr(v) for k, v in spec["credentials"].items()},
            settings=dict(account.settings or {}),
            transport=transport,
            now=clock,
        )
        return ConnectorRegistry().create(context)

    return connector_factory


def _receive(session: Session, sku: str, qty: int, clock: Clock) -> None:
    movement = StockMovement(
        warehouse="US-EAST",
        sku=sku,
        kind=MovementKind.RECEIVE,
        quantity=qty,
        reason="opening",
        at=clock(),
    )
    record_movement(session, movement, now=clock())


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
async def test_pull_sets_the_ledger_to_the_wms_and_is_idempotent(
    session_factory: sessionmaker[Session], vault: Vault, clock: Clock, platform: str
) -> None:
    connectors = _setup(session_factory, vault, clock, platform, {"MUG": 7, "TEE": 3})
    with session_factory.begin() as session:
        _receive(session, "MUG", 10, clock)
        _receive(session, "CAP", 4, clock)  # the WMS no longer lists it: it has none

    result = await run_job(
        session_factory, "wms", JobKind.PULL_STOCK, connector_factory=connectors, now=clock
    )
    assert result.outcome == "ok", result.error
    assert (result.counts.updated, result.counts.unchanged) == (3, 0)
    with session_factory() as session:
        on_hand = {sku: b.on_hand for (_, sku), b in stock_balances(session).items()}
        assert on_hand == {"MUG": 7, "TEE": 3, "CAP": 0}
        pulled = movements(session, warehouse="US-EAST", sku="MUG")[-1]
        assert (pulled.kind, pulled.quantity, pulled.reason) == (
            MovementKind.ADJUST,
            -3,
            "pulled from wms",
        )
        known = session.scalars(select(WarehouseRow.stock_known_at)).one()
        assert known is not None

    clock.advance(minutes=15)
    again = await run_job(
        session_factory, "wms", JobKind.PULL_STOCK, connector_factory=connectors, now=clock
    )
    assert (again.counts.updated, again.counts.unchanged) == (0, 1)
    with session_factory() as session:
        assert len(movements(session, warehouse="US-EAST", sku="MUG")) == 2


async def test_units_in_flight_are_not_counted_twice(
    session_factory: sessionmaker[Session], vault: Vault, clock: Clock
) -> None:
    """The WMS shipped 2 of an accepted outbound order the hub has not heard of yet: its count
    is 2 lower than the ledger, and the shipment's confirmation will consume them."""
    connectors = _setup(session_factory, vault, clock, "outbound_protocol", {"MUG": 8})
    with session_factory.begin() as session:
        _receive(session, "MUG", 10, clock)
        outbound = OutboundOrderRow(
            idempotency_key="shopify:s:1#p1r1",
            order_key="shopify:s:1",
            part=1,
            revision=1,
            warehouse="US-EAST",
            state=OutboundState.ACCEPTED.value,
            document={},
            created_at=clock(),
            updated_at=clock(),
        )
        outbound.lines.append(OutboundLineRow(sku="MUG", quantity=2, order_line_id="L1"))
        session.add(outbound)
    result = await run_job(
        session_factory, "wms", JobKind.PULL_STOCK, connector_factory=connectors, now=clock
    )
    assert result.outcome == "ok" and result.counts.updated == 0
    with session_factory() as session:
        assert stock_balances(session)[("US-EAST", "MUG")].on_hand == 10


async def test_a_wms_that_cannot_read_stock_is_skipped_without_a_dead_letter(
    session_factory: sessionmaker[Session], vault: Vault, clock: Clock
) -> None:
    from channelhub.store.repos.jobs import list_dead_letters
    from tests.jobs.reconcile_fakes import FakeWarehouse

    _setup(session_factory, vault, clock, "outbound_protocol", {})
    pushing = FakeWarehouse([])
    pushing.capabilities = frozenset()  # e.g. a WMS that only pushes stock snapshots
    result = await run_job(
        session_factory, "wms", JobKind.PULL_STOCK, connector_factory=lambda _: pushing, now=clock
    )
    assert result.outcome == "ok" and result.counts.updated == 0
    with session_factory() as session:
        assert list_dead_letters(session) == []
        assert session.scalars(select(WarehouseRow.stock_known_at)).one() is None
