"""Stock push to Shopify: ``inventorySetQuantities`` in calls of at most 250, compare-and-set.

A change carries the quantity we last pushed as ``compareQuantity``; if Shopify holds another
number (someone sold or counted meanwhile) the whole call is refused with
``COMPARE_QUANTITY_STALE`` for that item. The stale items are re-read once and the call
retried once; what is still stale is reported (retryable), never silently forced.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from channelhub.connectors.results import QuantityPushResult, QuantityUpdate
from channelhub.connectors.shopify.transport import ShopifyGraphQL
from channelhub.mappings import shopify as m


class StockPush:
    """The stock half of the Shopify connector (mixed into :class:`ShopifyConnector`)."""

    account: str
    _gql: ShopifyGraphQL
    _location: str | None
    _location_resolved: bool

    async def locations(self) -> list[m.ShopifyLocation]:
        """Every location of the shop (where stock is counted and pushed)."""
        found: list[m.ShopifyLocation] = []
        after = None
        while True:
            answer = await self._gql.call("locations", m.locations_request(after=after))
            found += m.normalize_locations(answer)
            more, after = m.page_info(m.data_of(answer, "locations").get("locations"), "locations")
            if not more or not after:
                return found

    async def managed_location(self) -> str | None:
        """The one location whose stock the hub sets and reads back: the ``location_id``
        setting, else the shop's first active location (read once); None if it has none.

        Pushes and listing pulls use the same one, so what a pull reads is what was pushed.
        """
        if self._location is None and not self._location_resolved:
            active = [location for location in await self.locations() if location.active]
            self._location = active[0].location_id if active else None
        self._location_resolved = True
        return self._location

    async def push_quantities(self, updates: Sequence[QuantityUpdate]) -> list[QuantityPushResult]:
        """Set ``available`` in calls of at most 250, compare-and-set on ``expected_previous``.

        A stale compare value is re-read and the change retried once (in one more call per
        batch); if it is stale again it is reported retryable. Every update gets a result.
        """
        results: dict[int, QuantityPushResult] = {}
        changes: dict[int, m.QuantityChange] = {}
        last_for_key: dict[tuple[str, str], int] = {}
        needs_default = any(u.inventory_ref and not u.location for u in updates)
        default = await self.managed_location() if needs_default else None
        for i, update in enumerate(updates):
            location = update.location or default
            if not update.inventory_ref or not location:
                missing = (
                    "inventory item (inventory_ref)" if not update.inventory_ref else "location"
                )
                results[i] = QuantityPushResult(
                    update.listing, update.quantity, False, f"no Shopify {missing} to push to"
                )
                continue
            change = m.QuantityChange(
                update.inventory_ref, location, update.quantity, update.expected_previous
            )
            if change.key in last_for_key:
                earlier = last_for_key[change.key]
                results[earlier] = QuantityPushResult(
                    updates[earlier].listing,
                    updates[earlier].quantity,
                    False,
                    "superseded by a later update of the same item in this push",
                )
                del changes[earlier]
            last_for_key[change.key] = i
            changes[i] = change
        checked = [i for i, c in changes.items() if c.compare_quantity is not None]
        unchecked = [i for i, c in changes.items() if c.compare_quantity is None]
        for group in (checked, unchecked):
            for start in range(0, len(group), m.MAX_INPUT_ITEMS):
                batch = group[start : start + m.MAX_INPUT_ITEMS]
                outcome = await self._set_batch([changes[i] for i in batch], retry_stale=True)
                for i, result in zip(batch, outcome, strict=True):
                    results[i] = _push_result(updates[i], result)
        return [results[i] for i in range(len(updates))]

    async def _set_batch(
        self, batch: list[m.QuantityChange], *, retry_stale: bool
    ) -> list[m.QuantityResult]:
        body = m.inventory_set_quantities_request(
            batch, reference_document_uri=(f"channelhub://stock-push/{self.account}")
        )
        answer = await self._gql.call("setQuantities", body)
        results = m.inventory_set_results(batch, answer)
        stale = [r for r in results if r.status == "stale"]
        if not retry_stale or not stale:
            return results
        current = await self._read_levels([r.change.inventory_item_id for r in stale])
        final: dict[tuple[str, str], m.QuantityResult] = {}
        again: list[m.QuantityChange] = []
        for result in results:
            key = result.change.key
            if result.status == "stale":
                now_there = current.get(key)
                if now_there is None:
                    final[key] = replace(
                        result, status="rejected", message="the item is no longer stocked there"
                    )
                elif now_there == result.change.quantity:
                    final[key] = m.QuantityResult(result.change, "accepted")  # already so
                else:
                    again.append(replace(result.change, compare_quantity=now_there))
            elif result.status == "not_applied":
                again.append(result.change)
            else:
                final[key] = result
        while again:  # the call is atomic: resend what only failed alongside another item
            retried = await self._set_batch(again, retry_stale=False)
            again = [r.change for r in retried if r.status == "not_applied"]
            if len(again) == len(retried):
                again = []  # nothing failed for its own sake: do not loop
            final.update({r.change.key: r for r in retried})
        return [final[r.change.key] for r in results]

    async def _read_levels(self, item_ids: list[str]) -> dict[tuple[str, str], int]:
        levels: dict[tuple[str, str], int] = {}
        unique = list(dict.fromkeys(item_ids))
        size = m.queries.LEVELS_PAGE_SIZE
        for start in range(0, len(unique), size):
            answer = await self._gql.call(
                "levels", m.inventory_levels_request(unique[start : start + size])
            )
            levels.update(m.inventory_levels(answer))
        return levels


def _push_result(update: QuantityUpdate, result: m.QuantityResult) -> QuantityPushResult:
    if result.status == "accepted":
        return QuantityPushResult(update.listing, update.quantity, True)
    retryable = result.status in {"stale", "not_applied"}
    reason = result.message or result.code or result.status
    if result.code and result.code not in reason:
        reason = f"{result.code}: {reason}"
    return QuantityPushResult(update.listing, update.quantity, False, reason, retryable)
