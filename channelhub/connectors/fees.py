"""What a warehouse charged for one outbound order, read back for settlement.

Overseas warehouses (Goodcang, WINIT, 4PX) bill per order: shipping, handling, fuel, duty.
Each connector that can read those (``FeeReader``) answers :class:`OutboundFees` the same way:
the charges typed by its mapping (``mappings/<provider>/fees.py``) and the warehouse's own
record kept raw. The poll's fee step
(:func:`~channelhub.jobs.fulfilment.warehouse_extras.read_fees`) writes a final one to the
money ledger, raw record and lines in one transaction, linked to the channel order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

from channelhub.core.fulfilment import OutboundState
from channelhub.core.settlement import WarehouseCharge

_STOPPED = frozenset({OutboundState.CANCELLED, OutboundState.REJECTED})


@dataclass(frozen=True)
class OutboundFees:
    """The fee record of one outbound order.

    ``final``: the warehouse will not change it any more -- the order was cancelled, or it
    shipped and was charged. Only a final record goes to the ledger (append-only: a record
    read while it still grows would be stored short); the hub reads again until it is.
    """

    idempotency_key: str
    warehouse_order_id: str | None
    charges: tuple[WarehouseCharge, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict)
    final: bool = False
    posted_at: datetime | None = None  # when the warehouse says it charged, if it says

    def total(self, currency: str) -> Decimal:
        """What the charges in ``currency`` cost (positive)."""
        return -sum((c.amount for c in self.charges if c.currency == currency), Decimal(0))


def fees_final(state: OutboundState, charged: bool) -> bool:
    """The rule every fee reader answers ``final`` by: the order stopped (nothing more will be
    charged), or it shipped and the warehouse charged it (guessed for all three: an order's
    charges are posted at once when it leaves the warehouse)."""
    return state in _STOPPED or (state is OutboundState.SHIPPED and charged)


@runtime_checkable
class FeeReader(Protocol):
    """A warehouse that tells what it charged for an order."""

    async def outbound_fees(self, idempotency_key: str) -> OutboundFees: ...
