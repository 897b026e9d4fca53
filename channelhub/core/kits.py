"""Kit assembly and disassembly as ledger movements (组装 / 拆卸).

A kit is physical stock with its own barcode. Building kits takes their components off the
shelf and puts kits on it; breaking them does the reverse. Both are pairs of signed movements
in one warehouse, never more than the available (unreserved) stock allows, so a kit short of
stock is made only by this deliberate work order, never silently at allocation time.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from channelhub.core.catalog import Catalog
from channelhub.core.errors import InvalidInput
from channelhub.core.products import SkuKind
from channelhub.core.stock import Balance, MovementKind, StockMovement


def _kit(catalog: Catalog, code: str) -> None:
    if catalog.get(code).kind is not SkuKind.KIT:
        raise InvalidInput.field("sku", code, "is not a kit: only kits are assembled")


def _available(balances: Mapping[tuple[str, str], Balance], warehouse: str, sku: str) -> int:
    balance = balances.get((warehouse, sku))
    return balance.available if balance is not None else 0


def assemble(
    catalog: Catalog,
    kit: str,
    quantity: int,
    *,
    warehouse: str,
    balances: Mapping[tuple[str, str], Balance],
    at: datetime,
    reference: str,
) -> tuple[StockMovement, ...]:
    """Movements that build ``quantity`` kits: -components, +kits (ASSEMBLE, signed)."""
    _kit(catalog, kit)
    if quantity < 1:
        raise InvalidInput.field("quantity", quantity, "must be at least 1")
    moves: list[StockMovement] = []
    for component in catalog.get(kit).components:
        need = component.qty * quantity
        have = _available(balances, warehouse, component.sku)
        if need > have:
            raise InvalidInput.field(
                f"{warehouse} {component.sku}",
                have,
                f"available; {need} needed for {quantity} x {kit}",
            )
        moves.append(
            _move(warehouse, component.sku, -need, f"assemble {quantity} x {kit}", at, reference)
        )
    moves.append(_move(warehouse, kit, quantity, "assembled from components", at, reference))
    return tuple(moves)


def disassemble(
    catalog: Catalog,
    kit: str,
    quantity: int,
    *,
    warehouse: str,
    balances: Mapping[tuple[str, str], Balance],
    at: datetime,
    reference: str,
) -> tuple[StockMovement, ...]:
    """Movements that break ``quantity`` kits: -kits, +components (DISASSEMBLE, signed)."""
    _kit(catalog, kit)
    if quantity < 1:
        raise InvalidInput.field("quantity", quantity, "must be at least 1")
    have = _available(balances, warehouse, kit)
    if quantity > have:
        raise InvalidInput.field(f"{warehouse} {kit}", have, f"available; {quantity} to break")
    moves = [
        _move(
            warehouse,
            kit,
            -quantity,
            f"disassemble {quantity} x {kit}",
            at,
            reference,
            MovementKind.DISASSEMBLE,
        )
    ]
    for component in catalog.get(kit).components:
        moves.append(
            _move(
                warehouse,
                component.sku,
                component.qty * quantity,
                f"from {kit}",
                at,
                reference,
                MovementKind.DISASSEMBLE,
            )
        )
    return tuple(moves)


def _move(
    warehouse: str,
    sku: str,
    quantity: int,
    reason: str,
    at: datetime,
    reference: str,
    kind: MovementKind = MovementKind.ASSEMBLE,
) -> StockMovement:
    return StockMovement(
        warehouse=warehouse,
        sku=sku,
        kind=kind,
        quantity=quantity,
        reason=reason,
        reference=reference,
        at=at,
    )
