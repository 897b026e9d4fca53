"""What a warehouse charged for one outbound order, read back for settlement.

Overseas warehouses (Goodcang, and the like) bill per order: shipping, handling, fuel, duty.
A connector that can read those (``FeeReader``) answers :class:`OutboundFees` with the
warehouse's own record kept raw, so settlement can later split it however it needs; the
``warehouse_fees`` job step stores one row per outbound (see
:mod:`channelhub.jobs.fulfilment.warehouse_fees`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from channelhub.core.money import Money


@dataclass(frozen=True)
class OutboundFees:
    """The fee record of one outbound order; ``total`` None while nothing is charged."""

    idempotency_key: str
    warehouse_order_id: str | None
    total: Money | None
    raw: Mapping[str, Any] = field(default_factory=dict)
    #: the warehouse will not change the fees any more (the order shipped or was cancelled)
    final: bool = False


@runtime_checkable
class FeeReader(Protocol):
    """A warehouse that tells what it charged for an order."""

    async def outbound_fees(self, idempotency_key: str) -> OutboundFees: ...
