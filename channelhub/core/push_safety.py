"""Stock push safety: the decisions that keep a push from hurting a seller. Pure.

Two guards stand between the sellable formula and a channel:

- **Unknown stock.** A warehouse whose stock the hub never learned (never set, imported or
  pulled) has no ledger balance, which the formula would read as 0. A listing that warehouse
  serves is therefore not pushed at all: :func:`unknown_warehouses` names the warehouses that
  make a listing's position unknown.
- **Mass drop.** A push that would zero or more than halve many of an account's listings at
  once is far more often a mistake (a wrong import, a warehouse dropped from the rules, a WMS
  answering an empty page) than a run of sales. :func:`check_mass_drop` decides whether a push
  must stop and wait for the seller's ``--confirm``.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

#: The share of an account's pushed listings a push may drop (to 0, or by more than half) at
#: once before it stops (``[stock] mass_drop_share`` in config.toml overrides it).
DEFAULT_MASS_DROP_SHARE = Decimal("0.2")

#: The share applies to at least this many listings. With 1-4 listings a share is too coarse
#: (one listing of four is 25%): counted as five, an account of 2-4 listings stops when two or
#: more drop in one push, while a single listing selling out passes. A seller's only listing
#: going to 0 is what a sale-out looks like, so it is not stopped; the unknown-stock guard is
#: what keeps a first push from zeroing it out of ignorance.
MIN_LISTINGS_FOR_SHARE = 5


def unknown_warehouses(
    allowed: Collection[str] | None, known_at: Mapping[str, datetime | None]
) -> tuple[str, ...]:
    """The warehouses serving a listing whose stock the hub does not know, sorted.

    ``allowed`` is the listing's allowed warehouses for the formula (None: every registered
    warehouse); ``known_at`` maps every registered warehouse to when its stock was last set,
    imported or pulled (None: never). A warehouse allowed but not registered is unknown too.
    """
    serving = known_at.keys() if allowed is None else allowed
    return tuple(sorted(code for code in set(serving) if known_at.get(code) is None))


@dataclass(frozen=True)
class Drop:
    """One listing a push would cut: from what the channel holds to what the hub would push."""

    listing: str
    before: int
    after: int

    def render(self) -> str:
        return f"{self.listing}: {self.before} -> {self.after}"


def is_drop(before: int | None, after: int) -> bool:
    """A cut to 0 or by more than half of a quantity the channel is known to hold."""
    return before is not None and before > 0 and after * 2 < before


@dataclass(frozen=True)
class MassDropDecision:
    """Whether a push may go ahead, and the listings it would cut."""

    blocked: bool
    drops: tuple[Drop, ...]
    listings: int  # the account's pushed listings the share is taken of
    allowed_drops: int  # how many drops pass without confirmation
    share: Decimal

    def reason(self) -> str:
        """One sentence for the job log, ``stock explain`` and the CLI."""
        return (
            f"stock push stopped: it would cut {len(self.drops)} of {self.listings} listings "
            f"({self._how()}), more than the {self.share:%} allowed at once"
        )

    def _how(self) -> str:
        """How the drops cut: "all to 0", "none to 0, 2 by more than half", "1 to 0, 1 by ..."."""
        zeroed = sum(1 for d in self.drops if d.after == 0)
        halved = len(self.drops) - zeroed
        if not halved:
            return "all to 0"
        return f"{zeroed or 'none'} to 0, {halved} by more than half"


def check_mass_drop(
    changes: Iterable[tuple[str, int | None, int]],
    *,
    listings: int,
    share: Decimal = DEFAULT_MASS_DROP_SHARE,
) -> MassDropDecision:
    """Stop a push that cuts more than ``share`` of an account's ``listings``.

    ``changes`` are the (listing, quantity the channel holds or None when unknown, quantity
    to push) of one push; a change from an unknown quantity is not a drop (nothing says what
    is lost). A push passes when it cuts at most ``floor(share x max(listings, 5))`` listings
    (see :data:`MIN_LISTINGS_FOR_SHARE` for why five).
    """
    if not 0 <= share <= 1:
        raise ValueError(f"mass drop share {share} is not between 0 and 1")
    drops = tuple(
        sorted(
            (Drop(listing, before, after) for listing, before, after in changes
             if before is not None and is_drop(before, after)),
            key=lambda d: d.listing,
        )
    )  # fmt: skip
    base = max(listings, len(drops), MIN_LISTINGS_FOR_SHARE)
    allowed = math.floor(share * base)
    return MassDropDecision(
        blocked=len(drops) > allowed,
        drops=drops,
        listings=max(listings, len(drops)),
        allowed_drops=allowed,
        share=share,
    )
