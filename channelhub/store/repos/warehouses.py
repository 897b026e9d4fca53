"""The seller's warehouses as setup: register, list with their stock, remove when unused.

Registering checks only what the store knows (the code is new, the country is ISO); whether
the named account is a WMS is the caller's to check (:mod:`channelhub.jobs.stock.warehouses`),
since the store does not know the connectors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from channelhub.core.errors import InvalidInput, NotFound
from channelhub.core.fulfilment import OutboundState
from channelhub.core.stock import MovementKind, Warehouse
from channelhub.store.repos.stock import upsert_warehouse
from channelhub.store.tables.fulfilment import OutboundOrderRow
from channelhub.store.tables.outbox import OutboxMessage, OutboxState
from channelhub.store.tables.stock import StockMovementRow, WarehouseRow

K = MovementKind
_ON_HAND_PLUS = [k.value for k in (K.RECEIVE, K.ADJUST, K.ASSEMBLE, K.DISASSEMBLE)]
#: Outbound orders still in the warehouse's hands: the warehouse cannot go while they are.
_FINAL_OUTBOUND = [
    s.value
    for s in (
        OutboundState.REJECTED,
        OutboundState.SHIPPED,
        OutboundState.CANCELLED,
        OutboundState.CANCEL_TOO_LATE,
    )
]
_QUEUED = [s.value for s in (OutboxState.PENDING, OutboxState.SENDING, OutboxState.FAILED)]


@dataclass(frozen=True)
class WarehouseSummary:
    """One warehouse as ``warehouses list`` shows it."""

    code: str
    name: str | None
    country: str
    region: str | None
    account: str | None
    external_id: str | None
    skus: int
    on_hand: int
    stock_known_at: datetime | None


def get_warehouse(session: Session, code: str) -> WarehouseRow:
    """The warehouse registered as ``code``, or one clear :class:`NotFound`."""
    row = session.scalars(select(WarehouseRow).where(WarehouseRow.code == code)).one_or_none()
    if row is None:
        raise NotFound(
            f"warehouse {code!r} is not registered (add it with `channelhub warehouses add`)"
        )
    return row


def add_warehouse(session: Session, warehouse: Warehouse, *, now: datetime) -> int:
    """Register a new warehouse; a code already registered is refused, not overwritten."""
    taken = session.scalar(select(WarehouseRow.id).where(WarehouseRow.code == warehouse.code))
    if taken is not None:
        raise InvalidInput.field(
            "warehouse", warehouse.code, "is already registered (see `channelhub warehouses list`)"
        )
    return upsert_warehouse(session, warehouse, now=now)


def list_warehouses(session: Session) -> list[WarehouseSummary]:
    """Every warehouse by code, with how many SKUs it holds and its units on hand."""
    q, kind = StockMovementRow.quantity, StockMovementRow.kind
    on_hand = func.sum(case((kind.in_(_ON_HAND_PLUS), q), (kind == K.CONSUME.value, -q), else_=0))
    per_sku = (
        select(
            StockMovementRow.warehouse.label("warehouse"),
            StockMovementRow.sku,
            on_hand.label("on_hand"),
        )
        .group_by(StockMovementRow.warehouse, StockMovementRow.sku)
        .subquery()
    )
    held = func.sum(case((per_sku.c.on_hand > 0, 1), else_=0))
    totals = {
        code: (int(skus or 0), int(units or 0))
        for code, skus, units in session.execute(
            select(per_sku.c.warehouse, held, func.sum(per_sku.c.on_hand)).group_by(
                per_sku.c.warehouse
            )
        )
    }
    return [
        WarehouseSummary(
            code=row.code,
            name=row.name,
            country=row.country,
            region=row.region,
            account=row.account,
            external_id=row.external_id,
            skus=totals.get(row.code, (0, 0))[0],
            on_hand=totals.get(row.code, (0, 0))[1],
            stock_known_at=row.stock_known_at,
        )
        for row in session.scalars(select(WarehouseRow).order_by(WarehouseRow.code))
    ]


def warehouses_of_account(session: Session, account: str) -> list[WarehouseRow]:
    """The warehouses a WMS account serves (their ``account`` names it), by code."""
    return list(
        session.scalars(
            select(WarehouseRow).where(WarehouseRow.account == account).order_by(WarehouseRow.code)
        )
    )


def wms_names(rows: Iterable[WarehouseRow]) -> dict[str, str]:
    """The names a WMS may give each warehouse, to its hub code: the external id, and the code."""
    served = list(rows)
    by_id = {row.external_id or row.code: row.code for row in served}
    by_id |= {row.code: row.code for row in served if row.code not in by_id}
    return by_id


def level_resolver(rows: Iterable[WarehouseRow]) -> Callable[[str], str | None]:
    """The hub code of a stock level's WMS warehouse id; None when no warehouse matches.

    A level matches the warehouse whose ``external_id`` (else code) it names; when the account
    serves a single warehouse, every level is that warehouse's (a connector labels levels with
    its own ``warehouse`` setting, by default the account name, which need not be the code).
    """
    served = list(rows)
    by_id = wms_names(served)
    only = served[0].code if len(served) == 1 else None

    def resolve(wms_id: str) -> str | None:
        return by_id.get(wms_id, only)

    return resolve


def unknown_stock_warehouses(session: Session) -> frozenset[str]:
    """Codes of the warehouses whose stock the hub has never been told."""
    rows = session.scalars(select(WarehouseRow.code).where(WarehouseRow.stock_known_at.is_(None)))
    return frozenset(rows)


def remove_warehouse(session: Session, code: str) -> None:
    """Delete a warehouse nothing refers to; otherwise one line saying what still does."""
    get_warehouse(session, code)
    movements = session.scalar(
        select(func.count()).select_from(StockMovementRow).where(StockMovementRow.warehouse == code)
    )
    outbound = session.scalar(
        select(func.count())
        .select_from(OutboundOrderRow)
        .where(OutboundOrderRow.warehouse == code, OutboundOrderRow.state.not_in(_FINAL_OUTBOUND))
    )
    queued = session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.target == f"warehouse:{code}", OutboxMessage.state.in_(_QUEUED))
    )
    held = [
        f"{n} {what}"
        for n, what in (
            (outbound, "open outbound order(s)"),
            (queued, "queued warehouse message(s)"),
            (movements, "stock movement(s)"),
        )
        if n
    ]
    if held:
        raise InvalidInput.field(
            "warehouse",
            code,
            f"cannot be removed: {', '.join(held)} refer to it (the ledger keeps its history)",
        )
    session.delete(get_warehouse(session, code))
    session.flush()
