"""What planning an order reads besides the order, read once per order or per chunk.

:class:`Planner` holds the pairing book, the catalog, the warehouses' addresses, those whose
stock was never told and the carton rules, and plans in two passes: :meth:`Planner.until_stock`
names the SKUs to lock, :meth:`Planner.with_stock` finishes the plan once they are locked.

Loaded for given orders (:meth:`Planner.load` with ``orders``), it reads only what those
orders can touch, so planning costs the same for a seller with ten SKUs or a hundred
thousand: the book holds just the bindings naming their lines' channel SKUs or listing ids,
and the catalog just the SKUs those bind, those pairing could suggest for a line with no
binding (its channel SKU as written, stripped or rewritten by a rule:
:func:`~channelhub.core.pairing.written_forms`, found by reading the library's codes alone),
and every component under them. The batch loads a planner for its first chunk and moves it
on to the next ones (:meth:`Planner.for_orders`): the warehouses' details are read once per
run, and so is a whole catalog if one was ever needed (``whole_catalog``: a listing with
identifiers, which pairing matches against every SKU; order lines carry none). An import
run moves one planner on from page to page (:meth:`Planner.for_page`: the warehouse facts
read again for each page, one query). Its memos (:class:`Memos`) go with it, and a book or
catalog read equal to the one before is kept as that instance, so what was worked out for
it serves the next orders.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from operator import attrgetter
from typing import NamedTuple

from sqlalchemy.orm import Session

from channelhub.core.allocation import Ranking
from channelhub.core.allocation_config import AllocationConfig
from channelhub.core.allocation_quotes import Quotes
from channelhub.core.bindings import ListingRef, PairingBook, PairingConflict
from channelhub.core.cartons import CartonView
from channelhub.core.catalog import Catalog
from channelhub.core.flow import OrderPlan, Outcomes, plan_order, plan_stock
from channelhub.core.geography import Origin
from channelhub.core.order import Order, OrderKey
from channelhub.core.pairing import PairingConfig, written_forms
from channelhub.core.reservations import Reservations
from channelhub.core.review import ReviewRules
from channelhub.core.stock import Balance
from channelhub.store.repos.catalog import codes_written_as, load_catalog
from channelhub.store.repos.pairings import BuiltBindings, load_book
from channelhub.store.repos.warehouse_facts import (
    WarehouseFacts,
    planning_warehouses,
    warehouse_facts,
)


@dataclass(frozen=True)
class PipelineSettings:
    """The validated rule sets the pipeline applies (loaded from config by the caller)."""

    pairing: PairingConfig = field(default_factory=PairingConfig)
    review: ReviewRules = field(default_factory=ReviewRules)
    allocation: AllocationConfig = field(default_factory=AllocationConfig)
    #: live warehouse quotes by order key (``str(OrderKey)``) -> warehouse -> quote, fetched
    #: by the caller before the run (:mod:`channelhub.jobs.orders.previews`); empty: none
    quotes: Mapping[str, Quotes] = field(default_factory=dict)


def listings_of(orders: Iterable[Order]) -> list[ListingRef]:
    """The listings the orders' lines sold (what pairing looks up), each once: a chunk's
    hundred orders sell a few listings, each then built, read and resolved once."""
    found: dict[tuple[str, str, tuple[str | None, str | None, str | None]], ListingRef] = {}
    for order in orders:
        channel, account = order.channel, order.account
        for line in order.lines:
            sold = (channel, account, _sold(line))  # what ListingRef.of_line reads
            if sold not in found:
                found[sold] = ListingRef.of_line(order, line)
    return list(found.values())


#: What :meth:`ListingRef.of_line` reads of a line (its order's channel and account aside).
_sold = attrgetter("listing_id", "variation_id", "channel_sku")


class Memos(NamedTuple):
    """What a planner remembers of the orders it planned, kept by the planners it moves on
    to: every entry is keyed by the instances it was worked out from (the book, catalog and
    config of a staging, the lines of a decision, ...), kept alive in the entry, so a book
    or catalog read anew (another instance) is never answered from an old one's entries;
    the ranking alone reads the rules and addresses it was made for, and is made anew for
    others (:meth:`~channelhub.core.allocation.Ranking.serves`). The bindings built from
    the rows its books were read from are keyed by those rows' values (a binding is a
    frozen value of them): a book read anew is still read, and built of the same values."""

    ranking: Ranking
    outcomes: Outcomes
    reservations: Reservations
    bindings: BuiltBindings


@dataclass(frozen=True)
class Planner:
    """What planning reads besides the order; see the module docstring."""

    settings: PipelineSettings
    catalog: Catalog
    book: PairingBook
    origins: dict[str, Origin]
    unknown: frozenset[str]
    cartons: CartonView
    #: the catalog is the whole library (not just the SKUs the orders' bindings name), kept
    #: as such by :meth:`for_orders` (False: it reads what the next orders can touch)
    whole_catalog: bool = True
    #: the listings of the orders it was loaded for (None: every listing)
    listings: tuple[ListingRef, ...] | None = None
    #: what the planner remembers of the orders it planned (:class:`Memos`): carried to the
    #: planners it moves on to (:meth:`for_orders`, :meth:`rebound`, ``replace``), its
    #: allocation memo made anew for other rules or addresses
    memos: Memos | None = field(default=None, repr=False, compare=False)
    #: the warehouse facts its origins, unknown stock and carton rules were built from
    #: (:func:`~channelhub.store.repos.warehouse_facts.warehouse_facts`; None: not read so)
    facts: WarehouseFacts | None = field(default=None, repr=False, compare=False)

    #: allocation's memo for these rules and warehouses, shared by every order it plans
    #: (the memos', made anew for other rules or addresses)
    ranking: Ranking = field(init=False, repr=False, compare=False)
    #: the lines' outcomes it planned, shared by every order it plans (frozen values)
    outcomes: Outcomes = field(init=False, repr=False, compare=False)
    #: the reservations' parts it worked out, shared by every order it plans (frozen values)
    reservations: Reservations = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        memos, allocation = self.memos, self.settings.allocation
        if memos is None:
            memos = Memos(Ranking(allocation, self.origins), Outcomes(), Reservations(), {})
        elif not memos.ranking.serves(allocation, self.origins):
            memos = memos._replace(ranking=Ranking(allocation, self.origins))
        object.__setattr__(self, "memos", memos)
        object.__setattr__(self, "ranking", memos.ranking)
        object.__setattr__(self, "outcomes", memos.outcomes)
        object.__setattr__(self, "reservations", memos.reservations)

    @classmethod
    def load(
        cls, session: Session, settings: PipelineSettings, *, orders: Sequence[Order] | None = None
    ) -> Planner:
        """Everything (``orders`` None) or what ``orders`` can touch."""
        listings = None if orders is None else listings_of(orders)
        book = load_book(session, listings)
        wanted = _skus_to_read(session, book, listings, settings.pairing)
        facts = warehouse_facts(session)
        origins, unknown, cartons = planning_warehouses(facts)
        return cls(
            settings=settings,
            catalog=load_catalog(session, wanted),
            book=book,
            origins=origins,
            unknown=unknown,
            cartons=cartons,
            whole_catalog=wanted is None,
            listings=None if listings is None else tuple(listings),
            facts=facts,
        )

    def for_orders(self, session: Session, orders: Sequence[Order]) -> Planner:
        """This planner for the next orders of the same run (the batch's next chunk): their
        bindings and SKUs read anew; the warehouses' addresses, stock knowledge and carton
        rules, read once per run like the catalog, kept, and a whole catalog already read.
        A book or catalog read equal to this planner's is this planner's instance, so the
        memos' entries for it (keyed by instance) serve the next orders too."""
        listings = listings_of(orders)
        book = _same_book(self._book(session, listings), self.book)
        if self.whole_catalog:
            return replace(self, book=book, listings=tuple(listings))
        wanted = _skus_to_read(session, book, listings, self.settings.pairing)
        catalog = _same_catalog(load_catalog(session, wanted), self.catalog)
        return replace(
            self, book=book, catalog=catalog, whole_catalog=wanted is None, listings=tuple(listings)
        )

    def for_page(self, session: Session) -> Planner:
        """This planner for an import's next page, to move on with :meth:`for_orders`
        (:class:`~channelhub.jobs.orders.page_planning.PagePlanning`): the warehouse facts
        read again (one small query) and a whole catalog not kept, as a planner loaded for
        the page reads them, so a warehouse registered or told its stock, a carton rule or a
        SKU added during a long import counts from the next page; facts read equal keep
        this planner's addresses, and so its allocation memo."""
        facts = warehouse_facts(session)
        if facts == self.facts:
            return replace(self, whole_catalog=False) if self.whole_catalog else self
        origins, unknown, cartons = planning_warehouses(facts)
        return replace(
            self,
            origins=origins,
            unknown=unknown,
            cartons=cartons,
            facts=facts,
            whole_catalog=False,
        )

    def rebound(self, session: Session) -> Planner:
        """This planner with its book read again (after the caller saved a binding)."""
        return replace(self, book=_same_book(self._book(session, self.listings), self.book))

    def _book(self, session: Session, listings: Sequence[ListingRef] | None) -> PairingBook:
        """The book of ``listings`` read anew, of the bindings this planner built before
        where the rows read are the same (:class:`Memos`)."""
        return load_book(
            session, listings, built=None if self.memos is None else self.memos.bindings
        )

    def until_stock(
        self, order: Order, key: OrderKey, *, approved_by_hand: bool, now: datetime
    ) -> OrderPlan:
        # the reference names the order's movements, which a plan stopped until stock has
        # none of (it stops before reserving, or has nothing to allocate): formatted only to
        # find the order's live quotes, when there are any (~0.4 µs an order)
        reference = str(key) if self.settings.quotes else None
        return plan_order(
            order,
            catalog=self.catalog,
            book=self.book,
            pairing_config=self.settings.pairing,
            review_rules=self.settings.review,
            allocation_config=self.settings.allocation,
            balances={},
            now=now,
            reference=reference,
            approved_by_hand=approved_by_hand,
            origins=self.origins,
            stock_unknown=self.unknown,
            cartons=self.cartons,
            quotes=self._quotes(reference),
            until_stock=True,
            ranking=self.ranking,
            outcomes=self.outcomes,
            reservations=self.reservations,
        )

    def with_stock(
        self,
        order: Order,
        key: OrderKey,
        first: OrderPlan,
        balances: Mapping[tuple[str, str], Balance],
        *,
        now: datetime,
    ) -> OrderPlan:
        reference = str(key)
        return plan_stock(
            order,
            first,
            balances=balances,
            allocation_config=self.settings.allocation,
            now=now,
            reference=reference,
            origins=self.origins,
            stock_unknown=self.unknown,
            cartons=self.cartons,
            quotes=self._quotes(reference),
            ranking=self.ranking,
            outcomes=self.outcomes,
            reservations=self.reservations,
        )

    def _quotes(self, reference: str | None) -> Quotes | None:
        """The live quotes for the order ``reference`` names (most runs have none at all)."""
        quotes = self.settings.quotes
        return quotes.get(reference) if quotes and reference is not None else None


def _same_book(read: PairingBook, held: PairingBook) -> PairingBook:
    """``held`` when ``read`` holds the same bindings in the same order (it resolves every
    listing alike), else ``read``."""
    return held if read.bindings() == held.bindings() else read


def _same_catalog(read: Catalog, held: Catalog) -> Catalog:
    """``held`` when ``read`` holds the same SKUs in the same order, else ``read``."""
    return held if len(read) == len(held) and list(read) == list(held) else read


def _skus_to_read(
    session: Session, book: PairingBook, listings: list[ListingRef] | None, config: PairingConfig
) -> set[str] | None:
    """The SKUs planning ``listings`` can touch: those they are bound to and, for a listing
    with no binding, the codes pairing would suggest (written as its channel SKU, stripped,
    or rewritten by a rule); None when that is the whole library (no listings named, or
    one carries identifiers, which pairing matches against every SKU)."""
    if listings is None:
        return None
    skus: set[str] = set()
    forms: set[str] = set()
    for listing in listings:
        try:
            binding = book.resolve(listing)
        except PairingConflict:
            continue  # the line waits for the seller; pairing names the conflict
        if binding is not None:
            skus.add(binding.sku)
            continue
        written = written_forms(listing, config)
        if written is None:
            return None
        forms |= written
    return skus | codes_written_as(session, forms, case_sensitive=config.case_sensitive)
