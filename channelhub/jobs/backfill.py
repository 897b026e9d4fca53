"""Backfill one order by its channel id (a webhook follow-up, a reconciliation repair).

The fetched order goes through the same path as an import: raw body archived and guarded
upsert, in one transaction, so a backfill racing an import can never overwrite newer data.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from channelhub.connectors.results import Fetched
from channelhub.connectors.roles import Capability, SalesChannel, require
from channelhub.core.errors import ConfigError
from channelhub.core.models import Order
from channelhub.jobs.connectors import ConnectorFactoryFn
from channelhub.jobs.pulls import archive
from channelhub.store.repos._upsert import Upserted
from channelhub.store.repos.accounts import get_account
from channelhub.store.repos.orders import upsert_order


def store_fetched_order(
    session: Session, fetched: Fetched[Order], *, platform: str, account: str, now: datetime
) -> Upserted:
    """Archive the raw body and upsert the order (the caller owns the transaction)."""
    payload_id = archive(session, platform=platform, account=account, raw=fetched.raw)
    return upsert_order(session, fetched.item, now=now, raw_payload_id=payload_id)


async def backfill_order(
    session_factory: sessionmaker[Session],
    account: str,
    external_id: str,
    *,
    connector_factory: ConnectorFactoryFn,
    now: Callable[[], datetime],
) -> Upserted:
    """Fetch order ``external_id`` of ``account`` and store it; returns what the upsert did."""
    with session_factory() as session:
        row = get_account(session, account)
    platform = row.platform
    connector = connector_factory(row)
    try:
        if not isinstance(connector, SalesChannel):
            raise ConfigError(f"account {account!r} ({platform}) is not a sales channel")
        require(connector, Capability.GET_ORDER)
        fetched = await connector.get_order(external_id)
    finally:
        await connector.aclose()
    with session_factory.begin() as session:
        return store_fetched_order(session, fetched, platform=platform, account=account, now=now())
