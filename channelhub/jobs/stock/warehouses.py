"""A seller's warehouses and opening stock: registering, setting and importing counts.

Every count goes through the ledger as an ADJUST movement of the difference (with its reason),
and marks the warehouse's stock as known (``WarehouseRow.stock_known_at``): only then may the
stock push serve listings from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from channelhub.connectors.manifest import Role
from channelhub.core.errors import InvalidInput
from channelhub.core.stock import Warehouse
from channelhub.mappings.csv_table import RowError
from channelhub.mappings.stock_csv import StockCountRow
from channelhub.store.repos.accounts import get_account
from channelhub.store.repos.stock import mark_stock_known, set_on_hand
from channelhub.store.repos.warehouses import add_warehouse, get_warehouse
from channelhub.store.tables.products import SkuRow
from channelhub.store.tables.stock import WarehouseRow

RolesOf = Callable[[str], frozenset[Role]]


def require_wms_account(session: Session, account: str, *, roles_of: RolesOf) -> str:
    """The platform of ``account``, which must exist and be a WMS (a warehouse-role platform)."""
    platform = get_account(session, account).platform
    if Role.WAREHOUSE not in roles_of(platform):
        raise InvalidInput.field(
            "account", account, f"is a {platform} account, not a warehouse (WMS) account"
        )
    return platform


def warehouse_from_input(
    code: str,
    country: str,
    region: str | None = None,
    name: str | None = None,
    account: str | None = None,
    external_id: str | None = None,
) -> Warehouse:
    """A warehouse from what a person typed (``warehouses add``, the console's form), or one
    :class:`InvalidInput` saying what is wrong."""
    try:
        return Warehouse(
            code=code.strip(),
            country=country.strip().upper(),
            region=region or None,
            name=name or None,
            account=account or None,
            external_id=external_id or None,
        )
    except ValidationError as exc:
        why = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
        raise InvalidInput([why]) from None


def register_warehouse(
    session: Session, warehouse: Warehouse, *, now: datetime, roles_of: RolesOf
) -> int:
    """Add a warehouse; its ``account`` must exist and be a WMS (a warehouse-role platform)."""
    if warehouse.account is not None:
        require_wms_account(session, warehouse.account, roles_of=roles_of)
    return add_warehouse(session, warehouse, now=now)


def _check_sku(session: Session, sku: str) -> None:
    if session.scalar(select(SkuRow.id).where(SkuRow.code == sku)) is None:
        raise InvalidInput.field(
            "SKU", sku, "is not in the product library (see `channelhub products import`)"
        )


def set_stock(
    session: Session, warehouse: str, sku: str, on_hand: int, *, reason: str | None, now: datetime
) -> int:
    """Set one count; returns the adjustment recorded (0: it already was ``on_hand``)."""
    get_warehouse(session, warehouse)
    _check_sku(session, sku)
    difference = set_on_hand(
        session, warehouse, sku, on_hand, reason=reason or "set by hand", now=now
    )
    mark_stock_known(session, warehouse, now)
    return difference


def check_stock_rows(session: Session, rows: list[StockCountRow]) -> list[RowError]:
    """Rows naming a warehouse that is not registered or a SKU not in the product library."""
    warehouses = set(session.scalars(select(WarehouseRow.code)))
    skus = set(session.scalars(select(SkuRow.code).where(SkuRow.code.in_({r.sku for r in rows}))))
    errors = []
    for row in rows:
        if row.warehouse not in warehouses:
            errors.append(
                RowError(
                    row.row,
                    "warehouse",
                    row.warehouse,
                    "is not registered (see `channelhub warehouses add`)",
                )
            )
        elif row.sku not in skus:
            errors.append(RowError(row.row, "sku", row.sku, "is not in the product library"))
    return errors


@dataclass(frozen=True)
class ImportSummary:
    """What one import changed: rows read, counts that moved, the net units adjusted."""

    rows: int
    changed: int
    units: int
    warehouses: tuple[str, ...]


def import_stock(
    session: Session, rows: list[StockCountRow], *, source: str, now: datetime
) -> ImportSummary:
    """Apply checked rows in the caller's transaction (all or nothing)."""
    changed = units = 0
    for row in rows:
        difference = set_on_hand(
            session,
            row.warehouse,
            row.sku,
            row.on_hand,
            reason=f"imported from {source} (row {row.row})",
            now=now,
        )
        changed += difference != 0
        units += difference
    touched = tuple(sorted({row.warehouse for row in rows}))
    for code in touched:
        mark_stock_known(session, code, now)
    return ImportSummary(rows=len(rows), changed=changed, units=units, warehouses=touched)
