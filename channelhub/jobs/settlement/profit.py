"""The profit service: per order, SKU, channel or month, as the CLI and the console show it.

Every figure comes from one SQL query (:mod:`channelhub.store.repos.profit`); this module
only names the columns, formats the amounts and lists what keeps figures incomplete (a
missing rate, a SKU without a cost, period costs no order took). Tables are
:class:`~channelhub.jobs.analytics.reports.Report` values, so ``--csv`` and the console's
download print the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from channelhub.core.errors import InvalidInput
from channelhub.core.profit import FinanceConfig
from channelhub.jobs.analytics.reports import Report
from channelhub.store.repos.profit import (
    BY,
    FIGURES,
    ProfitQuery,
    ProfitRow,
    profit_by_order,
    profit_grouped,
    profit_problems,
)

#: Orders shown in a table when no limit is given (the CSV has them all).
DEFAULT_LIMIT = 200
_DIRECT = FIGURES[:8]  # revenue .. direct_profit
_KEY_COLUMNS = {
    "order": ["order", "channel", "account", "month"],
    "sku": ["sku"],
    "channel": ["channel"],
    "month": ["month"],
}


@dataclass(frozen=True)
class ProfitOptions:
    """What ``finance profit`` was asked for."""

    by: str = "order"
    since: datetime | None = None
    until: datetime | None = None
    channel: str | None = None
    limit: int | None = DEFAULT_LIMIT


def _query(finance: FinanceConfig, options: ProfitOptions) -> ProfitQuery:
    return ProfitQuery(
        currency=finance.currency,
        rule=finance.allocation,
        since=options.since,
        until=options.until,
        channel=options.channel,
    )


def _cells(by: str, row: ProfitRow) -> list[object]:
    keys: list[object] = (
        [row.key, row.channel, row.account, row.month] if by == "order" else [row.key]
    )
    counts: list[object] = [] if by == "order" else [row.orders]
    complete = "yes" if row.complete else _incomplete(row)
    return [
        *keys,
        *counts,
        row.units,
        *(cents(row.figures[f]) for f in _DIRECT),
        cents(row.figures["allocated"]),
        cents(row.figures["profit"]),
        complete,
    ]


def cents(amount: Decimal) -> str:
    """An amount as printed: two decimals (sums keep every millionth until here)."""
    return str(amount.quantize(Decimal("0.01")))


def _incomplete(row: ProfitRow) -> str:
    parts = []
    if row.missing_fx:
        parts.append(f"{row.missing_fx} amount(s) without a rate")
    if row.missing_cost:
        parts.append(f"{row.missing_cost} line(s) without a cost")
    return "no: " + ", ".join(parts)


def profit_report(session: Session, finance: FinanceConfig, options: ProfitOptions) -> Report:
    """The profit table (per order, or summed per SKU, channel or month) with its notes."""
    if options.by not in BY:
        raise InvalidInput.field("--by", options.by, f"is not one of {', '.join(BY)}")
    q = _query(finance, options)
    by = options.by
    if by == "order":
        rows = list(profit_by_order(session, q, limit=options.limit))
    else:
        rows = profit_grouped(session, q, by=by)
    columns = [
        *_KEY_COLUMNS[by],
        *([] if by == "order" else ["orders"]),
        "units",
        *_DIRECT,
        "allocated",
        "profit",
        "complete",
    ]
    report = Report(
        title=f"Profit per {by} in {finance.currency} (allocated: period costs shared by "
        f"{finance.allocation.value}, apart from the direct costs)",
        columns=columns,
        rows=[_cells(by, row) for row in rows],
    )
    if by == "order" and options.limit is not None and len(rows) == options.limit:
        report.notes.append(f"first {options.limit} orders shown (--limit, or --csv for all)")
    report.notes.extend(problem_lines(session, q))
    return report


def problem_lines(session: Session, q: ProfitQuery) -> list[str]:
    """One line per thing that keeps the figures incomplete (empty: nothing)."""
    problems = profit_problems(session, q)
    lines = [f"problem: {missing}" for missing in problems.missing_rates]
    lines += [
        f"problem: {amount} {q.currency} of period costs in {month} ({scope}) had no order "
        "to be allocated to"
        for month, scope, amount in problems.unallocated
    ]
    if problems.unlinked_lines:
        lines.append(
            f"problem: {problems.unlinked_lines} ledger line(s) name an order the hub does not "
            "have (import its orders first)"
        )
    return lines
