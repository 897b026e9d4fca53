"""Warehouse allocation (分仓): which warehouse ships which lines, and why, in words.

Input: the order's expanded stock-unit lines, the available stock per (warehouse, sku), the
ship-to address and the channel/account. Output: one :class:`AllocationDecision` per part, each
with its reasons ("US-EAST: every line in stock; nearest to US/TX (same country)"), or the
reason the order cannot be allocated yet (it then waits and is retried when stock arrives).

Distance (NEAREST): the zone table's entry when it has one (the reason shows its number);
otherwise what the warehouse's own address says (:mod:`channelhub.core.geography`, the reason
names the basis); a warehouse with neither ranks last.

Rules that keep parcels sane:
- the unit of allocation is the order line: all the stock lines one order line expanded into
  (a combo's components) ship together, never spread over two warehouses;
- a kit line needs the kit's own stock; loose components never stand in for it;
- an order ships whole from one warehouse when any allowed one can; otherwise it is split by
  stock (the warehouse covering the most units first) up to the cap on parts;
- split rules carve matching lines into parts of their own first; the cap counts them too;
- a SKU stocked in cartons at a warehouse that ships only whole cartons
  (:mod:`channelhub.core.cartons`) is filled there only by whole cartons of its usable stock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Annotated, TypeVar, overload

from pydantic import BaseModel, Field

from channelhub.core.allocation_config import AllocationConfig, SplitRule, Strategy
from channelhub.core.allocation_quotes import Quotes, quoted_cost, quoted_days, unused_quotes
from channelhub.core.cartons import CartonView, can_fill, carton_refusal
from channelhub.core.catalog import ExpandedLine
from channelhub.core.geography import Distance, Origins, address_distance
from channelhub.core.memo import MEMO_LIMIT, remember
from channelhub.core.parties import Address
from channelhub.core.stock import UnitsView
from channelhub.core.types import VALUE_CONFIG, AsTuple

StockView = Mapping[tuple[str, str], int]
"""Available units (on hand less reserved) by (warehouse, sku)."""

_FAR = 10**9
_V = TypeVar("_V")


class AllocationDecision(BaseModel):
    """One part of an order: the warehouse that ships it, its lines, and why it was chosen."""

    model_config = VALUE_CONFIG

    part: int = Field(ge=1)
    warehouse: str
    lines: Annotated[tuple[ExpandedLine, ...], AsTuple] = Field(min_length=1)
    reasons: Annotated[tuple[str, ...], AsTuple] = ()

    def explain(self) -> str:
        """``US-EAST: every line in stock; nearest to US/TX (same country)``."""
        return f"{self.warehouse}: " + "; ".join(self.reasons)


class AllocationResult(BaseModel):
    """The parts an order ships in, or why it cannot be allocated yet (then no parts)."""

    model_config = VALUE_CONFIG

    decisions: Annotated[tuple[AllocationDecision, ...], AsTuple] = ()
    unallocatable: str | None = None

    @property
    def allocated(self) -> bool:
        """True when every line has a warehouse."""
        return self.unallocatable is None and bool(self.decisions)

    def explain(self) -> str:
        """Every part's explanation, or the reason it waits."""
        if self.unallocatable is not None:
            return f"unallocatable: {self.unallocatable}"
        return " | ".join(f"part {d.part} {d.explain()}" for d in self.decisions)


_Group = tuple[ExpandedLine, ...]  # the stock lines of one order line: they ship together

#: Entries a :class:`Ranking` keeps per kind before it forgets them all (a bound, not a size
#: planning reaches: a planner sees a few warehouses and destinations).
RANKING_MEMO_LIMIT = MEMO_LIMIT

_Destination = tuple[str, str | None] | None  # (country, region) of the ship-to, or none
_Part = tuple[int, str, tuple[int, ...], tuple[str, ...]]  # a decision, its lines by identity
#: the groups each split rule takes (first rule wins), then the rest (rule None)
_Partitions = tuple[tuple[SplitRule | None, tuple[_Group, ...]], ...]
#: an order shipping whole: its partitions (by identity), candidates and their note, its
#: destination and the warehouses that fill it
_Whole = tuple[int, tuple[str, ...], str, _Destination, tuple[str, ...]]


class _Taken(UnitsView[int]):
    """``stock`` less what was taken from it: only the entries taken from are kept here, so
    trying a warehouse against a chunk's hundreds of balances copies none of them (a copy of
    the whole stock per warehouse tried made allocating one order cost as much as the chunk
    has balances)."""

    __slots__ = ("_left",)

    def __init__(self, stock: StockView) -> None:
        super().__init__(stock)
        self._left: dict[tuple[str, str], int] = {}

    def __getitem__(self, key: tuple[str, str]) -> int:
        left = self._left.get(key)
        return self._base[key] if left is None else left

    @overload
    def get(self, key: tuple[str, str], /) -> int | None: ...
    @overload
    def get(self, key: tuple[str, str], /, default: int | _V) -> int | _V: ...
    def get(self, key: tuple[str, str], /, default: object = None) -> object:
        left = self._left.get(key)
        return self._base.get(key, default) if left is None else left

    def take(self, key: tuple[str, str], units: int) -> None:
        """``units`` of ``key`` taken (KeyError, as from a dict, when ``stock`` has none)."""
        left = self._left.get(key)
        self._left[key] = (self._base[key] if left is None else left) - units


class Ranking:
    """What ranking warehouses reads of the rules, remembered for one ``config`` and ``origins``.

    Which candidates an account has, the order a pool ranks in for a destination and the
    words that explain a choice read only the rules, the warehouses' addresses and the
    destination's country and region (when no live quotes are in play): the same for every
    order a planner allocates to the same place, so a planner keeps one and works each out
    once. :func:`allocate` uses it only for the very ``config`` and ``origins`` it was made
    for (``origins`` must not change while it is in use) and makes its own otherwise.
    It also keeps the decisions and results it was asked for (:meth:`decision`,
    :meth:`result`): frozen values that orders shipping the same lines share; and, per
    expansion orders share (a tuple), its partitions (:meth:`partitions`) and the result of
    shipping it whole from the warehouses that fill it (:meth:`whole`): stock decides only
    which warehouses fill it.
    Each memo is emptied when it reaches :data:`RANKING_MEMO_LIMIT` entries.
    """

    def __init__(self, config: AllocationConfig, origins: Origins | None) -> None:
        self.config = config
        self.origins = origins
        self._candidates: dict[tuple[str, str], tuple[tuple[str, ...], str, tuple[str, ...]]] = {}
        self._ranked: dict[tuple[tuple[str, ...], _Destination], tuple[str, ...]] = {}
        self._reasons: dict[tuple[str, tuple[str, ...], _Destination], tuple[str, ...]] = {}
        # keyed by the lines' (or decisions') identities, kept in the entry so no other
        # object can take their ids while it is there
        self._decisions: dict[_Part, tuple[_Group, AllocationDecision]] = {}
        self._results: dict[
            tuple[int, ...], tuple[tuple[AllocationDecision, ...], AllocationResult]
        ] = {}
        self._explained: dict[int, tuple[AllocationResult, str]] = {}
        self._split: dict[int, tuple[tuple[ExpandedLine, ...], _Partitions]] = {}
        self._whole: dict[_Whole, tuple[_Partitions, AllocationResult]] = {}
        self._routes: dict[_RouteKey, tuple[tuple[ExpandedLine, ...], _Route | None]] = {}

    def serves(self, config: AllocationConfig, origins: Origins | None) -> bool:
        """Whether this ranking was made for exactly ``config`` and ``origins``."""
        return self.config is config and self.origins is origins

    def candidates(
        self, stock: StockView, channel: str, account: str
    ) -> tuple[tuple[str, ...], str, tuple[str, ...]]:
        """(preferred warehouses, why they are the candidates, fallback warehouses); only
        the stock's warehouses when neither the rules nor ``origins`` name any (then not
        remembered: they change with the stock)."""
        config = self.config
        if not (config.warehouses or self.origins):
            return _pools(stock, channel, account, config, self.origins)
        key = (channel, account)
        found = self._candidates.get(key)
        if found is None:
            found = _pools(stock, channel, account, config, self.origins)
            remember(self._candidates, key, found)
        return found

    def ranked(
        self, pool: tuple[str, ...], ship_to: Address | None, quotes: Quotes | None
    ) -> list[str]:
        """``pool`` best first for ``ship_to`` (:func:`_rank_key`)."""
        config, origins = self.config, self.origins or {}
        if quotes:
            return sorted(pool, key=lambda w: _rank_key(w, ship_to, config, origins, quotes))
        key = (pool, _destination(ship_to))
        found = self._ranked.get(key)
        if found is None:
            found = tuple(sorted(pool, key=lambda w: _rank_key(w, ship_to, config, origins)))
            remember(self._ranked, key, found)
        return list(found)

    def reasons(
        self, chosen: str, rivals: list[str], ship_to: Address | None, quotes: Quotes | None
    ) -> list[str]:
        """Why ``chosen`` beat ``rivals`` (:func:`_ranking_reasons`)."""
        config, origins = self.config, self.origins or {}
        if quotes:
            return _ranking_reasons(chosen, rivals, ship_to, config, origins, quotes)
        key = (chosen, tuple(rivals), _destination(ship_to))
        found = self._reasons.get(key)
        if found is None:
            found = tuple(_ranking_reasons(chosen, rivals, ship_to, config, origins))
            remember(self._reasons, key, found)
        return list(found)

    def decision(
        self, part: int, warehouse: str, lines: _Group, reasons: tuple[str, ...]
    ) -> AllocationDecision:
        """The decision with these fields: made once for the same part, warehouse, reasons
        and line instances (:meth:`~channelhub.core.catalog.Catalog.expand` shares them)."""
        key = (part, warehouse, tuple(map(id, lines)), reasons)
        found = self._decisions.get(key)
        if found is not None:
            return found[1]
        made = AllocationDecision(part=part, warehouse=warehouse, lines=lines, reasons=reasons)
        remember(self._decisions, key, (lines, made))
        return made

    def result(self, decisions: tuple[AllocationDecision, ...]) -> AllocationResult:
        """The result of these decision instances (made once for them)."""
        key = tuple(map(id, decisions))
        found = self._results.get(key)
        if found is not None:
            return found[1]
        made = AllocationResult(decisions=decisions)
        remember(self._results, key, (decisions, made))
        return made

    def partitions(self, lines: Sequence[ExpandedLine]) -> _Partitions:
        """:func:`_partitions` of ``lines``' groups, worked out once per tuple of lines (the
        expansions orders share; a list, which may change, every time)."""
        if type(lines) is not tuple:
            return _partitions(_groups(lines), self.config.split_rules)
        found = self._split.get(id(lines))
        if found is not None and found[0] is lines:
            return found[1]
        made = _partitions(_groups(lines), self.config.split_rules)
        remember(self._split, id(lines), (lines, made))
        return made

    def whole(
        self,
        partitions: _Partitions,
        preferred: tuple[str, ...],
        note: str,
        ship_to: Address | None,
        fillers: list[str],
    ) -> AllocationResult:
        """The result of an order of one partition (no split rule) shipping whole from the
        first of ``fillers`` (the ``preferred`` warehouses, with their ``note``, that fill
        it, with no live quotes): what :func:`allocate` makes of it, once per partitions
        instance (:meth:`partitions`), candidates, destination and fillers."""
        key = (id(partitions), preferred, note, _destination(ship_to), tuple(fillers))
        found = self._whole.get(key)
        if found is not None:
            return found[1]
        groups = partitions[0][1]
        best = fillers[0]
        why = ["every line in stock", *self.reasons(best, fillers, ship_to, None)]
        if note:
            why.insert(0, note)
        lines = groups[0] if len(groups) == 1 else tuple(x for group in groups for x in group)
        made = self.result((self.decision(1, best, lines, tuple(why)),))
        remember(self._whole, key, (partitions, made))  # the partitions kept alive
        return made

    def route(
        self, lines: tuple[ExpandedLine, ...], channel: str, account: str, ship_to: Address | None
    ) -> _Route | None:
        """What :func:`allocate` reads, before stock, of an expansion (a tuple orders share)
        shipping whole to ``ship_to`` for ``channel``:``account`` with no live quotes: its
        partitions, candidates and their order, and the units of each SKU it needs; once per
        expansion instance, account and destination (working them out again, key by key,
        cost each order ~3 µs). None when the order cannot ship whole on that path (a split
        rule takes a line, no candidate) or the candidates depend on the stock (neither the
        rules nor the origins name warehouses)."""
        if not (self.config.warehouses or self.origins):
            return None
        key = (id(lines), channel, account, _destination(ship_to))
        found = self._routes.get(key)
        if found is not None and found[0] is lines:
            return found[1]
        made = self._route(lines, channel, account, ship_to)
        remember(self._routes, key, (lines, made))  # the lines kept alive
        return made

    def _route(
        self, lines: tuple[ExpandedLine, ...], channel: str, account: str, ship_to: Address | None
    ) -> _Route | None:
        preferred, note, _ = self.candidates({}, channel, account)
        partitions = self.partitions(lines)
        if not preferred or len(partitions) != 1 or partitions[0][0] is not None:
            return None
        ranked = self.ranked(preferred, ship_to, None)
        return _Route(partitions, preferred, note, ranked, _units_needed(partitions[0][1]))

    def explain(self, result: AllocationResult) -> str:
        """``result.explain()``, worked out once per result instance (those :meth:`result`
        shares come back order after order; the instance is kept in its entry)."""
        found = self._explained.get(id(result))
        if found is not None and found[0] is result:
            return found[1]
        text = result.explain()
        remember(self._explained, id(result), (result, text))
        return text


def _destination(ship_to: Address | None) -> _Destination:
    """All ranking reads of a ship-to address (with no quotes): its country and region."""
    return None if ship_to is None else (ship_to.country, ship_to.region)


#: a route's key: the expansion (by identity), channel, account and destination
_RouteKey = tuple[int, str, str, _Destination]


class _Route:
    """An expansion shipping whole for one account and destination, as far as the stock
    leaves it (:meth:`Ranking.route`): the results of shipping it, by the warehouses that
    fill it."""

    __slots__ = ("need", "note", "partitions", "preferred", "ranked", "shipped", "wanted")

    def __init__(
        self,
        partitions: _Partitions,
        preferred: tuple[str, ...],
        note: str,
        ranked: list[str],
        need: dict[str, int],
    ) -> None:
        self.partitions = partitions
        self.preferred = preferred
        self.note = note
        self.ranked = ranked
        self.need = need
        self.wanted = list(need.items())
        self.shipped: dict[tuple[str, ...], AllocationResult] = {}

    def ship(
        self,
        ranking: Ranking,
        stock: StockView,
        ship_to: Address | None,
        cartons: CartonView,
    ) -> AllocationResult | None:
        """The result of shipping the expansion whole from ``stock``, as :func:`allocate`
        makes it; None when it does not ship whole (split, or short everywhere)."""
        groups = self.partitions[0][1]
        config, ranked = ranking.config, self.ranked
        if cartons:
            fillers = _fillers(groups, ranked, stock, cartons)
        else:
            fillers = _stocked(self.wanted, ranked, stock)
        if not fillers or not (
            fillers[0] == ranked[0]
            or Strategy.WHOLE_ORDER in config.strategies
            or not config.split.by_stock
        ):
            return None
        key = tuple(fillers)
        found = self.shipped.get(key)
        if found is None:
            found = ranking.whole(self.partitions, self.preferred, self.note, ship_to, fillers)
            remember(self.shipped, key, found)
        return found


def allocate(
    lines: Sequence[ExpandedLine],
    *,
    stock: StockView,
    ship_to: Address | None,
    channel: str,
    account: str,
    config: AllocationConfig,
    origins: Origins | None = None,
    stock_unknown: frozenset[str] = frozenset(),
    cartons: CartonView | None = None,
    quotes: Quotes | None = None,
    ranking: Ranking | None = None,
) -> AllocationResult:
    """Choose a warehouse for every line; see the module docstring for the rules.

    ``origins`` (warehouse code -> country, region) are the registered warehouses: with no
    ``[allocation] warehouses`` in the rules, they are the candidates (without ``origins``,
    the warehouses in ``stock``); they also let NEAREST rank warehouses the zone table does
    not list. ``stock_unknown`` names warehouses whose stock the hub was never told, so a
    shortage there says how to tell it. ``cartons``: the carton rules of (warehouse, sku).
    ``quotes`` are the live quotes of warehouses asked
    for this order (:mod:`channelhub.core.allocation_quotes`): CHEAPEST takes a quote's cost
    over the cost table's, FASTEST ranks by the quoted arrival. ``ranking``: what ranking
    remembers across calls for this ``config`` and ``origins`` (:class:`Ranking`; a caller
    allocating many orders keeps one), ignored when made for others.
    """
    packs: CartonView = cartons or {}
    if not lines:
        return AllocationResult(unallocatable="the order has no lines to ship")
    if ranking is None or not ranking.serves(config, origins):
        ranking = Ranking(config, origins)
    if not quotes and type(lines) is tuple:
        route = ranking.route(lines, channel, account, ship_to)
        if route is not None:
            shipped = route.ship(ranking, stock, ship_to, packs)
            if shipped is not None:
                return shipped
    preferred, note, fallback = ranking.candidates(stock, channel, account)
    remaining: StockView = stock  # less what earlier parts took (once a later part reads it)
    decisions: list[AllocationDecision] = []
    partitions = ranking.partitions(lines)
    if not quotes and preferred and type(lines) is tuple and len(partitions) == 1:
        rule, groups = partitions[0]
        if rule is None:  # what the loop below does when the order ships whole, kept
            ranked = ranking.ranked(preferred, ship_to, None)
            fillers = _whole(groups, ranked, stock, config, packs)
            if fillers:
                return ranking.whole(partitions, preferred, note, ship_to, fillers)
    for n, (rule, groups) in enumerate(partitions):
        budget = config.split.max_parts - len(decisions)
        planned: list[tuple[str, list[_Group], list[str]]] | str | None = None
        failures: list[str] = []
        for pool, pool_note in ((preferred, note), (fallback, "fallback warehouse")):
            if rule is not None and rule.warehouse is not None:
                pool = tuple(w for w in pool if w == rule.warehouse)
            if not pool:
                continue
            planned = _plan(
                groups, pool, remaining, ship_to, config, ranking, budget, stock_unknown, packs,
                quotes,
            )  # fmt: skip
            if isinstance(planned, str):
                failures.append(planned)
                continue
            if pool_note:
                for _, _, why in planned:
                    why.insert(0, pool_note)
            break
        if planned is None:  # no pool had a warehouse to try
            planned = _nothing_allowed(rule, stock, channel, account, config, origins)
        if isinstance(planned, str):
            reason = "; then from the fallback: ".join(failures) or planned
            return AllocationResult(unallocatable=reason)
        for warehouse, taken, why in planned:
            if rule is not None:
                why.insert(0, f"split rule {rule.name!r}")
            if n < len(partitions) - 1:
                if not isinstance(remaining, _Taken):
                    remaining = _Taken(stock)
                for group in taken:
                    for line in group:
                        remaining.take((warehouse, line.sku), line.quantity)
            lines = taken[0] if len(taken) == 1 else tuple(x for group in taken for x in group)
            decisions.append(ranking.decision(len(decisions) + 1, warehouse, lines, tuple(why)))
    return ranking.result(tuple(decisions))


def _pools(
    stock: StockView,
    channel: str,
    account: str,
    config: AllocationConfig,
    origins: Origins | None,
) -> tuple[tuple[str, ...], str, tuple[str, ...]]:
    """The candidates (:func:`_candidates`) and the fallback warehouses not among them."""
    preferred, note = _candidates(stock, channel, account, config, origins)
    return preferred, note, tuple(w for w in config.fallback if w not in preferred)


def _candidates(
    stock: StockView,
    channel: str,
    account: str,
    config: AllocationConfig,
    origins: Origins | None,
) -> tuple[tuple[str, ...], str]:
    registered = tuple(sorted(origins)) if origins is not None else ()
    known = config.warehouses or registered or tuple(sorted({w for w, _ in stock}))
    allowed = config.allowed_for(channel, account)
    if allowed is None:
        return tuple(w for w in known if w not in config.fallback), ""
    return (
        tuple(w for w in allowed if w not in config.fallback),
        f"allowed for {channel}:{account}",
    )


def _nothing_allowed(
    rule: SplitRule | None,
    stock: StockView,
    channel: str,
    account: str,
    config: AllocationConfig,
    origins: Origins | None,
) -> str:
    """Why no warehouse is a candidate at all, and what to do about it."""
    if rule is not None and rule.warehouse is not None:
        return (
            f"split rule {rule.name!r} ships from {rule.warehouse}, which is not allowed for "
            f"{channel}:{account} in rules.toml"
        )
    if config.allowed_for(channel, account) is not None:
        return (
            f"no warehouse is allowed for {channel}:{account} by [allocation.allowed] in rules.toml"
        )
    if config.warehouses:
        return "no warehouse is allowed by [allocation] warehouses in rules.toml"
    if not origins and not stock:
        return "no warehouse is registered: add one with `channelhub warehouses add`"
    return "no warehouse is allowed: every warehouse is a fallback in rules.toml"


def _groups(lines: Sequence[ExpandedLine]) -> list[_Group]:
    by_line: dict[str, list[ExpandedLine]] = {}
    for line in lines:
        by_line.setdefault(line.order_line_id, []).append(line)
    return [tuple(group) for group in by_line.values()]


def _partitions(groups: list[_Group], rules: Iterable[SplitRule]) -> _Partitions:
    """Groups taken by each split rule (first rule wins), then the rest."""
    parts: list[tuple[SplitRule | None, tuple[_Group, ...]]] = []
    left = list(groups)
    for rule in rules:
        taken = [g for g in left if any(rule.selects(line.sku) for line in g)]
        if taken:
            parts.append((rule, tuple(taken)))
            left = [g for g in left if g not in taken]
    if left:
        parts.append((None, tuple(left)))
    return tuple(parts)


def _fits(group: _Group, warehouse: str, stock: StockView, cartons: CartonView) -> bool:
    need: dict[str, int] = {}
    for line in group:
        need[line.sku] = need.get(line.sku, 0) + line.quantity
    return can_fill(need, warehouse, stock, cartons)


def _fills_all(
    groups: Sequence[_Group], warehouse: str, stock: StockView, cartons: CartonView
) -> bool:
    """Whether :func:`_fill` takes every group at ``warehouse``. With no carton rules that is
    whether it has the units of each SKU all the groups need together (each group fits what
    the earlier ones left exactly when the running total up to it fits, and a SKU's running
    total is largest at its last group), worked out in one pass instead of group by group."""
    if cartons:  # a carton rule reads what is left at each group: taken group by group
        return len(_fill(groups, warehouse, stock, cartons)) == len(groups)
    if len(groups) == 1:
        return _fits(groups[0], warehouse, stock, cartons)
    need: dict[str, int] = {}
    for group in groups:
        for line in group:
            need[line.sku] = need.get(line.sku, 0) + line.quantity
    return can_fill(need, warehouse, stock, cartons)


def _whole(
    groups: Sequence[_Group],
    ranked: list[str],
    stock: StockView,
    config: AllocationConfig,
    cartons: CartonView,
) -> list[str]:
    """The warehouses of ``ranked`` that fill every group, in order, when the order ships
    whole from the first of them; empty when it is split or cannot ship from ``ranked``."""
    fillers = _fillers(groups, ranked, stock, cartons)
    if fillers and (
        Strategy.WHOLE_ORDER in config.strategies
        or not config.split.by_stock
        or fillers[0] == ranked[0]
    ):
        return fillers
    return []


def _fillers(
    groups: Sequence[_Group], ranked: list[str], stock: StockView, cartons: CartonView
) -> list[str]:
    """The warehouses of ``ranked`` that :func:`_fills_all` ``groups``, in order; with no
    carton rules, what the groups need together summed once, not once per warehouse."""
    if cartons:
        return [w for w in ranked if _fills_all(groups, w, stock, cartons)]
    return _stocked(list(_units_needed(groups).items()), ranked, stock)


def _units_needed(groups: Sequence[_Group]) -> dict[str, int]:
    """The units of each SKU ``groups`` need together."""
    need: dict[str, int] = {}
    for group in groups:
        for line in group:
            need[line.sku] = need.get(line.sku, 0) + line.quantity
    return need


def _stocked(wanted: list[tuple[str, int]], ranked: list[str], stock: StockView) -> list[str]:
    """The warehouses of ``ranked`` that have the units of every (SKU, units) ``wanted``, in order:
    :func:`~channelhub.core.cartons.can_fill` with no carton rules, inlined (asked of every
    warehouse for every order, its call and its carton look-ups cost ~1 µs an order)."""
    get = stock.get
    out: list[str] = []
    for warehouse in ranked:
        for sku, quantity in wanted:
            if get((warehouse, sku), 0) < quantity:
                break
        else:
            out.append(warehouse)
    return out


def _fill(
    groups: Sequence[_Group], warehouse: str, stock: StockView, cartons: CartonView
) -> list[_Group]:
    """The groups ``warehouse`` can ship together from ``stock``, in order."""
    local: _Taken | None = None  # made at the first group taken that a later one may follow
    last = len(groups) - 1
    taken: list[_Group] = []
    for n, group in enumerate(groups):
        if _fits(group, warehouse, stock if local is None else local, cartons):
            taken.append(group)
            if n < last:
                if local is None:
                    local = _Taken(stock)
                for line in group:
                    local.take((warehouse, line.sku), line.quantity)
    return taken


def _distance(
    warehouse: str, ship_to: Address | None, config: AllocationConfig, origins: Origins
) -> Distance | None:
    """The zone table's distance when it has one, else the warehouse address's; else None."""
    if ship_to is None:
        return None
    listed = config.distance(warehouse, ship_to.country, ship_to.region)
    if listed is not None:
        return Distance(listed, "zone table")
    origin = origins.get(warehouse)
    return None if origin is None else address_distance(origin, ship_to.country, ship_to.region)


def _cost(
    warehouse: str, ship_to: Address | None, config: AllocationConfig, quotes: Quotes | None
) -> tuple[Decimal | None, str]:
    """The quoted cost (when quoted in the table's currency), else the cost table's; and
    where it came from."""
    quoted = quoted_cost(quotes, warehouse, config.cost_currency)
    if quoted is not None and quotes is not None:
        return quoted, quotes[warehouse].source
    if ship_to is None:
        return None, ""
    return config.cost(warehouse, ship_to.country, ship_to.region), "cost table"


def _rank_key(
    warehouse: str,
    ship_to: Address | None,
    config: AllocationConfig,
    origins: Origins,
    quotes: Quotes | None = None,
) -> tuple[tuple[int | Decimal, ...], str]:
    keys: list[int | Decimal] = []
    for strategy in config.strategies:
        if strategy is Strategy.NEAREST:
            d = _distance(warehouse, ship_to, config, origins)
            keys.append(_FAR if d is None else d.value)
        elif strategy is Strategy.CHEAPEST:
            c, _ = _cost(warehouse, ship_to, config, quotes)
            keys.append(Decimal(_FAR) if c is None else c)
        elif strategy is Strategy.FASTEST:
            days = quoted_days(quotes, warehouse)
            keys.append(_FAR if days is None else days)
        elif strategy is Strategy.PRIORITY:
            order = config.priority
            keys.append(order.index(warehouse) if warehouse in order else len(order))
    return tuple(keys), warehouse


def _plan(
    groups: Sequence[_Group],
    pool: tuple[str, ...],
    stock: StockView,
    ship_to: Address | None,
    config: AllocationConfig,
    ranking: Ranking,
    budget: int,
    stock_unknown: frozenset[str] = frozenset(),
    cartons: CartonView | None = None,
    quotes: Quotes | None = None,
) -> list[tuple[str, list[_Group], list[str]]] | str:
    """The parts for ``groups`` from ``pool``, or why they cannot be shipped from it."""
    packs: CartonView = cartons or {}
    ranked = ranking.ranked(pool, ship_to, quotes)
    whole_first = Strategy.WHOLE_ORDER in config.strategies
    if budget < 1:
        return f"the order needs more than {config.split.max_parts} parts (the cap)"
    fillers = _whole(groups, ranked, stock, config, packs)
    if fillers:
        best = fillers[0]
        why = ["every line in stock", *ranking.reasons(best, fillers, ship_to, quotes)]
        return [(best, list(groups), why)]
    if not config.split.by_stock:
        return _shortage(groups, pool, stock, "and splitting by stock is off", stock_unknown, packs)
    parts: list[tuple[str, list[_Group], list[str]]] = []
    left = list(groups)
    local = _Taken(stock)
    unused = list(ranked)
    while left:
        if len(parts) == budget:
            return (
                f"no warehouse can fill the order and a split needs more than "
                f"{config.split.max_parts} parts (the cap)"
            )
        scored = [(w, _fill(left, w, local, packs)) for w in unused]
        scored = [(w, taken) for w, taken in scored if taken]
        if not scored:
            return _shortage(left, pool, stock, "", stock_unknown, packs)
        if whole_first:
            scored.sort(key=lambda item: -sum(line.quantity for g in item[1] for line in g))
        warehouse, taken = scored[0]
        unused.remove(warehouse)
        covered = ", ".join(sorted({g[0].order_line_id for g in taken}))
        why = [f"split by stock: has every unit for line(s) {covered}"]
        why.extend(ranking.reasons(warehouse, [warehouse], ship_to, quotes))
        parts.append((warehouse, taken, why))
        for group in taken:
            for line in group:
                local.take((warehouse, line.sku), line.quantity)
        left = [g for g in left if g not in taken]
    return parts


def _ranking_reasons(
    chosen: str,
    rivals: list[str],
    ship_to: Address | None,
    config: AllocationConfig,
    origins: Origins,
    quotes: Quotes | None = None,
) -> list[str]:
    """Why ``chosen`` beat the ``rivals`` that could also ship, one phrase per strategy."""
    out: list[str] = []
    where = f"{ship_to.country}/{ship_to.region}" if ship_to and ship_to.region else None
    where = where or (ship_to.country if ship_to else "?")
    for strategy in config.strategies:
        if strategy is Strategy.NEAREST and ship_to:
            d = _distance(chosen, ship_to, config, origins)
            if d is not None:
                others = [_distance(w, ship_to, config, origins) for w in rivals]
                nearest = all(o is None or d.value <= o.value for o in others)
                out.append(f"{'nearest to' if nearest else 'distance to'} {where} ({d.label})")
        elif strategy is Strategy.CHEAPEST and ship_to:
            c, source = _cost(chosen, ship_to, config, quotes)
            if c is not None:
                others_c = [_cost(w, ship_to, config, quotes)[0] for w in rivals]
                cheapest = all(o is None or c <= o for o in others_c)
                label = "cheapest to" if cheapest else "cost to"
                # with quotes in play, say which input priced it (a quote, or the table)
                quoted = f", {source}" if quotes or source != "cost table" else ""
                out.append(f"{label} {where} ({c} {config.cost_currency}{quoted})")
        elif strategy is Strategy.FASTEST:
            days = quoted_days(quotes, chosen)
            if days is not None:
                others_d = [quoted_days(quotes, w) for w in rivals]
                fastest = all(o is None or days <= o for o in others_d)
                out.append(f"{'fastest' if fastest else 'arrives'} in {days} day(s) (quoted)")
        elif strategy is Strategy.PRIORITY and chosen in config.priority:
            out.append(f"priority {config.priority.index(chosen) + 1}")
    if len(rivals) == 1 and not out:
        out.append("the only warehouse that can")
    return out + unused_quotes((chosen, *rivals), config.strategies, config.cost_currency, quotes)


def _shortage(
    groups: Sequence[_Group],
    pool: tuple[str, ...],
    stock: StockView,
    tail: str,
    stock_unknown: frozenset[str] = frozenset(),
    cartons: CartonView | None = None,
) -> str:
    """Name the first line no warehouse can ship and what each warehouse has (and, where the
    hub was never told a warehouse's stock, how to tell it)."""
    unknown = [w for w in pool if w in stock_unknown]
    hint = (
        f"; stock unknown at {', '.join(unknown)}: run `channelhub stock set|import|pull`"
        if unknown
        else ""
    )
    return _short_line(groups, pool, stock, tail, cartons or {}) + hint


def _short_line(
    groups: Sequence[_Group],
    pool: tuple[str, ...],
    stock: StockView,
    tail: str,
    cartons: CartonView,
) -> str:
    for group in groups:
        if any(_fits(group, w, stock, cartons) for w in pool):
            continue
        for line in group:
            have = ", ".join(f"{w} has {stock.get((w, line.sku), 0)}" for w in pool)
            if all(stock.get((w, line.sku), 0) < line.quantity for w in pool):
                text = (
                    f"no warehouse has {line.quantity} x {line.sku} for line "
                    f"{line.order_line_id} ({have})"
                )
                return f"{text} {tail}".strip()
            refused = carton_refusal(pool, line.sku, line.quantity, stock, cartons)
            if refused:
                text = f"no warehouse can ship {line.quantity} x {line.sku} ({refused})"
                return f"{text} for line {line.order_line_id} {tail}".strip()
        return f"no single warehouse has every part of line {group[0].order_line_id} {tail}".strip()
    return f"no single warehouse can fill the order {tail}".strip()
