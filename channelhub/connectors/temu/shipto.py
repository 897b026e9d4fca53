"""Fetching ship-to addresses for Temu parent orders (``bg.order.shippinginfo.v2.get``).

Contract unverified: the order list and detail carry no address, so a merchant-fulfilled
order can only be dispatched after this separate call, one per parent order (every child of
the parent shares its answer). Channel-fulfilled parents (Temu's cooperative warehouses) are
never asked: the seller does not ship them and should not hold the buyer's data.

Failure policy (never an order silently without an address):
- a retryable failure (5xx, 4000000, 4000004 past the retry budget, transport) propagates, so
  the whole page is not yielded and the import resumes from the same cursor;
- a fatal Temu refusal for one parent (e.g. 180020001 "country not opened", 180020008 "sign
  the DPA first") becomes a :class:`RecordFailure` for that parent's group: its orders are
  recorded as failed with the reason, the rest of the page goes on;
- any other fatal error (bad credentials, contract violation) propagates.
The answer is put beside the group under ``shippingInfo`` so the raw record kept for the
group replays to the same orders with their address.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from channelhub.connectors.temu.auth import TemuApiError
from channelhub.mappings.temu import (
    ORDER_SHIPPING_INFO,
    SHIPPING_INFO_KEY,
    needs_ship_to,
    shipping_info_params,
)

Call = Callable[[str, Mapping[str, Any]], Awaitable[Any]]


@dataclass
class ShipToFetcher:
    """Adds ``shippingInfo`` to the groups that need it; one call per parent and version.

    The cache key is (parentOrderSn, updateTime): a parent seen again unchanged within one
    pull is not asked twice, one updated since (an address change is an update) is.
    """

    call: Call
    _cache: dict[tuple[str, object], Any] = field(default_factory=dict)

    async def attach(
        self, groups: Sequence[Any], *, raise_refusals: bool = False
    ) -> tuple[list[Any], dict[int, str]]:
        """The groups with their ship-to, and {index: reason} for parents Temu refused
        (``raise_refusals``: let the refusal propagate instead, for a single-parent fetch)."""
        out: list[Any] = []
        refused: dict[int, str] = {}
        for index, group in enumerate(groups):
            if not isinstance(group, Mapping) or not needs_ship_to(group):
                out.append(group)
                continue
            parent = group.get("parentOrderMap")
            parent_sn = parent.get("parentOrderSn") if isinstance(parent, Mapping) else None
            if not isinstance(parent_sn, str) or not parent_sn:
                out.append(group)  # the order mapping reports the missing parentOrderSn
                continue
            key = (parent_sn, parent.get("updateTime") if isinstance(parent, Mapping) else None)
            if key not in self._cache:
                try:
                    self._cache[key] = await self.call(
                        ORDER_SHIPPING_INFO, shipping_info_params(parent_sn)
                    )
                except TemuApiError as exc:
                    if raise_refusals:
                        raise
                    refused[index] = (
                        f"parent order {parent_sn}: Temu refused its ship-to address ({exc}); "
                        "its orders are held until the address can be fetched"
                    )
                    out.append(group)
                    continue
            out.append({**group, SHIPPING_INFO_KEY: self._cache[key]})
        return out, refused
