"""What a warehouse reports besides shipments: intercept/cancel results and stock snapshots.

A stock snapshot is the warehouse's count; the ledger stays the truth of what the hub did.
:func:`snapshot_adjustments` turns the gap between the two into ADJUST movements, each
saying what it explains, so a pushed quantity can always be traced to a count.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field

from channelhub.core.stock import Balance, MovementKind, StockMovement
from channelhub.core.types import (
    VALUE_CONFIG,
    AsTuple,
    NonNegativeQty,
    PlatformId,
    SkuCode,
    UtcDatetime,
)


class InterceptOutcome(StrEnum):
    """How a cancel / intercept request ended at the warehouse."""

    SUCCEEDED = "succeeded"  # stopped before packing: nothing ships, stock can be released
    TOO_LATE = "too_late"  # already packed or shipped: the order stays shipped


class InterceptResult(BaseModel):
    """The warehouse's answer to a cancel / intercept, or its own cancellation of an order."""

    model_config = VALUE_CONFIG

    outbound_key: str
    warehouse: str
    warehouse_order_id: str | None = None
    outcome: InterceptOutcome
    initiated_by: str = "hub"  # "hub" (we asked) or "warehouse" (it cancelled on its own)
    reason_code: str | None = None
    message: str | None = None
    decided_at: UtcDatetime


class StockLevel(BaseModel):
    """One SKU's count at a warehouse, in base units."""

    model_config = VALUE_CONFIG

    sku: SkuCode
    on_hand: NonNegativeQty
    available: NonNegativeQty | None = None  # what the warehouse itself would still promise
    external_id: PlatformId | None = None  # the WMS's own item id


class StockSnapshot(BaseModel):
    """A warehouse's stock count at one instant. ``complete`` = every SKU it holds is listed
    (an absent SKU then means zero); a partial snapshot says nothing about absent SKUs."""

    model_config = VALUE_CONFIG

    warehouse: str
    snapshot_id: str
    taken_at: UtcDatetime
    complete: bool = False
    levels: Annotated[tuple[StockLevel, ...], AsTuple] = Field(default=())


def snapshot_adjustments(
    snapshot: StockSnapshot, ledger: Mapping[str, Balance]
) -> list[StockMovement]:
    """ADJUST movements that bring the ledger's on-hand to the snapshot's count.

    ``ledger`` is the current balance per SKU at this warehouse. No movement is made for a
    SKU that already agrees; for a complete snapshot, a SKU the ledger holds but the
    warehouse did not list is counted as zero.
    """
    counted = {level.sku: level.on_hand for level in snapshot.levels}
    if snapshot.complete:
        for sku in ledger:
            counted.setdefault(sku, 0)
    movements: list[StockMovement] = []
    for sku in sorted(counted):
        balance = ledger.get(sku)
        had = balance.on_hand if balance else 0
        difference = counted[sku] - had
        if difference == 0:
            continue
        movements.append(
            StockMovement(
                warehouse=snapshot.warehouse,
                sku=sku,
                kind=MovementKind.ADJUST,
                quantity=difference,
                reason=(
                    f"warehouse count {counted[sku]} vs ledger {had} "
                    f"(snapshot {snapshot.snapshot_id})"
                ),
                reference=f"snapshot:{snapshot.warehouse}:{snapshot.snapshot_id}",
                at=snapshot.taken_at,
            )
        )
    return movements
