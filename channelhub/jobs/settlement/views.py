"""Settlement results as tables (:class:`Report`): what the CLI prints and the console shows."""

from __future__ import annotations

from collections.abc import Sequence

from channelhub.core.discrepancy import Discrepancy
from channelhub.core.settlement_checks import PayoutSums
from channelhub.jobs.analytics.reports import Report
from channelhub.jobs.settlement.profit import cents
from channelhub.store.repos.reconcile import StoredDiscrepancy


def discrepancy_report(found: Sequence[Discrepancy | StoredDiscrepancy], *, title: str) -> Report:
    """Discrepancies (a run's, or found now): class, subject, expected, ledger, explanation."""
    rows: list[list[object]] = []
    for d in found:
        other = d.other_value
        shown = _lines(other) if isinstance(other, list | tuple) else other
        rows.append(
            [str(d.discrepancy_class), "/".join(str(v) for v in d.subject.values()), d.hub_value,
             shown, d.explanation]
        )  # fmt: skip
    return Report(
        title=title,
        columns=["class", "subject", "expected", "ledger", "explanation"],
        rows=rows,
    )


#: Lines of a payout discrepancy shown in its table cell (all are listed with the payouts).
SHOWN_LINES = 3


def _lines(lines: Sequence[object]) -> str:
    """A payout discrepancy's lines in one cell: how many and the first few (a payout of
    hundreds of lines would otherwise make a cell no one can read)."""
    shown = "; ".join(str(line) for line in lines[:SHOWN_LINES])
    more = len(lines) - SHOWN_LINES
    return f"{len(lines)} line(s): {shown}" + (f"; ... {more} more" if more > 0 else "")


def payouts_report(payouts: Sequence[PayoutSums]) -> Report:
    """One row per payout: its amount, the released lines it pays out, the difference."""
    rows: list[list[object]] = []
    notes: list[str] = []
    for p in payouts:
        paid = "" if p.amount is None else cents(-p.amount)
        difference = "" if p.difference is None else cents(p.difference)
        status = "ok" if p.reconciles else ("no payout" if p.amount is None else "differs")
        rows.append(
            [p.account, p.payout, p.posted, p.currency, paid, cents(p.released), p.lines,
             difference, status]
        )  # fmt: skip
        if not p.reconciles:
            notes.append(f"{p.account} {p.payout} ({status}): its lines")
            notes.extend(f"  {line}" for line in p.listed)
    return Report(
        title="Payouts against their released lines",
        columns=["account", "payout", "posted", "currency", "paid", "lines sum", "lines",
                 "difference", "status"],
        rows=rows,
        notes=notes,
    )  # fmt: skip
