"""Stock back-sync (库存同步): push each listing's sellable quantity, only when it changed.

One run for one channel account:

1. (transaction 1) pick the listings to look at — every paired listing on a full sweep (on
   request, on an account's first run, and when the last sweep is older than ``sweep_every``);
   otherwise those whose stock SKUs changed and then stayed quiet for the debounce window (or
   kept changing past the maximum wait), plus those whose last push is still pending (a crash
   after sending) or was refused for now (retryable); compute their quantity with
   :func:`channelhub.core.sellable.sellable`; keep only the ones whose quantity differs from
   the last value the channel *confirmed*; store each as a pending push with its explanation;
   forget the dirty marks read; commit.
2. send them in one ``connector.push_quantities`` call (the connector batches to its
   contract's limit: Shopify 250 per mutation, Amazon one feed above a few SKUs, eBay 25);
   a connector whose ``push_quantities`` takes ``history=`` (eBay) also gets the last 24
   hours of confirmed pushes, so it can hold a listing at its daily revision limit;
3. (transaction 2) settle every pending push: confirmed, or rejected with the channel's words
   and whether a later run should retry.

An unchanged quantity is never pushed (eBay allows 250 revisions a day). A crash between 1
and 3 leaves pending rows, which the next run pushes again — setting a quantity twice is
harmless. The debounce compares the injected ``now`` with the times the ledger hook wrote,
so the window must exceed the longest transaction that records movements.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session

from channelhub.connectors.errors import ConnectorError
from channelhub.connectors.results import QuantityPushResult, QuantityUpdate
from channelhub.core.sellable import StockRules
from channelhub.jobs.stock_compute import (
    Target,
    compute_sellable,
    explain,
    explain_listing,
    load_rules,
    resolve,
)
from channelhub.store.repos.catalog import load_catalog
from channelhub.store.repos.listings import list_listings
from channelhub.store.repos.pairings import load_book
from channelhub.store.repos.stock_sync import (
    PushRecord,
    clear_dirty,
    confirmed_pushes_since,
    dirty_skus,
    last_sweep,
    latest_pushes,
    record_push,
    record_sweep,
    settle_push,
)
from channelhub.store.tables.stock_sync import PushState

__all__ = [
    "PushSummary",
    "PushedItem",
    "QuantityPusher",
    "StockSyncTiming",
    "compute_sellable",
    "explain_listing",
    "load_rules",
    "push_stock",
]

log = logging.getLogger(__name__)

SessionFactory = Callable[[], Session]


class QuantityPusher(Protocol):
    """The part of a SalesChannel connector this job uses."""

    platform: str

    async def push_quantities(
        self, updates: Sequence[QuantityUpdate]
    ) -> list[QuantityPushResult]: ...


@dataclass(frozen=True)
class StockSyncTiming:
    """Debounce: push a changed SKU once it has been quiet for ``debounce``, or at the latest
    ``max_wait`` after its burst of changes began (a best-seller never goes quiet); and the
    periodic full sweep that catches what no ledger movement announces (re-binds, rule edits,
    new listings)."""

    debounce: timedelta = timedelta(seconds=30)
    max_wait: timedelta = timedelta(minutes=5)
    #: a run becomes a full sweep when the last one is older than this (None: only on request);
    #: the first run of an account is always a full sweep.
    sweep_every: timedelta | None = timedelta(hours=1)


@dataclass(frozen=True)
class PushedItem:
    """One listing of a push run and what the channel said."""

    listing: str
    quantity: int
    previous: int | None  # the last confirmed value (None: never confirmed)
    accepted: bool
    reason: str | None = None
    retryable: bool = False


@dataclass
class PushSummary:
    """What one push run did; ``render()`` is what ``channelhub stock push`` prints."""

    channel: str
    account: str
    full_sweep: bool
    considered: int = 0  # paired listings whose quantity was computed
    unchanged: int = 0  # computed, equal to the confirmed value: not pushed
    unpaired: int = 0  # listings no binding resolves (nothing to push)
    problems: list[tuple[str, str]] = field(default_factory=list)  # listing, why not computed
    items: list[PushedItem] = field(default_factory=list)
    error: str | None = None  # the whole call failed (every item is then rejected)

    @property
    def pushed(self) -> int:
        return len(self.items)

    @property
    def confirmed(self) -> list[PushedItem]:
        return [item for item in self.items if item.accepted]

    @property
    def rejected(self) -> list[PushedItem]:
        return [item for item in self.items if not item.accepted]

    def render(self) -> str:
        kind = "full sweep" if self.full_sweep else "changes"
        lines = [
            f"{self.channel}:{self.account} ({kind}): {self.considered} listings computed, "
            f"{self.unchanged} unchanged, {self.pushed} pushed, {len(self.confirmed)} confirmed, "
            f"{len(self.rejected)} rejected, {self.unpaired} unpaired"
        ]
        for item in self.items:
            was = "never pushed" if item.previous is None else f"was {item.previous}"
            if item.accepted:
                lines.append(f"  ok       {item.listing} = {item.quantity} ({was})")
            else:
                again = "retried next run" if item.retryable else "not retried until it changes"
                lines.append(
                    f"  REJECTED {item.listing} = {item.quantity}: {item.reason} ({again})"
                )
        lines.extend(f"  SKIPPED  {listing}: {why}" for listing, why in self.problems)
        if self.error:
            lines.append(f"  the push failed: {self.error}")
        return "\n".join(lines)


@dataclass(frozen=True)
class _Planned:
    push_id: int
    update: QuantityUpdate
    previous: int | None


def _wants_another_look(record: PushRecord | None) -> bool:
    """Pending (maybe never reached the channel) or refused for now: look again."""
    if record is None:
        return False
    return record.state is PushState.PENDING or (
        record.state is PushState.REJECTED and record.retryable
    )


def _plan(
    session: Session,
    *,
    channel: str,
    account: str,
    rules: StockRules,
    now: datetime,
    full_sweep: bool,
    timing: StockSyncTiming,
    allowed_warehouses: Sequence[str] | None,
    summary: PushSummary,
) -> list[_Planned]:
    swept = last_sweep(session, channel=channel, account=account)
    if swept is None or (timing.sweep_every is not None and swept <= now - timing.sweep_every):
        full_sweep = True
    summary.full_sweep = full_sweep
    if full_sweep:
        record_sweep(session, channel=channel, account=account, now=now)
        seen = dirty_skus(session, channel=channel, account=account, settled_before=None)
    else:
        seen = dirty_skus(
            session,
            channel=channel,
            account=account,
            settled_before=now - timing.debounce,
            waiting_since=now - timing.max_wait,
        )
    latest = latest_pushes(session, channel=channel, account=account)
    confirmed = latest_pushes(session, channel=channel, account=account, confirmed_only=True)
    catalog = load_catalog(session)
    resolved = resolve(
        list_listings(session, channel=channel, account=account),
        book=load_book(session),
        catalog=catalog,
    )
    summary.unpaired = resolved.unpaired
    summary.problems = resolved.problems
    for problem in resolved.problems:
        log.warning("stock push %s:%s skips %s: %s", channel, account, *problem)
    chosen: list[tuple[Target, str]] = []
    for target in resolved.targets:
        last = latest.get(target.listing.key)
        if full_sweep:
            chosen.append((target, "sweep"))
        elif target.needs.keys() & seen.keys():
            chosen.append((target, "dirty"))
        elif _wants_another_look(last):
            chosen.append((target, "retry"))
    explained = explain(
        session,
        [target for target, _ in chosen],
        catalog=catalog,
        rules=rules,
        allowed_warehouses=allowed_warehouses,
    )
    planned: list[_Planned] = []
    for (target, trigger), explanation in zip(chosen, explained, strict=True):
        key = target.listing.key
        last = latest.get(key)
        summary.considered += 1
        quantity = explanation.quantity
        known = confirmed.get(key)
        previous = known.quantity if known else None
        uncertain = last is not None and last.state is PushState.PENDING
        if previous == quantity and not uncertain:
            summary.unchanged += 1
            continue
        push_id = record_push(
            session,
            key,
            quantity=quantity,
            previous=previous,
            explanation=explanation.model_dump(mode="json"),
            trigger=trigger,
            now=now,
        )
        update = QuantityUpdate(
            listing=key,
            quantity=quantity,
            channel_sku=target.listing.channel_sku,
            inventory_ref=target.listing.inventory_ref,
            expected_previous=previous,
        )
        planned.append(_Planned(push_id, update, previous))
    clear_dirty(session, channel=channel, account=account, seen=seen)
    return planned


def _takes_history(connector: QuantityPusher) -> bool:
    """Whether the connector counts revisions from our push log (``history=``, eBay)."""
    try:
        return "history" in inspect.signature(connector.push_quantities).parameters
    except (TypeError, ValueError):  # a builtin or C callable without a signature
        return False


def _revisions_today(
    session: Session, channel: str, account: str, now: datetime, updates: Sequence[QuantityUpdate]
) -> list[Any]:
    """The confirmed pushes of the last 24 hours of the listings about to be pushed, keyed by
    the SKU the eBay connector sends (inventory_ref, channel SKU, variation, listing id)."""
    from channelhub.mappings.ebay.builders import PushRecord as Revision

    sku_of = {
        u.listing: u.inventory_ref
        or u.channel_sku
        or u.listing.variation_id
        or u.listing.listing_id
        for u in updates
    }
    return [
        Revision(sku_of[p.listing], p.quantity, p.confirmed_at or p.pushed_at)
        for p in confirmed_pushes_since(
            session, channel=channel, account=account, since=now - timedelta(days=1)
        )
        if p.listing in sku_of
    ]


async def push_stock(
    session_factory: SessionFactory,
    *,
    account: str,
    connector: QuantityPusher,
    rules: StockRules,
    now: datetime,
    full_sweep: bool = False,
    timing: StockSyncTiming = StockSyncTiming(),
    allowed_warehouses: Sequence[str] | None = None,
) -> PushSummary:
    """Push the changed sellable quantities of one channel account (see module docstring).

    A connector failure of the whole call is recorded on every item (rejected, retryable as
    the error says) and reported in ``summary.error``; any other exception propagates and
    leaves the items pending, so the next run pushes them again.
    """
    channel = connector.platform
    summary = PushSummary(channel=channel, account=account, full_sweep=full_sweep)
    with session_factory() as session, session.begin():
        planned = _plan(
            session,
            channel=channel,
            account=account,
            rules=rules,
            now=now,
            full_sweep=full_sweep,
            timing=timing,
            allowed_warehouses=allowed_warehouses,
            summary=summary,
        )
    if not planned:
        return summary
    updates = [p.update for p in planned]
    results: list[QuantityPushResult]
    try:
        if _takes_history(connector):  # eBay: 250 revisions per listing per day
            with session_factory() as session:
                history = _revisions_today(session, channel, account, now, updates)
            push_with_history: Any = connector.push_quantities
            results = await push_with_history(updates, history=history)
        else:
            results = await connector.push_quantities(updates)
        if len(results) != len(updates):
            reason = f"the connector answered {len(results)} results for {len(updates)} updates"
            summary.error = reason
            results = [
                QuantityPushResult(u.listing, u.quantity, False, reason, True) for u in updates
            ]
    except ConnectorError as error:
        summary.error = str(error)
        results = [
            QuantityPushResult(u.listing, u.quantity, False, str(error), error.retryable)
            for u in updates
        ]
    with session_factory() as session, session.begin():
        for plan, result in zip(planned, results, strict=True):
            settle_push(
                session,
                plan.push_id,
                accepted=result.accepted,
                reason=result.reason,
                retryable=result.retryable,
                now=now,
                submission_id=result.submission_id,
            )
            summary.items.append(
                PushedItem(
                    listing=str(plan.update.listing),
                    quantity=plan.update.quantity,
                    previous=plan.previous,
                    accepted=result.accepted,
                    reason=None if result.accepted else result.reason,
                    retryable=result.retryable and not result.accepted,
                )
            )
    for item in summary.rejected:
        log.warning(
            "stock push %s:%s: %s = %s rejected: %s", channel, account, item.listing,
            item.quantity, item.reason,
        )  # fmt: skip
    return summary
