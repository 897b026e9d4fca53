"""pull_orders with the real Amazon connector against its simulator, 10% of answers 429/5xx,
killed mid-import and restarted: every order stored exactly once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from channelhub.jobs import JobKind
from channelhub.jobs.accounts.connectors import ConnectorFactory
from channelhub.jobs.engine.runner import JobOptions, run_job
from channelhub.simulators.amazon import MARKETPLACES
from channelhub.simulators.amazon.app import DEFAULT_CREDENTIALS
from channelhub.store.crypto import Vault
from channelhub.store.repos.accounts import add_account
from channelhub.store.tables.jobs import RunOutcome
from channelhub.store.tables.orders import OrderRow
from tests.amazon.harness import make_rig
from tests.jobs.test_shopify_flow import DiesAfter, Killed

pytestmark = pytest.mark.anyio
SELLER = "acme-amazon"


async def test_amazon_import_with_faults_killed_and_restarted(
    session_factory: sessionmaker[Session], vault: Vault
) -> None:
    rig = make_rig(order_count=120, error_rate=0.1)
    with session_factory.begin() as session:
        add_account(
            session,
            vault,
            platform="amazon",
            name=SELLER,
            credentials={k: SecretStr(v) for k, v in DEFAULT_CREDENTIALS.items()},
            now=rig.time.utc(),
            base_url="http://sp.sim",
            settings={
                "seller_id": "A1SIMSELLER",
                "marketplace_ids": [m.marketplace_id for m in MARKETPLACES],
                "lwa_url": "http://sp.sim/auth/o2/token",
                "page_size": 5,
            },
        )
    factory = ConnectorFactory(
        vault,
        transport=rig.transport,
        now=rig.time.utc,
        sleep=rig.time.sleep,
        clock=rig.time.monotonic,
    )
    options = JobOptions(max_pages=1000, initial_lookback=timedelta(days=60))

    async def run(connector_factory: Any) -> Any:
        return await run_job(
            session_factory,
            SELLER,
            JobKind.PULL_ORDERS,
            connector_factory=connector_factory,
            now=rig.time.utc,
            options=options,
        )

    with pytest.raises(Killed):
        await run(lambda row: DiesAfter(factory(row), pages=1))
    with session_factory() as session:
        assert 0 < (session.scalar(select(func.count()).select_from(OrderRow)) or 0) < 120
    result = await run(factory)
    assert result.outcome is RunOutcome.OK, result.error
    assert result.pages > 3
    expected = {order_id for order_id in rig.sim.state.orders}
    with session_factory() as session:
        stored = list(session.scalars(select(OrderRow.external_id)))
        rows = session.scalar(select(func.count()).select_from(OrderRow))
    assert rows == len(stored) == len(set(stored))
    assert set(stored) == expected
    assert any(entry.fault for entry in rig.sim.journal.entries)  # the faults did happen
