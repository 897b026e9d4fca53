"""Live warehouse quotes for allocation: Amazon MCF ``getFulfillmentPreview`` asked for each
waiting order, passed to the (pure) pipeline as its cost and speed input.

A warehouse takes part when its account says so (``allocation_preview = true``, an
``amazon_mcf`` setting): :func:`fetch_quotes` asks its connector (any :class:`PreviewSource`)
for each order the pipeline is about to plan, with the hub SKUs the order's lines are paired to
(the channel SKU when no pairing is known yet) and its ship-to address, and keeps the first
fulfillable speed's fees and latest arrival as a
:class:`~channelhub.core.allocation_quotes.WarehouseQuote`. A preview that fails is left out:
allocation then weighs that warehouse by the cost table, as without previews.
:func:`run_pipeline_with_previews` is the pipeline run with those quotes.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from sqlalchemy.orm import Session

from channelhub.connectors.errors import FatalError, RetryableError
from channelhub.core.allocation_quotes import WarehouseQuote
from channelhub.core.bindings import ListingRef, PairingBook
from channelhub.core.errors import ChannelhubError
from channelhub.core.order import Order
from channelhub.core.parties import Address
from channelhub.jobs.orders.pipeline import PipelineCounts, PipelineSettings, pending_order_keys
from channelhub.jobs.orders.pipeline_batch import run_pipeline
from channelhub.mappings.amazon_mcf.orders import PreviewQuote
from channelhub.store.repos.orders import get_order_row, to_order
from channelhub.store.repos.pairings import load_book

log = logging.getLogger(__name__)
SETTING = "allocation_preview"


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


async def fetch_quotes(
    session_factory: Callable[[], Session],
    sources: Mapping[str, PreviewSource],
    *,
    now: datetime,
    limit: int = 500,
) -> dict[str, dict[str, WarehouseQuote]]:
    """Quotes by order key (text) and warehouse, for the orders the pipeline will plan."""
    if not sources:
        return {}
    with session_factory() as session:
        book = load_book(session)
        orders = [
            to_order(get_order_row(session, k)) for k in pending_order_keys(session, limit=limit)
        ]
    found: dict[str, dict[str, WarehouseQuote]] = {}
    for order in orders:
        lines = _lines(order, book)
        if order.ship_to is None or not lines:
            continue
        for warehouse, source in sources.items():
            try:
                previews = await source.preview(order.ship_to, lines)
            except (RetryableError, FatalError, ChannelhubError) as error:
                log.warning("preview of %s at %s failed: %s", order.key, warehouse, error)
                continue
            found.setdefault(str(order.key), {})[warehouse] = to_quote(warehouse, previews, now)
    return found


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
