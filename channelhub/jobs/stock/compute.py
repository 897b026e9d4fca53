"""Sellable quantities of stored listings: which SKU each ships, and the formula's answer.

The read side of stock back-sync, shared by the push job and ``channelhub stock explain``:
pairing book, product library and ledger balances are read from the store, and
:func:`channelhub.core.sellable.sellable` does the arithmetic. One balance query covers every
stock SKU the chosen listings need. The rulebook file (``[stock]``, ``[allocation]``) is read
here too so that the CLI and the scheduled job apply the same rules.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from channelhub.core.bindings import ListingRef, PairingBook
from channelhub.core.catalog import Catalog
from channelhub.core.errors import ChannelhubError, ConfigError, InvalidInput, NotFound
from channelhub.core.listing import Listing, ListingStatus
from channelhub.core.push_safety import unknown_warehouses
from channelhub.core.rulebook import Rulebook, load_rulebook
from channelhub.core.sellable import SellableExplanation, StockRules, effective_rule, sellable
from channelhub.store.repos.cartons import carton_rules
from channelhub.store.repos.catalog import load_catalog
from channelhub.store.repos.listings import list_listings
from channelhub.store.repos.pairings import load_book
from channelhub.store.repos.stock import stock_balances


def load_rules(path: Path | None, *, home: Path) -> Rulebook:
    """The rulebook from ``path``, else ``<home>/rules.toml``, else the defaults (no buffer,
    full share, every warehouse)."""
    chosen = path or home / "rules.toml"
    if path is None and not chosen.exists():
        return load_rulebook({})
    try:
        data = tomllib.loads(chosen.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"rules file {chosen} does not exist") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"rules file {chosen} is not valid TOML: {error}") from None
    return load_rulebook(data, source=str(chosen))


@dataclass(frozen=True)
class Target:
    """A listing, the local SKU it ships and the stock SKUs behind that."""

    listing: Listing
    sku: str
    multiplier: int
    needs: dict[str, int]  # stock SKU -> base units per bundle unit


@dataclass
class Resolved:
    """Resolved targets, unpaired listings counted, unresolvable ones named with the reason."""

    targets: list[Target] = field(default_factory=list)
    unpaired: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)
    #: paired listings the channel itself ships from its own stock (Amazon FBA): never pushed
    channel_fulfilled: list[Target] = field(default_factory=list)

    def without_channel_fulfilled(self) -> Resolved:
        """The same, with the channel-fulfilled targets moved out of ``targets``."""
        mine = [t for t in self.targets if t.listing.fulfilment_network is None]
        theirs = [t for t in self.targets if t.listing.fulfilment_network is not None]
        return Resolved(mine, self.unpaired, self.problems, self.channel_fulfilled + theirs)


def resolve(listings: Iterable[Listing], *, book: PairingBook, catalog: Catalog) -> Resolved:
    """Which local SKU (x multiplier) each listing ships, and the stock SKUs behind it."""
    out = Resolved()
    for listing in listings:
        if listing.status is ListingStatus.DELETED:
            continue
        try:
            binding = book.resolve(ListingRef.of_listing(listing))
            if binding is None:
                out.unpaired += 1
                continue
            needs = catalog.stock_units(binding.sku)
        except ChannelhubError as problem:  # pairing conflict, SKU not in the library
            out.problems.append((str(listing.key), str(problem)))
            continue
        out.targets.append(Target(listing, binding.sku, binding.multiplier, needs))
    return out


def unknown_stock(
    listing: Listing,
    *,
    rules: StockRules,
    allowed_warehouses: Sequence[str] | None,
    known_at: Mapping[str, datetime | None],
) -> tuple[str, ...]:
    """The warehouses serving ``listing`` (its rule's, else the allocation's allowed, else
    every registered one) whose stock the hub does not know: while any is, it is not pushed."""
    return unknown_stock_at(
        channel=listing.channel,
        account=listing.account,
        listing=str(listing.key),
        rules=rules,
        allowed_warehouses=allowed_warehouses,
        known_at=known_at,
    )


def unknown_stock_at(
    *,
    channel: str,
    account: str,
    listing: str,
    rules: StockRules,
    allowed_warehouses: Sequence[str] | None,
    known_at: Mapping[str, datetime | None],
) -> tuple[str, ...]:
    """:func:`unknown_stock` of the listing keyed ``listing`` (no Listing needed: the
    mass-drop guard's count reads keys only)."""
    rule = effective_rule(rules, channel=channel, account=account, listing=listing)
    allowed = rule.warehouses if rule.warehouses is not None else allowed_warehouses
    return unknown_warehouses(allowed, known_at)


def explain(
    session: Session,
    targets: Sequence[Target],
    *,
    catalog: Catalog,
    rules: StockRules,
    allowed_warehouses: Sequence[str] | None,
) -> list[SellableExplanation]:
    """The sellable quantity of each target, from one balance query over the SKUs needed."""
    wanted = {sku for target in targets for sku in target.needs}
    balances = list(stock_balances(session, skus=wanted).values()) if wanted else []
    cartons = carton_rules(session, skus=wanted) if wanted else {}
    return [
        sellable(
            listing=str(target.listing.key),
            channel=target.listing.channel,
            account=target.listing.account,
            sku=target.sku,
            multiplier=target.multiplier,
            catalog=catalog,
            balances=[b for b in balances if b.sku in target.needs],
            rules=rules,
            allowed_warehouses=allowed_warehouses,
            cartons=cartons,
        )
        for target in targets
    ]


def compute_sellable(
    session: Session,
    *,
    channel: str,
    account: str,
    rules: StockRules,
    now: datetime,
    allowed_warehouses: Sequence[str] | None = None,
) -> list[tuple[Listing, SellableExplanation]]:
    """Every paired listing of one account with its sellable quantity, explained.

    Unpaired listings and those whose pairing cannot be resolved are left out (``push_stock``
    counts and names them). ``now`` is accepted for the job signature; the ledger as stored
    is the state at ``now``.
    """
    del now
    catalog = load_catalog(session)
    resolved = resolve(
        list_listings(session, channel=channel, account=account),
        book=load_book(session),
        catalog=catalog,
    )
    explained = explain(
        session,
        resolved.targets,
        catalog=catalog,
        rules=rules,
        allowed_warehouses=allowed_warehouses,
    )
    return [(t.listing, e) for t, e in zip(resolved.targets, explained, strict=True)]


def explain_listing(
    session: Session,
    listing: Listing,
    *,
    rules: StockRules,
    allowed_warehouses: Sequence[str] | None = None,
) -> SellableExplanation:
    """One listing's explanation; NotFound / PairingConflict when it has no single SKU."""
    # the book of the bindings naming it and the catalog of the SKUs they bind: the same
    # answer as the whole book and library, without reading them
    book = load_book(session, [ListingRef.of_listing(listing)])
    catalog = load_catalog(session, {binding.sku for binding in book})
    resolved = resolve([listing], book=book, catalog=catalog)
    if resolved.problems:
        raise InvalidInput.field("listing", str(listing.key), resolved.problems[0][1])
    if not resolved.targets:
        raise NotFound(f"listing {listing.key} is not paired to a local SKU: nothing to push")
    (explanation,) = explain(
        session,
        resolved.targets,
        catalog=catalog,
        rules=rules,
        allowed_warehouses=allowed_warehouses,
    )
    return explanation
