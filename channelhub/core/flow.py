"""The order flow as one pure function: pair -> expand -> review -> allocate -> reserve.

:func:`plan_order` decides everything the hub does with an order, given the catalog, the
bindings, the rules and the balances, and returns an :class:`OrderPlan`: the status to move to,
what happened to every line (reserved, waiting with its reason, cancelled, shipped or left to
the channel), the new automatic bindings, and the ledger movements to write. The store applies
the plan in one transaction and records each decision with its reason; nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from operator import attrgetter
from typing import Annotated, Any

from pydantic import BaseModel

from channelhub.core.allocation import AllocationResult, Ranking, allocate
from channelhub.core.allocation_config import AllocationConfig
from channelhub.core.allocation_quotes import Quotes
from channelhub.core.bindings import Binding, ListingRef, PairingBook, PairingConflict
from channelhub.core.cartons import CartonView
from channelhub.core.catalog import Catalog, ExpandedLine
from channelhub.core.geography import Origins
from channelhub.core.lifecycle import HubStatus
from channelhub.core.memo import MEMO_LIMIT, remember
from channelhub.core.order import ChannelOrderState, Order, OrderLine
from channelhub.core.pairing import PairingConfig, PairingOutcome, pair
from channelhub.core.reservations import ReservationPlan, Reservations, reserve
from channelhub.core.review import HoldReason, ReviewDecision, ReviewRules, review
from channelhub.core.stock import Available, Balance
from channelhub.core.types import VALUE_CONFIG, AsTuple, copies_plainly, rebuilt, replaced

#: The reason of a plan stopped ``until_stock``: only stock is left to decide.
STOCK_TO_ALLOCATE = "stock to allocate"

#: Line outcomes (and plans) an :class:`Outcomes` keeps before it forgets them all: a bound,
#: not a size planning reaches (orders' lines share a few ids, states, reasons and bindings).
OUTCOMES_LIMIT = MEMO_LIMIT


class LineState(StrEnum):
    """Where one order line stands after planning. Every line is in exactly one."""

    RESERVED = "reserved"
    WAITING = "waiting"  # with a reason: unpaired, on hold, no stock
    CANCELLED = "cancelled"
    SHIPPED = "shipped"
    CHANNEL_FULFILLED = "channel_fulfilled"


class LineOutcome(BaseModel):
    """What happened to one order line, and why."""

    model_config = VALUE_CONFIG

    line_id: str
    state: LineState
    reason: str
    binding: Binding | None = None
    warehouse: str | None = None


_Said = tuple[str, LineState, str, int, str | None]  # a line outcome, its binding by id
#: a plan before stock: status, reason, its parts by identity (lines, pairings, new
#: bindings, then expansion and review when reviewed)
_Planned = tuple[HubStatus, str, tuple[int, ...], tuple[int, ...], tuple[int, ...], object]
_Reviewed = tuple[tuple[ExpandedLine, ...], ReviewDecision | None]
_Moved = tuple[int, int, str]  # lines moved on by an allocation (by identity), for a reason
_Finished = tuple[HubStatus, str, tuple[int, int] | None]  # a status, reason, review by identity
#: what staging reads of an order: the catalog, book and pairing config (by identity), its
#: channel and account, and each line's id, quantities and listing
_Shape = tuple[
    int,
    int,
    int,
    str,
    str,
    tuple[tuple[str, int, int, int, str | None, str | None, str | None], ...],
]


#: all staging reads of an order line: its id, quantities and listing
_line_shape = attrgetter(
    "line_id",
    "quantity",
    "cancelled_quantity",
    "shipped_quantity",
    "listing_id",
    "variation_id",
    "channel_sku",
)


def _ids(values: tuple[object, ...]) -> tuple[int, ...]:
    return tuple(map(id, values))


class Outcomes:
    """One frozen :class:`LineOutcome` per (line id, state, reason, binding, warehouse):
    orders' lines share a few ids ("1", "2"), reasons and bindings, so a caller planning many
    orders keeps one and each outcome is validated once, not twice per line of every order.
    A binding is told apart by identity (the book's own instance, kept in the entry so its
    id cannot be reused while it is there). Likewise one plan before stock per status,
    reason and parts (:meth:`plan`), an order's lines paired and expanded once per shape of
    its lines (:meth:`staged`, with its plans, :meth:`finished`; equal holds share one
    review, :meth:`held`) and a plan's lines moved on once per allocation (:meth:`moved`).
    Each memo is emptied at :data:`OUTCOMES_LIMIT` entries."""

    __slots__ = ("_held", "_made", "_moved", "_plans", "_reserved", "_staged")

    def __init__(self) -> None:
        self._made: dict[_Said, tuple[Binding | None, LineOutcome]] = {}
        self._plans: dict[_Planned, tuple[object, OrderPlan]] = {}
        self._moved: dict[_Moved, tuple[object, tuple[LineOutcome, ...]]] = {}
        self._staged: dict[_Shape, tuple[object, _Staged]] = {}
        self._held: dict[tuple[HoldReason, ...], ReviewDecision] = {}
        self._reserved: dict[tuple[int, int, str], tuple[object, OrderPlan]] = {}

    def line(
        self,
        line_id: str,
        state: LineState,
        reason: str,
        binding: Binding | None = None,
        warehouse: str | None = None,
    ) -> LineOutcome:
        """The outcome with these fields (made the first time it is asked for)."""
        key = (line_id, state, reason, id(binding), warehouse)
        found = self._made.get(key)
        if found is not None and found[0] is binding:
            return found[1]
        made = LineOutcome(
            line_id=line_id, state=state, reason=reason, binding=binding, warehouse=warehouse
        )
        remember(self._made, key, (binding, made))
        return made

    def staged(
        self, order: Order, catalog: Catalog, book: PairingBook, config: PairingConfig
    ) -> _Staged:
        """``order``'s lines settled, paired and expanded (:func:`_stage`), worked out once
        per shape: all of it reads of the order its channel, account and each line's id,
        counts and listing, and the same listings sell in the same quantities order after
        order (the catalog, book and config told apart by identity, kept in the entry)."""
        key = (
            id(catalog),
            id(book),
            id(config),
            order.channel,
            order.account,
            tuple(map(_line_shape, order.lines)),
        )
        found = self._staged.get(key)
        if found is not None:
            return found[1]
        made = _stage(self, order, catalog, book, config)
        remember(self._staged, key, ((catalog, book, config), made))
        return made

    def held(self, decision: ReviewDecision) -> ReviewDecision:
        """The first decision kept equal to ``decision`` (a frozen value): review makes one
        per held order, and orders held for the same reasons then share their plans
        (:meth:`finished` tells reviews apart by identity)."""
        found = self._held.get(decision.reasons)
        if found is not None:
            return found
        return remember(self._held, decision.reasons, decision)

    def finished(
        self,
        staged: _Staged,
        status: HubStatus,
        reason: str,
        reviewed: _Reviewed | None = None,
    ) -> OrderPlan:
        """The plan before stock of an order ``staged`` so, now ``status`` for ``reason``
        (its open lines waiting for it; ``reviewed`` as for :meth:`plan`), kept with the
        staging per status, reason and review instances unless the review holds the order
        (its reasons are as many as the orders held: :meth:`plan` keeps those, bounded)."""
        held = reviewed is not None and reviewed[1] is not None and not reviewed[1].approved
        key = (
            status,
            reason,
            None if reviewed is None else (id(reviewed[0]), id(reviewed[1])),
        )
        found = None if held else staged.plans.get(key)
        if found is not None:
            return found[1]
        settled, bound = staged.settled, staged.bound
        lines = tuple(
            [
                settled.get(line_id)
                or self.line(line_id, LineState.WAITING, reason, bound.get(line_id))
                for line_id in staged.ids
            ]
        )
        made = self.plan(status, reason, lines, staged.pairings, staged.new, reviewed)
        if not held:
            remember(staged.plans, key, (reviewed, made))  # the review kept alive
        return made

    def moved(
        self, lines: tuple[LineOutcome, ...], shipped: AllocationResult, reason: str
    ) -> tuple[LineOutcome, ...]:
        """``lines`` (a plan's before stock) with the waiting ones reserved where ``shipped``
        ships them, or waiting for ``reason``: made once for the same instances (plans
        before stock and allocations are shared, :meth:`plan` and
        :meth:`~channelhub.core.allocation.Ranking.result`)."""
        key = (id(lines), id(shipped), reason)
        found = self._moved.get(key)
        if found is not None:
            return found[1]
        homes = {x.order_line_id: d.warehouse for d in shipped.decisions for x in d.lines}
        made = _moved(self, lines, homes, reason)
        remember(self._moved, key, ((lines, shipped), made))  # the instances kept alive
        return made

    def allocated(
        self, first: OrderPlan, shipped: AllocationResult, why: str, reservation: ReservationPlan
    ) -> OrderPlan:
        """``first`` allocated as ``shipped`` ships it (explained by ``why``), reserved by
        ``reservation``: all but the reservation is the same for the same ``first`` and
        allocation instances (both shared, :meth:`plan` and
        :meth:`~channelhub.core.allocation.Ranking.result`), so that plan is made once and
        copied with each order's reservation (~1 µs less an order than moving its lines
        and copying ``first`` anew)."""
        key = (id(first), id(shipped), why)
        found = self._reserved.get(key)
        if found is not None:
            like = found[1]
            values = like.__dict__.copy()
            values["reservation"] = reservation
            return rebuilt(like, values)
        made = _then(
            self, first, HubStatus.ALLOCATED, why, shipped,
            allocation=shipped, reservation=reservation,
        )  # fmt: skip
        if copies_plainly(made, "reservation"):
            remember(self._reserved, key, ((first, shipped), made))  # the instances kept alive
        return made

    def plan(
        self,
        status: HubStatus,
        reason: str,
        lines: tuple[LineOutcome, ...],
        pairings: tuple[PairingOutcome, ...],
        new: tuple[Binding, ...],
        reviewed: _Reviewed | None = None,
    ) -> OrderPlan:
        """The plan of an order before stock with these parts (``reviewed``: its expansion
        and review, None before them), made once for the same instances: orders selling the
        same listings in the same quantities share their lines (:meth:`line`), pairings (the
        book's), expansions (the catalog's) and approval, so their plans are one value."""
        key = (
            status,
            reason,
            _ids(lines),
            _ids(pairings),
            _ids(new),
            None if reviewed is None else (_ids(reviewed[0]), id(reviewed[1])),
        )
        found = self._plans.get(key)
        if found is not None:
            return found[1]
        # before review, the expansion and review are left unset (not set to their defaults)
        later: dict[str, Any] = (
            {} if reviewed is None else {"expanded": reviewed[0], "review": reviewed[1]}
        )
        made = OrderPlan(
            status=status, reason=reason, lines=lines, pairings=pairings, new_bindings=new, **later
        )
        remember(self._plans, key, ((lines, pairings, new, reviewed), made))  # parts kept alive
        return made


class _Staged:
    """An order's lines settled (cancelled, shipped), paired and expanded: what planning
    reads of its lines alone, before review and stock (:meth:`Outcomes.staged`)."""

    __slots__ = (
        "bound",
        "expanded",
        "ids",
        "new",
        "open",
        "pairings",
        "plans",
        "settled",
        "unpaired",
    )

    def __init__(
        self,
        ids: tuple[str, ...],
        settled: dict[str, LineOutcome],
        *,
        open_lines: bool = True,
        bound: dict[str, Binding] | None = None,
        pairings: tuple[PairingOutcome, ...] = (),
        new: tuple[Binding, ...] = (),
        unpaired: str | None = None,
        expanded: tuple[ExpandedLine, ...] = (),
    ) -> None:
        self.ids = ids  # every line's id, in order
        self.settled = settled  # the outcome of each line settled before stock, by id
        self.open = open_lines  # any line left open
        self.bound = {} if bound is None else bound  # the bound open lines' bindings
        self.pairings = pairings
        self.new = new  # the automatic bindings pairing made
        self.unpaired = unpaired  # why the order awaits pairing (None: every line bound)
        self.expanded = expanded  # when every line is bound
        #: its plans before stock (:meth:`Outcomes.finished`), the review kept alive
        self.plans: dict[_Finished, tuple[object, OrderPlan]] = {}


def _stage(
    said: Outcomes, order: Order, catalog: Catalog, book: PairingBook, config: PairingConfig
) -> _Staged:
    """``order``'s lines settled, paired and, when every open one is bound, expanded."""
    ids = tuple([line.line_id for line in order.lines])
    settled: dict[str, LineOutcome] = {}
    open_lines: list[tuple[OrderLine, int]] = []  # with its open quantity, read once
    for line in order.lines:
        if line.cancelled_quantity >= line.quantity:
            settled[line.line_id] = said.line(line.line_id, LineState.CANCELLED, "line cancelled")
        elif (units := line.open_quantity) == 0:
            settled[line.line_id] = said.line(
                line.line_id, LineState.SHIPPED, "line already shipped"
            )
        else:
            open_lines.append((line, units))
    if not open_lines:
        return _Staged(ids, settled, open_lines=False)

    pairings: list[PairingOutcome] = []
    bound: dict[str, Binding] = {}
    new: list[Binding] = []
    for line, _ in open_lines:
        ref = ListingRef.of_line(order, line)
        try:
            outcome = pair(ref, catalog, config, book)
        except PairingConflict as conflict:
            settled[line.line_id] = said.line(line.line_id, LineState.WAITING, str(conflict))
            continue
        pairings.append(outcome)
        if outcome.binding is None:
            settled[line.line_id] = said.line(line.line_id, LineState.WAITING, outcome.reason)
            continue
        bound[line.line_id] = outcome.binding
        if outcome.binding.source == "auto" and outcome.binding not in new:
            new.append(outcome.binding)
    paired = _Staged(ids, settled, bound=bound, pairings=tuple(pairings), new=tuple(new))

    unpaired = [line for line, _ in open_lines if line.line_id not in bound]
    if unpaired:
        names = ", ".join(settled[line.line_id].reason for line in unpaired)
        paired.unpaired = f"awaiting pairing: {names}"
        return paired

    expanded: tuple[ExpandedLine, ...] = ()
    for line, units in open_lines:  # each line's expansion in turn (shared frozen tuples)
        binding = bound[line.line_id]
        expanded += catalog.expand(
            binding.sku, units, multiplier=binding.multiplier, order_line_id=line.line_id
        )
    paired.expanded = expanded
    return paired


class OrderPlan(BaseModel):
    """Everything decided for one order; the store applies it in one transaction."""

    model_config = VALUE_CONFIG

    status: HubStatus
    reason: str
    lines: Annotated[tuple[LineOutcome, ...], AsTuple]
    pairings: Annotated[tuple[PairingOutcome, ...], AsTuple] = ()
    new_bindings: Annotated[tuple[Binding, ...], AsTuple] = ()
    expanded: Annotated[tuple[ExpandedLine, ...], AsTuple] = ()
    review: ReviewDecision | None = None
    allocation: AllocationResult | None = None
    reservation: ReservationPlan | None = None

    def decisions(self) -> tuple[tuple[str, str], ...]:
        """(kind, reason) for every decision taken, in order, for the order's history."""
        out: list[tuple[str, str]] = [("pairing", p.reason) for p in self.pairings]
        if self.review is not None:
            out.append(("review", self.review.summary()))
        if self.allocation is not None:
            out.append(("allocation", self.allocation.explain()))
        if self.reservation is not None and not self.reservation.ok:
            out.append(("reservation", self.reservation.reason()))
        return tuple(out)


def plan_order(
    order: Order,
    *,
    catalog: Catalog,
    book: PairingBook,
    pairing_config: PairingConfig,
    review_rules: ReviewRules,
    allocation_config: AllocationConfig,
    balances: Mapping[tuple[str, str], Balance],
    now: datetime,
    reference: str | None = None,
    approved_by_hand: bool = False,
    origins: Origins | None = None,
    stock_unknown: frozenset[str] = frozenset(),
    cartons: CartonView | None = None,
    quotes: Quotes | None = None,
    until_stock: bool = False,
    ranking: Ranking | None = None,
    outcomes: Outcomes | None = None,
    reservations: Reservations | None = None,
) -> OrderPlan:
    """Decide what happens to ``order`` now; see the module docstring.

    ``origins`` are the registered warehouses' addresses (code -> country, region): the
    candidates when the rules name none, and NEAREST's distances. ``stock_unknown``: the
    warehouses whose stock the hub was never told (a shortage there says how to tell it).
    ``cartons``: SKUs a warehouse ships only in whole cartons (:mod:`channelhub.core.cartons`).
    ``quotes``: the warehouses' live quotes for this order (allocation's cost and speed input).
    ``until_stock``: stop where only stock is left to decide (``approved``, with the expansion
    and review, no allocation): what a caller plans first to learn which SKUs to lock.
    ``ranking``: allocation's memo for ``allocation_config`` and ``origins``
    (:class:`~channelhub.core.allocation.Ranking`), ``outcomes`` the memo of line outcomes
    and plans before stock (:class:`Outcomes`) and ``reservations`` reservation's
    (:class:`~channelhub.core.reservations.Reservations`), kept by a caller planning many orders.
    """
    said = Outcomes() if outcomes is None else outcomes
    if (
        order.channel_state is ChannelOrderState.CANCELLED
        or order.hub_status is HubStatus.CANCELLED
    ):
        return _all(said, order, LineState.CANCELLED, "the order is cancelled", HubStatus.CANCELLED)
    if order.is_channel_fulfilled:
        return _all(
            said,
            order,
            LineState.CHANNEL_FULFILLED,
            "fulfilled by the channel; never dispatched",
            order.hub_status,
        )
    if order.channel_state is ChannelOrderState.PENDING:
        # Amazon's Pending (payment not yet authorised) and the like: the channel itself
        # refuses a shipment confirmation, and stock spent on it may never be paid for.
        # Nothing is reserved; the order is planned when an import shows it confirmed.
        return _all(
            said,
            order,
            LineState.WAITING,
            "the channel has not confirmed the order yet (payment pending): it waits",
            order.hub_status,
        )
    staged = said.staged(order, catalog, book, pairing_config)
    if not staged.open:
        every = [staged.settled[line_id] for line_id in staged.ids]
        status = (
            HubStatus.CANCELLED
            if all(x.state is LineState.CANCELLED for x in every)
            else order.hub_status
        )
        return OrderPlan(status=status, reason="no line is open", lines=tuple(every))
    if staged.unpaired is not None:
        return said.finished(staged, HubStatus.AWAITING_PAIRING, staged.unpaired)

    def finish(status: HubStatus, reason: str, reviewed: _Reviewed) -> OrderPlan:
        return said.finished(staged, status, reason, reviewed)

    expanded = staged.expanded
    decision = None if approved_by_hand else review(order, review_rules, now=now)
    if decision is not None and not decision.approved:
        decision = said.held(decision)
        return finish(HubStatus.ON_HOLD, decision.summary(), (expanded, decision))

    if order.ship_to is None:
        return finish(
            HubStatus.ON_HOLD, "hold: the order has no shipping address", (expanded, decision)
        )
    first = finish(HubStatus.APPROVED, STOCK_TO_ALLOCATE, (expanded, decision))
    if until_stock and expanded:
        return first
    return plan_stock(
        order,
        first,
        balances=balances,
        allocation_config=allocation_config,
        now=now,
        reference=reference,
        origins=origins,
        stock_unknown=stock_unknown,
        cartons=cartons,
        quotes=quotes,
        ranking=ranking,
        outcomes=said,
        reservations=reservations,
    )


def plan_stock(
    order: Order,
    first: OrderPlan,
    *,
    balances: Mapping[tuple[str, str], Balance],
    allocation_config: AllocationConfig,
    now: datetime,
    reference: str | None = None,
    origins: Origins | None = None,
    stock_unknown: frozenset[str] = frozenset(),
    cartons: CartonView | None = None,
    quotes: Quotes | None = None,
    ranking: Ranking | None = None,
    outcomes: Outcomes | None = None,
    reservations: Reservations | None = None,
) -> OrderPlan:
    """The rest of :func:`plan_order` for ``first``, the plan it returned ``until_stock``
    (``approved``, paired, expanded and reviewed): allocate and reserve against ``balances``.
    A caller that planned once to learn which SKUs to lock finishes here, without pairing,
    expanding and reviewing the order again. ``ranking``, ``outcomes``, ``reservations``: as
    for :func:`plan_order`."""
    said = Outcomes() if outcomes is None else outcomes
    assert order.ship_to is not None  # an order without an address is held before stock
    stock = Available(balances)  # read as allocation asks: not every balance for each order
    allocation = allocate(
        first.expanded,
        stock=stock,
        ship_to=order.ship_to,
        channel=order.channel,
        account=order.account,
        config=allocation_config,
        origins=origins,
        stock_unknown=stock_unknown,
        cartons=cartons,
        quotes=quotes,
        ranking=ranking,
    )
    if not allocation.allocated:
        reason = f"waiting for stock: {allocation.unallocatable}"
        return _then(said, first, HubStatus.APPROVED, reason, allocation=allocation)
    plan = reserve(
        allocation.decisions,
        balances,
        reference=reference or str(order.key),
        at=now,
        memo=reservations,
    )
    if not plan.ok:
        reason = f"waiting for stock: {plan.reason()}"
        return _then(
            said, first, HubStatus.APPROVED, reason, allocation=allocation, reservation=plan
        )
    why = allocation.explain() if ranking is None else ranking.explain(allocation)
    return said.allocated(first, allocation, why, plan)


def _then(
    said: Outcomes,
    first: OrderPlan,
    status: HubStatus,
    reason: str,
    shipped: AllocationResult | None = None,
    **extra: object,
) -> OrderPlan:
    """``first`` moved on to ``status``: its open lines (bound, waiting for stock) reserved
    where ``shipped`` (an allocation, None: nowhere) ships them or still waiting, now for
    ``reason``; the settled ones as they were. Its fields are already valid values."""
    if shipped is None:
        lines = _moved(said, first.lines, {}, reason)
    else:
        lines = said.moved(first.lines, shipped, reason)
    return replaced(first, status=status, reason=reason, lines=lines, **extra)


def _moved(
    said: Outcomes, lines: tuple[LineOutcome, ...], homes: Mapping[str, str], reason: str
) -> tuple[LineOutcome, ...]:
    """``lines`` with the waiting ones reserved in their ``homes`` or waiting for ``reason``."""
    return tuple(
        [_line_moved(said, x, homes, reason) if x.state is LineState.WAITING else x for x in lines]
    )


def _line_moved(
    said: Outcomes, line: LineOutcome, homes: Mapping[str, str], reason: str
) -> LineOutcome:
    home = homes.get(line.line_id)
    if home is None:
        return said.line(line.line_id, LineState.WAITING, reason, line.binding)
    return said.line(line.line_id, LineState.RESERVED, f"reserved in {home}", line.binding, home)


def _all(
    said: Outcomes, order: Order, state: LineState, reason: str, status: HubStatus
) -> OrderPlan:
    lines = tuple(said.line(line.line_id, state, reason) for line in order.lines)
    return OrderPlan(status=status, reason=reason, lines=lines)
