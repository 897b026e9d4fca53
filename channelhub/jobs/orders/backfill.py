"""Backfill one order by its channel id (a webhook follow-up, a reconciliation repair).

The fetched order goes through the same path as an import: raw body archived and
:func:`~channelhub.jobs.orders.intake.intake_order` (guarded upsert, a modified allocated order
released for re-planning), in one transaction, so a backfill racing an import can never
overwrite newer data.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial

from sqlalchemy.orm import Session, sessionmaker

from channelhub.connectors.records import RecordRefused
from channelhub.connectors.results import Fetched
from channelhub.connectors.roles import Capability, SalesChannel, require
from channelhub.core.errors import ConfigError, InvalidInput
from channelhub.core.models import Order
from channelhub.jobs.accounts.connectors import ConnectorFactoryFn
from channelhub.jobs.engine.isolation import SetAside, archive
from channelhub.jobs.orders.intake import Intake, intake_order
from channelhub.store.repos.accounts import get_account


def store_fetched_order(
    session: Session, fetched: Fetched[Order], *, platform: str, account: str, now: datetime
) -> Intake:
    """Archive the raw body and take the order in (the caller owns the transaction)."""
    payload_id = archive(session, platform=platform, account=account, raw=fetched.raw)
    return intake_order(session, fetched.item, now=now, raw_payload_id=payload_id)


async def backfill_order(
    session_factory: sessionmaker[Session],
    account: str,
    external_id: str,
    *,
    connector_factory: ConnectorFactoryFn,
    now: Callable[[], datetime],
) -> Intake:
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
    except RecordRefused as refused:
        # the order's mapping could not read it: its body is archived and filed as a dead
        # letter (replayable once fixed), and the caller hears why in one sentence
        with session_factory.begin() as session:
            aside = SetAside(platform, account, "backfill", now())
            aside.failures(session, [refused.failure])
        raise
    finally:
        await connector.aclose()
    with session_factory.begin() as session:
        aside = SetAside(platform, account, "backfill", now())
        payload_id = archive(session, platform=platform, account=account, raw=fetched.raw)
        stored = aside.store(
            session,
            partial(intake_order, session, fetched.item, now=now(), raw_payload_id=payload_id),
            subject="order",
            external_id=fetched.item.external_id,
            raw_payload_id=payload_id,
        )
    if stored is None:
        raise InvalidInput.field(
            f"{platform} order",
            external_id,
            "could not be stored: set aside as a dead letter (see `channelhub jobs deadletters`)",
        )
    return stored
