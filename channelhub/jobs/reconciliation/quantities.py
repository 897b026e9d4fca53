"""Where reconciliation reads the quantities the hub last pushed, and asks for a push again.

The stock back-sync owns that history (``stock_pushes``): the last push the channel
*confirmed* per listing is what the channel should show. A re-push is recorded there as a
*pending* push (trigger ``reconcile``): the next ``push_stock`` run treats a pending push as
uncertain and pushes the listing's current sellable quantity even though it did not change,
so the hand edit is overwritten through the one path that batches, records and settles
pushes. Another history plugs in by implementing :class:`PushedQuantities`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from channelhub.core.listing import ListingKey
from channelhub.core.reconcile import ListingQuantity
from channelhub.store.repos.stock_sync import latest_pushes, record_push

RECONCILE_TRIGGER = "reconcile"


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
        """Arrange for the listing's quantity to be pushed again; returns what was done."""
        ...


@dataclass(frozen=True)
class StockSyncQuantities:
    """Quantities from the stock back-sync's push history."""

    def last_pushed(self, session: Session, *, channel: str, account: str) -> list[ListingQuantity]:
        confirmed = latest_pushes(session, channel=channel, account=account, confirmed_only=True)
        return sorted(
            (
                ListingQuantity(key.listing_id, record.quantity, key.variation_id or "")
                for key, record in confirmed.items()
            ),
            key=lambda q: q.key,
        )

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
            previous=listing.quantity,
            explanation={
                "reconcile_run": run_id,
                "reason": "the quantity was edited on the channel by hand; push it again",
            },
            trigger=RECONCILE_TRIGGER,
            now=now,
        )
        return (
            f"listing {key} marked for the next stock push (pending push {push_id}; "
            f"last confirmed {listing.quantity})"
        )
