"""The settlement reconciliations as runs: order money and payouts against the ledger.

Each is stored like every reconciliation (a ``reconcile_runs`` row, platform ``finance``,
scope ``settlement_orders`` or ``payouts``, with its discrepancies), so ``channelhub
reconcile`` history and the console's Reconciliation screen list them too. A run is recorded
first and closed as ``failed`` with the error if anything breaks.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from channelhub.core.discrepancy import Discrepancy
from channelhub.core.profit import FinanceConfig
from channelhub.core.settlement_checks import (
    PayoutSums,
    check_orders,
    check_payouts,
    check_warehouse_fees,
)
from channelhub.jobs.reconciliation.run import ReconcileReport
from channelhub.store.repos.accounts import get_account
from channelhub.store.repos.reconcile import (
    add_discrepancies,
    finish_run,
    list_discrepancies,
    start_run,
)
from channelhub.store.repos.settlement import (
    Window,
    has_warehouse_lines,
    iter_order_money,
    iter_warehouse_charges,
    payout_sums,
)

PLATFORM = "finance"
ALL_ACCOUNTS = "*"


def _run(
    sessions: sessionmaker[Session],
    *,
    scope: str,
    account: str | None,
    since: datetime | None,
    now: datetime,
    find: Callable[[Session], tuple[Any, dict[str, Any]]],
) -> ReconcileReport:
    name = account or ALL_ACCOUNTS
    with sessions.begin() as session:
        if account is not None:
            get_account(session, account)  # a mistyped name is said, not an empty run
        run_id = start_run(
            session, account=name, platform=PLATFORM, scope=scope, since=since,
            repair=False, now=now,
        )  # fmt: skip
    try:
        with sessions.begin() as session:
            found, compared = find(session)
            by_class = add_discrepancies(session, run_id, found)
            counts: dict[str, Any] = {
                "compared": compared,
                "discrepancies": dict(sorted(by_class.items())),
            }
            finish_run(session, run_id, counts=counts, now=now)
            stored = list_discrepancies(session, run_id)
    except Exception as exc:  # close the run as failed whatever broke, then re-raise
        with sessions.begin() as session:
            finish_run(session, run_id, counts={}, now=now, error=f"{type(exc).__name__}: {exc}")
        raise
    return ReconcileReport(run_id, name, PLATFORM, scope, counts, stored)


class _Counted:
    def __init__(self, rows: Any) -> None:
        self.rows, self.count = rows, 0

    def __iter__(self) -> Any:
        for row in self.rows:
            self.count += 1
            yield row


def find_order_money(
    session: Session, finance: FinanceConfig, window: Window
) -> tuple[list[Discrepancy], dict[str, Any]]:
    """What the order-level reconciliation finds, without storing a run (the console's view)."""
    expected = has_warehouse_lines(session, window)
    orders = _Counted(iter_order_money(session, window))
    found = list(check_orders(orders, finance.fees, warehouse_fees_expected=expected))
    schedules = finance.warehouse_fees
    charges = _Counted(iter_warehouse_charges(session, window, schedules))
    found += check_warehouse_fees(charges, schedules)
    compared = {
        "orders": orders.count,
        "fee_schedules": sorted(finance.fees),
        "warehouse_fees_checked": expected,
        "warehouse_charges": charges.count,
    }
    return found, compared


def find_payouts(
    session: Session, *, account: str | None = None
) -> tuple[list[Discrepancy], list[PayoutSums]]:
    """Every payout with what the payout reconciliation finds, without storing a run."""
    payouts = payout_sums(session, account=account)
    return list(check_payouts(payouts)), payouts


def reconcile_order_money(
    sessions: sessionmaker[Session],
    finance: FinanceConfig,
    *,
    now: datetime,
    since: datetime | None = None,
    until: datetime | None = None,
    account: str | None = None,
) -> ReconcileReport:
    """Each order placed in [since, until) against its ledger lines and its channel's fee
    schedule (``[finance.fees.<channel>]``), stored as a run."""
    window = Window(since=since, until=until, account=account)
    return _run(
        sessions,
        scope="settlement_orders",
        account=account,
        since=since,
        now=now,
        find=lambda session: find_order_money(session, finance, window),
    )


def reconcile_payouts(
    sessions: sessionmaker[Session],
    *,
    now: datetime,
    account: str | None = None,
) -> tuple[ReconcileReport, list[PayoutSums]]:
    """Every payout's released lines against its amount, stored as a run; the payouts come
    back too (the CLI lists them beside their discrepancies)."""
    payouts: list[PayoutSums] = []

    def find(session: Session) -> tuple[list[Discrepancy], dict[str, Any]]:
        found, sums = find_payouts(session, account=account)
        payouts.extend(sums)
        return found, {"payouts": sum(1 for p in sums if p.amount is not None)}

    report = _run(sessions, scope="payouts", account=account, since=None, now=now, find=find)
    return report, payouts
