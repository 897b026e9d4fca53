"""A small stocked hub for stock back-sync tests: two warehouses, singles, a combo, a kit,
and listings bound to them (one as a 2-pack)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from channelhub.connectors.results import QuantityPushResult, QuantityUpdate
from channelhub.core.bindings import Binding, Scope
from channelhub.core.listing import Listing
from channelhub.core.products import Component, Sku, SkuKind
from channelhub.core.stock import MovementKind, StockMovement, Warehouse
from channelhub.store.repos.listings import upsert_listing
from channelhub.store.repos.pairings import save_binding
from channelhub.store.repos.products import upsert_sku
from channelhub.store.repos.stock import record_movement, upsert_warehouse
from channelhub.store.tables.stock import WarehouseRow

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def add_catalog(session: Session) -> None:
    for code in ("MUG", "LID", "SPOON"):
        upsert_sku(session, Sku(code=code), now=T0)
    upsert_sku(
        session,
        Sku(
            code="MUG-SET",
            kind=SkuKind.COMBO,
            components=(Component(sku="MUG", qty=2), Component(sku="LID", qty=1)),
        ),
        now=T0,
    )
    upsert_sku(
        session,
        Sku(code="GIFT-BOX", kind=SkuKind.KIT, components=(Component(sku="SPOON", qty=3),)),
        now=T0,
    )
    for code, country in (("US-EAST", "US"), ("CN-SZ", "CN")):
        upsert_warehouse(session, Warehouse(code=code, country=country), now=T0)
    know_stock(session, "US-EAST", "CN-SZ")


def know_stock(session: Session, *codes: str, at: datetime | None = T0) -> None:
    """Set (or, with ``at=None``, clear) when the hub learned these warehouses' stock (the
    warehouses branch's ``stock set|import|pull`` does it for real)."""
    for row in session.scalars(select(WarehouseRow).where(WarehouseRow.code.in_(codes))):
        row.stock_known_at = at
    session.flush()


def add_listing(
    session: Session,
    channel: str,
    account: str,
    listing_id: str,
    *,
    sku: str | None,
    multiplier: int = 1,
    channel_sku: str | None = None,
    inventory_ref: str | None = None,
    variation_id: str | None = None,
) -> Listing:
    listing = Listing.model_validate(
        {
            "channel": channel,
            "account": account,
            "listing_id": listing_id,
            "variation_id": variation_id,
            "channel_sku": channel_sku or listing_id,
            "status": "active",
            "inventory_ref": inventory_ref,
        },
        strict=False,
    )
    upsert_listing(session, listing, now=T0)
    if sku is not None:
        save_binding(
            session,
            Binding(
                scope=Scope.ACCOUNT,
                channel=channel,
                account=account,
                channel_sku=listing.channel_sku,
                sku=sku,
                multiplier=multiplier,
            ),
            now=T0,
            actor="test",
        )
    return listing


def move(
    session: Session,
    sku: str,
    quantity: int,
    *,
    kind: MovementKind = MovementKind.RECEIVE,
    warehouse: str = "US-EAST",
    at: datetime = T0,
) -> None:
    record_movement(
        session,
        StockMovement(
            warehouse=warehouse, sku=sku, kind=kind, quantity=quantity, reason="test", at=at
        ),
        now=at,
    )


@dataclass
class FakeChannel:
    """A connector stand-in: records every call; refuses listings named in ``refuse``."""

    platform: str = "amazon"
    calls: list[list[QuantityUpdate]] = field(default_factory=list)
    refuse: dict[str, tuple[str, bool]] = field(default_factory=dict)  # listing id -> why
    held: dict[str, int] = field(default_factory=dict)  # what the channel shows

    async def push_quantities(self, updates: Sequence[QuantityUpdate]) -> list[QuantityPushResult]:
        self.calls.append(list(updates))
        results = []
        for update in updates:
            refused = self.refuse.get(update.listing.listing_id)
            if refused:
                results.append(QuantityPushResult(update.listing, update.quantity, False, *refused))
            else:
                self.held[update.listing.listing_id] = update.quantity
                results.append(QuantityPushResult(update.listing, update.quantity, True))
        return results

    async def aclose(self) -> None:
        self.closed = True

    @property
    def pushed(self) -> list[tuple[str, int]]:
        return [(u.listing.listing_id, u.quantity) for call in self.calls for u in call]
