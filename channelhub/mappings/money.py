"""Money lines that stay right when a provider releases what it first reported deferred.

The ledger is append-only (a known line is never updated), but a provider reports the same
transaction twice over its life: deferred (not yet in a payout), then released with its
payout. A mapping therefore writes every line of a released transaction as three:

- the base line, always *deferred* and without payout (component ``c``): the very line a
  deferred report of the same transaction wrote, so it is stored once whichever came first;
- its reversal, deferred, minus the amount (component ``c@P~``);
- the released line with its payout ``P`` (component ``c@P``).

Whatever the provider showed first, the ledger then sums to the amount once in all, to the
amount among the payout's released lines, and to nothing among the deferred ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from channelhub.core.settlement import MoneyLine, MoneyStatus


def settled(lines: Iterable[MoneyLine]) -> tuple[MoneyLine, ...]:
    """``lines`` as the ledger stores them: deferred ones as they are, released ones with a
    payout as the three lines above (released without a payout stay as they are)."""
    stored: list[MoneyLine] = []
    for line in lines:
        payout = line.payout_ref
        if line.status is not MoneyStatus.RELEASED or payout is None:
            stored.append(line)
            continue
        base = replace(line, status=MoneyStatus.DEFERRED, payout_ref=None)
        stored.append(base)
        stored.append(replace(base, component=f"{line.component}@{payout}~", amount=-line.amount))
        stored.append(replace(line, component=f"{line.component}@{payout}"))
    return tuple(stored)
