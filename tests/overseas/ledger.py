"""What the overseas-warehouse flows check in the money ledger: the fee lines a warehouse
account recorded, and the orders the missing-warehouse-fee reconciliation flags."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from channelhub.core.discrepancy import DiscrepancyClass
from channelhub.core.lifecycle import HubStatus
from channelhub.core.settlement_checks import check_orders
from channelhub.store.repos.profit import profit_by_order
from channelhub.store.repos.profit_query import ProfitQuery
from channelhub.store.repos.settlement import Window, has_warehouse_lines, iter_order_money
from channelhub.store.tables.money import MoneyLineRow, MoneyRecordRow
from channelhub.store.tables.orders import OrderRow


def fee_lines(session: Session, account: str) -> list[MoneyLineRow]:
    """The account's ledger lines, by record and component."""
    return list(
        session.scalars(
            select(MoneyLineRow)
            .where(MoneyLineRow.account == account)
            .order_by(MoneyLineRow.provider_txn_id, MoneyLineRow.component)
        )
    )


def fee_record(session: Session, account: str, key: str) -> MoneyRecordRow | None:
    return session.get(MoneyRecordRow, (account, key))


def missing_fee_orders(session: Session) -> set[str]:
    """External ids of the orders the order reconciliation says no warehouse charged."""
    window = Window()
    found = check_orders(
        iter_order_money(session, window),
        {},
        warehouse_fees_expected=has_warehouse_lines(session, window),
    )
    return {
        d.subject["external_id"]
        for d in found
        if d.discrepancy_class is DiscrepancyClass.WAREHOUSE_FEE_MISSING
    }


def mark_shipped(session: Session, external_id: str) -> None:
    """The hub shipped the order by another way, no warehouse fee read for it."""
    session.execute(
        update(OrderRow)
        .where(OrderRow.external_id == external_id)
        .values(hub_status=HubStatus.SHIPPED.value)
    )


def order_costs(session: Session, external_id: str, currency: str) -> tuple[Decimal, Decimal]:
    """(fulfilment, labels) of one order's profit: what the warehouse fees added to it."""
    query = ProfitQuery(currency=currency, external_id=external_id)
    (row,) = profit_by_order(session, query)
    return row.figures["fulfilment"], row.figures["labels"]
