"""Where the demo reaches components that are still landing on main, in one place.

Only reconciliation is left (branch ``reconcile``): its job is called by the name that branch
exposes, and while it is not installed :class:`Pending` is raised and the demo shows the stage
as waiting. Everything else the demo runs (imports, pipeline, dispatch, shipments, tracking,
stock push) is imported directly from ``channelhub.jobs``. The demo never carries a second
implementation of a hub component.

:class:`StockSyncQuantities` is the seam between the two: reconciliation compares a channel's
quantities with the last ones the stock sync got confirmed (its ``stock_pushes`` table) and
asks for a re-push by recording a pending push, which the next stock-sync run sends.
"""

from __future__ import annotations

import importlib
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from channelhub.core.errors import ChannelhubError
from channelhub.core.listing import ListingKey
from channelhub.store.repos.stock_sync import latest_pushes, record_push


class Pending(ChannelhubError):
    """A component the demo needs is not in this build of channelhub yet."""

    def __init__(self, component: str, branch: str) -> None:
        super().__init__(f"{component} is not in this build yet (branch {branch!r})")
        self.component, self.branch = component, branch


def _load(target: str, branch: str) -> Any:
    module_name, _, attribute = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise Pending(target, branch) from None
        raise
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise Pending(target, branch) from None


class StockSyncQuantities:
    """Reconciliation's ``PushedQuantities`` read from (and re-pushed through) the stock sync."""

    def last_pushed(self, session: Session, *, channel: str, account: str) -> list[Any]:
        quantity = _load("channelhub.core.reconcile:ListingQuantity", "reconcile")
        confirmed = latest_pushes(session, channel=channel, account=account, confirmed_only=True)
        rows = [
            quantity(key.listing_id, record.quantity, key.variation_id or "")
            for key, record in confirmed.items()
        ]
        return sorted(rows, key=lambda row: (row.listing_id, row.variation_id))

    def repush(
        self,
        session: Session,
        listing: Any,
        *,
        channel: str,
        account: str,
        run_id: int,
        now: datetime,
    ) -> str:
        key = ListingKey(
            channel=channel,
            account=account,
            listing_id=listing.listing_id,
            variation_id=listing.variation_id or None,
        )
        push_id = record_push(
            session,
            key,
            quantity=listing.quantity,
            previous=None,
            explanation={"reason": f"reconciliation run {run_id}: edited on the channel"},
            trigger="reconcile",
            now=now,
        )
        return f"quantity {listing.quantity} queued as stock push {push_id}"


async def reconcile_channel(
    sessions: sessionmaker[Session], connector: Any, *, now: datetime, since: datetime
) -> Any:
    """One repairing reconciliation run of a sales channel account (branch ``reconcile``)."""
    reconcile = _load("channelhub.jobs.reconcile:reconcile_sales_channel", "reconcile")
    return await reconcile(
        sessions, connector, now=now, since=since, repair=True, quantities=StockSyncQuantities()
    )
