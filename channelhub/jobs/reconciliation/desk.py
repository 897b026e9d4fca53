"""Reconciling one named account on request: what ``channelhub reconcile ACCOUNT [--repair]``
and the console's Reconciliation screen share (the account's tolerance setting, the check that
the account is a channel or a warehouse)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from channelhub.connectors.roles import SalesChannel, Warehouse
from channelhub.core.errors import InvalidInput
from channelhub.jobs.reconciliation.run import TOLERANCE_SETTING, ReconcileReport, reconcile_account
from channelhub.store.repos.accounts import AccountInfo
from channelhub.store.repos.reconcile import StoredDiscrepancy


def tolerance_for(account: AccountInfo, given: int | None) -> int | None:
    """``given``, else the account's ``reconcile_tolerance`` setting (None: every stock
    adjustment stays proposed for a person)."""
    if given is not None:
        return given
    configured = account.settings.get(TOLERANCE_SETTING)
    if configured is None:
        return None
    try:
        return int(configured)
    except (TypeError, ValueError):
        raise InvalidInput.field(
            f"account {account.name} setting {TOLERANCE_SETTING}", configured, "is not a number"
        ) from None


def reconcilable(connector: object) -> bool:
    """Whether ``connector`` is a sales channel or a warehouse (what reconcile compares)."""
    return isinstance(connector, SalesChannel | Warehouse)


async def reconcile_now(
    sessions: sessionmaker[Session],
    account: AccountInfo,
    connector: object,
    *,
    now: datetime,
    since: datetime | None = None,
    repair: bool = False,
    tolerance: int | None = None,
) -> list[ReconcileReport]:
    """One account's reconciliation now; ``repair`` applies the safe repairs."""
    if not reconcilable(connector):
        raise InvalidInput.field(
            "ACCOUNT", account.name, "is neither a sales channel nor a warehouse"
        )
    return await reconcile_account(
        sessions,
        connector,
        now=now,
        since=since,
        repair=repair,
        tolerance=tolerance_for(account, tolerance),
    )


def report_line(report: ReconcileReport) -> str:
    """One sentence per run, as ``channelhub reconcile`` prints above its table."""
    found = report.counts.get("discrepancies", {})
    total = sum(found.values())
    repairs = report.counts.get("repairs")
    waiting = sum(1 for d in report.discrepancies if d.repair_status == "pending")
    done = (
        f", repairs made {repairs['applied']}, failed {repairs['failed']}"
        if repairs
        else f"; {waiting} safe to repair with --repair"
        if waiting
        else ""
    )
    return (
        f"{report.platform} account {report.account} ({report.scope}), run {report.run_id}: "
        f"{total} discrepancies{done}"
    )


def repair_text(item: StoredDiscrepancy) -> str:
    """What became of a discrepancy's repair, in a few words."""
    kind = item.repair_kind.replace("_", " ")
    match item.repair_status:
        case "applied":
            return f"{kind}: made"
        case "failed":  # the reason, not only in --json: the seller has to act on it
            return f"{kind}: failed: {item.repair_note}" if item.repair_note else f"{kind}: failed"
        case "pending":
            return f"{kind}: safe, not applied"
        case "none":
            return "none needed"
    return f"{kind}: proposed"
