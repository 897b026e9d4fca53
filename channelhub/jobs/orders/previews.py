"""Live warehouse quotes for allocation: Amazon MCF ``getFulfillmentPreview`` asked for each
waiting order, passed to the (pure) pipeline as its cost and speed input.

A warehouse takes part when its account says so (``allocation_preview = true``, an
``amazon_mcf`` setting): :func:`fetch_quotes` asks its connector (any :class:`PreviewSource`)
for each order the pipeline is about to plan, with the hub SKUs the order's lines are paired to
(the channel SKU when no pairing is known yet) and its ship-to address, and keeps the first
fulfillable speed's fees and latest arrival as a
:class:`~channelhub.core.allocation_quotes.WarehouseQuote`. A preview that fails is a quote
without a cost: allocation then weighs that warehouse by the cost table, as without previews,
and its reasons say why.

The scheduled pipeline (``pull_orders`` after each page and in its sweep, so ``sync orders``
too) asks through :class:`RunPreviews`: the accounts that want previews, their connectors built
by the run's connector factory on first use, at most a budget of calls per account and run
(``allocation_preview_budget``, default 20, at most the burst of 30), and none more from an
account once a call failed for a reason that is not the order's (throttled, down, refused
credentials). An order is never held back by a preview.
:func:`run_pipeline_with_previews` is one pipeline run with previews, outside any job.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from sqlalchemy.orm import Session

from channelhub.connectors.errors import BadRequest, ConnectorError, ContractViolation
from channelhub.core.allocation_quotes import WarehouseQuote
from channelhub.core.bindings import ListingRef, PairingBook
from channelhub.core.errors import ChannelhubError
from channelhub.core.order import Order, OrderKey
from channelhub.core.parties import Address
from channelhub.core.redaction import redact_active
from channelhub.jobs.orders.pipeline import (
    PIPELINE_STATUSES,
    PipelineCounts,
    PipelineSettings,
    pending_order_keys,
)
from channelhub.jobs.orders.pipeline_batch import run_pipeline
from channelhub.jobs.orders.planner import listings_of
from channelhub.mappings.amazon_mcf.orders import PreviewQuote
from channelhub.store.repos.accounts import get_account, list_accounts
from channelhub.store.repos.orders import get_order_row, to_order
from channelhub.store.repos.pairings import load_book
from channelhub.store.repos.warehouses import warehouses_of_account

log = logging.getLogger(__name__)
SETTING = "allocation_preview"
BUDGET_SETTING = "allocation_preview_budget"
#: Previews one job run may ask of one account: below getFulfillmentPreview's burst (30), so
#: the run never waits on the usage plan and leaves the account's other calls some burst.
DEFAULT_BUDGET = 20
MAX_BUDGET = 30


@runtime_checkable
class PreviewSource(Protocol):
    """A warehouse connector that quotes an order before it is sent (AmazonMcfWarehouse)."""

    async def preview(
        self, ship_to: Address, lines: Sequence[tuple[str, int]], *, speeds: Sequence[str] = ()
    ) -> list[PreviewQuote]: ...


def wants_previews(settings: Mapping[str, object]) -> bool:
    """Whether a warehouse account's settings ask for previews in allocation."""
    value = settings.get(SETTING)
    return value is True or str(value).lower() in ("1", "true", "yes", "on")


def _lines(order: Order, book: PairingBook) -> list[tuple[str, int]]:
    """(hub SKU, units) of the order's open lines: the pairing in force, else the channel SKU."""
    out: dict[str, int] = {}
    for line in order.lines:
        if line.open_quantity <= 0:
            continue
        binding = book.resolve(ListingRef.of_line(order, line))
        sku = binding.sku if binding is not None else line.channel_sku
        multiplier = binding.multiplier if binding is not None else 1
        if sku:
            out[sku] = out.get(sku, 0) + line.open_quantity * multiplier
    return list(out.items())


def to_quote(warehouse: str, previews: Sequence[PreviewQuote], now: datetime) -> WarehouseQuote:
    """The first fulfillable speed's fees and latest arrival (whole days, rounded up); a
    warehouse that can fulfil none is quoted without a cost."""
    for preview in previews:
        if preview.fulfillable:
            days = None
            if preview.latest_arrival is not None:
                days = max(0, math.ceil((preview.latest_arrival - now) / timedelta(days=1)))
            return WarehouseQuote(
                warehouse=warehouse,
                source=f"Amazon MCF preview ({preview.speed})",
                cost=preview.fees.amount if preview.fees else None,
                currency=preview.fees.currency if preview.fees else None,
                arrival_days=days,
            )
    return WarehouseQuote(warehouse=warehouse, source="Amazon MCF preview (not fulfillable)")


def _problem(error: Exception) -> str:
    """One short redacted line for a decision's reasons."""
    text = redact_active(str(error)).splitlines()[0] if str(error) else type(error).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def _unquoted(warehouses: Sequence[str], why: str) -> dict[str, WarehouseQuote]:
    return {w: WarehouseQuote(warehouse=w, source=f"Amazon MCF preview {why}") for w in warehouses}


def _budget(settings: Mapping[str, object]) -> int:
    value = settings.get(BUDGET_SETTING, DEFAULT_BUDGET)
    if isinstance(value, bool) or not isinstance(value, int | str):
        return DEFAULT_BUDGET
    try:
        return max(0, min(int(value), MAX_BUDGET))
    except ValueError:
        return DEFAULT_BUDGET


@dataclass
class PreviewAccount:
    """One account asked for previews during a run: its hub warehouses and its budget."""

    name: str
    warehouses: tuple[str, ...]
    budget: int
    build: Callable[[], Any]
    source: PreviewSource | None = None
    asked: int = 0
    #: why the rest of the run goes without this account's previews
    broken: str | None = None
    _built: Any = field(default=None, repr=False)

    def _connect(self) -> PreviewSource | None:
        if self.source is None and self.broken is None:
            try:
                self._built = self.build()
            except (ChannelhubError, ConnectorError) as error:
                self.broken = f"not asked: account {self.name!r}: {_problem(error)}"
                return None
            if isinstance(self._built, PreviewSource):
                self.source = self._built
            else:
                self.broken = f"not asked: account {self.name!r} gives no previews"
        return self.source

    async def quote(
        self, ship_to: Address, lines: Sequence[tuple[str, int]], now: datetime
    ) -> dict[str, WarehouseQuote]:
        """This account's quote of one order for each of its warehouses; a quote without a
        cost (and why) when it was not asked or failed."""
        if self.asked >= self.budget:
            return _unquoted(self.warehouses, f"not asked (budget of {self.budget} per run spent)")
        source = None if self.broken else self._connect()
        if source is None:
            return _unquoted(self.warehouses, self.broken or "not asked")
        self.asked += 1
        try:
            previews = await source.preview(ship_to, lines)
        except (BadRequest, ContractViolation, ChannelhubError) as error:
            # this order's request or answer: the next order may well be asked
            log.warning("preview at %s failed: %s", self.name, error)
            return _unquoted(self.warehouses, f"failed: {_problem(error)}")
        except ConnectorError as error:
            # throttled, down, credentials refused: spare Amazon and the run the rest
            log.warning("previews at %s stop for this run: %s", self.name, error)
            self.broken = f"not asked: an earlier one failed ({_problem(error)})"
            return _unquoted(self.warehouses, f"failed: {_problem(error)}")
        return {w: to_quote(w, previews, now) for w in self.warehouses}

    async def aclose(self) -> None:
        if self._built is not None:
            built, self._built, self.source = self._built, None, None
            await built.aclose()


class RunPreviews:
    """The previews of one job run: each pipeline order asked once, within the budgets."""

    def __init__(self, accounts: Sequence[PreviewAccount]) -> None:
        self.accounts = list(accounts)
        self._asked: dict[str, dict[str, WarehouseQuote]] = {}

    @classmethod
    def for_run(
        cls, session_factory: Callable[[], Session], connector_factory: Callable[[Any], Any]
    ) -> RunPreviews | None:
        """The accounts whose settings ask for previews and that serve a warehouse; None when
        there is none (the pipeline then runs as without previews)."""
        accounts = []
        with session_factory() as session:
            for info in list_accounts(session):
                if not wants_previews(info.settings):
                    continue
                codes = tuple(w.code for w in warehouses_of_account(session, info.name))
                if codes:

                    def build(name: str = info.name) -> Any:
                        with session_factory() as session:
                            return connector_factory(get_account(session, name))

                    accounts.append(PreviewAccount(info.name, codes, _budget(info.settings), build))
        return cls(accounts) if accounts else None

    async def quotes(
        self,
        session_factory: Callable[[], Session],
        keys: Sequence[OrderKey],
        *,
        now: datetime,
    ) -> dict[str, dict[str, WarehouseQuote]]:
        """Quotes by order key (text) and warehouse for those of ``keys`` the pipeline will
        plan (an order asked earlier in the run keeps its first quotes)."""
        wanted: list[tuple[str, Address, list[tuple[str, int]]]] = []
        with session_factory() as session:
            fresh: dict[str, tuple[str, Order]] = {}
            for key in keys:
                text = str(key)
                if text in self._asked or text in fresh:
                    continue
                row = get_order_row(session, key)
                fresh[text] = (row.hub_status, to_order(row))
            # just the bindings these orders' lines can use, whatever the library's size
            book = load_book(session, listings_of(order for _, order in fresh.values()))
            for text, (status, order) in fresh.items():
                lines = _lines(order, book)
                if status in PIPELINE_STATUSES and order.ship_to is not None and lines:
                    wanted.append((text, order.ship_to, lines))
        for text, ship_to, lines in wanted:
            found: dict[str, WarehouseQuote] = {}
            for account in self.accounts:
                found.update(await account.quote(ship_to, lines, now))
            self._asked[text] = found
        return {str(k): self._asked[str(k)] for k in keys if str(k) in self._asked}

    async def aclose(self) -> None:
        for account in self.accounts:
            await account.aclose()


def _given(source: PreviewSource) -> Callable[[], PreviewSource]:
    return lambda: source


async def fetch_quotes(
    session_factory: Callable[[], Session],
    sources: Mapping[str, PreviewSource],
    *,
    now: datetime,
    limit: int = 500,
) -> dict[str, dict[str, WarehouseQuote]]:
    """Quotes by order key (text) and warehouse, for the orders the pipeline will plan
    (each warehouse's ``sources`` connector asked, without a budget; closing it is the
    caller's)."""
    if not sources:
        return {}
    previews = RunPreviews(
        [PreviewAccount(w, (w,), limit, _given(source)) for w, source in sources.items()]
    )
    with session_factory() as session:
        keys = pending_order_keys(session, limit=limit)
    return await previews.quotes(session_factory, keys, now=now)


async def run_pipeline_with_previews(
    session_factory: Callable[[], Session],
    sources: Mapping[str, PreviewSource],
    *,
    settings: PipelineSettings,
    now: datetime,
    limit: int = 500,
) -> PipelineCounts:
    """The pipeline run, with the warehouses' previews as allocation's cost and speed input."""
    quotes = await fetch_quotes(session_factory, sources, now=now, limit=limit)
    return run_pipeline(
        session_factory, settings=replace(settings, quotes=quotes), now=now, limit=limit
    )
