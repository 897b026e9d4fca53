"""Where reconciliation reads the quantities the hub last pushed, and asks for a push again.

The stock back-sync owns that history; this seam lets the reconcile job use whichever store
it keeps. :class:`OutboxQuantities` reads the newest *sent* outbox message of one kind per
listing and re-pushes by enqueueing one under an idempotency key naming the run (a second
``--repair`` in the same run queues nothing more). A stock-sync history (a table of pushes
confirmed by the channel) plugs in by implementing :class:`PushedQuantities`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from channelhub.core.reconcile import ListingQuantity
from channelhub.store.repos.outbox import enqueue
from channelhub.store.repos.reconcile import last_pushed_quantities
from channelhub.store.tables.listings import ListingRow

#: The outbox kind of a quantity push (payload: channel, account, listing_id, variation_id,
#: quantity, channel_sku, inventory_ref); the target is the account name.
PUSH_QUANTITY_KIND = "channel.push_quantity"


class PushedQuantities(Protocol):
    """The hub's record of quantities pushed to one channel account."""

    def last_pushed(self, session: Session, *, channel: str, account: str) -> list[ListingQuantity]:
        """The last quantity the channel accepted per listing, sorted by (listing, variation)."""
        ...

    def repush(
        self,
        session: Session,
        listing: ListingQuantity,
        *,
        channel: str,
        account: str,
        run_id: int,
        now: datetime,
    ) -> str:
        """Arrange for ``listing.quantity`` to be pushed again; returns what was done."""
        ...


@dataclass(frozen=True)
class OutboxQuantities:
    """Quantity pushes kept as outbox messages of ``kind``."""

    kind: str = PUSH_QUANTITY_KIND

    def last_pushed(self, session: Session, *, channel: str, account: str) -> list[ListingQuantity]:
        return last_pushed_quantities(session, account=account, kind=self.kind)

    def repush(
        self,
        session: Session,
        listing: ListingQuantity,
        *,
        channel: str,
        account: str,
        run_id: int,
        now: datetime,
    ) -> str:
        row = session.scalars(
            select(ListingRow).where(
                ListingRow.channel == channel,
                ListingRow.account == account,
                ListingRow.listing_id == listing.listing_id,
                ListingRow.variation_id == listing.variation_id,
            )
        ).one_or_none()
        shown = "/".join(part for part in listing.key if part)
        queued = enqueue(
            session,
            idempotency_key=f"reconcile:{run_id}:quantity:{account}:{shown}"[:200],
            target=account,
            kind=self.kind,
            payload={
                "channel": channel,
                "account": account,
                "listing_id": listing.listing_id,
                "variation_id": listing.variation_id,
                "quantity": listing.quantity,
                "channel_sku": row.channel_sku if row else None,
                "inventory_ref": row.inventory_ref if row else None,
            },
            now=now,
        )
        verb = "queued" if queued.is_new else "already queued"
        return (
            f"quantity {listing.quantity} for listing {shown} {verb} as outbox message {queued.id}"
        )
