"""Live quotes a warehouse gives for one order (Amazon MCF getFulfillmentPreview): cost and
speed inputs to allocation, beside the static cost table of ``rules.toml``.

Pure: the job asks the warehouses that are configured for it and passes the answers in
(``allocate(..., quotes=...)``). A quote wins over the cost table for its warehouse when its
currency is the table's (``cost_currency``); a quote in another currency is not compared. A
warehouse that said it cannot fulfil the order is left to the stock check (its quote carries
no cost). The FASTEST strategy ranks by the quoted arrival, unquoted warehouses last.

A quote without a usable cost (the preview failed, was not asked for lack of budget, said
"not fulfillable", or priced in another currency) leaves that warehouse to the cost table, and
the decision's reasons say so (:func:`unused_quote`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from pydantic import BaseModel, Field

from channelhub.core.allocation_config import Strategy
from channelhub.core.types import VALUE_CONFIG


class WarehouseQuote(BaseModel):
    """What one warehouse quoted for shipping one order."""

    model_config = VALUE_CONFIG

    warehouse: str = Field(min_length=1)
    source: str = Field(min_length=1)  # e.g. "Amazon MCF preview (Standard)"
    cost: Decimal | None = Field(default=None, ge=0)
    currency: str | None = None
    arrival_days: int | None = Field(default=None, ge=0)  # latest arrival, whole days from now


Quotes = Mapping[str, WarehouseQuote]
"""Quotes by warehouse code, for one order."""


def quoted_cost(quotes: Quotes | None, warehouse: str, currency: str) -> Decimal | None:
    """The quote's cost for ``warehouse`` when it is in ``currency``; else None."""
    quote = quotes.get(warehouse) if quotes else None
    if quote is None or quote.cost is None or quote.currency != currency:
        return None
    return quote.cost


def quoted_days(quotes: Quotes | None, warehouse: str) -> int | None:
    """The quoted arrival (days) for ``warehouse``; None when not quoted."""
    quote = quotes.get(warehouse) if quotes else None
    return None if quote is None else quote.arrival_days


def unused_quote(quotes: Quotes | None, warehouse: str, currency: str) -> str | None:
    """Why ``warehouse``'s quote gave allocation no cost (its source says: failed, not asked,
    not fulfillable; or the currency); None when it did, or when there is no quote."""
    quote = quotes.get(warehouse) if quotes else None
    if quote is None or quoted_cost(quotes, warehouse, currency) is not None:
        return None
    if quote.cost is not None:
        return f"{quote.source} quoted in {quote.currency}, not {currency}"
    return quote.source


def unused_quotes(
    warehouses: Iterable[str], strategies: Iterable[Strategy], currency: str, quotes: Quotes | None
) -> list[str]:
    """One reason per weighed warehouse whose quote gave no cost: what it was weighed by
    instead, and why (a failed or skipped preview, not fulfillable, another currency)."""
    ranking = set(strategies)
    if not quotes or not {Strategy.CHEAPEST, Strategy.FASTEST} & ranking:
        return []
    instead = "by the cost table" if Strategy.CHEAPEST in ranking else "unquoted"
    out = []
    for warehouse in dict.fromkeys(warehouses):
        why = unused_quote(quotes, warehouse, currency)
        if why is not None:
            out.append(f"{warehouse} {instead} ({why})")
    return out
