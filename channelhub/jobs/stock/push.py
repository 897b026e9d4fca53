"""Stock back-sync (库存同步): push each listing's sellable quantity, only when it changed.

One run for one channel account:

1. (transaction 1) pick the listings to look at — every paired listing on a full sweep (on
   request, on an account's first run, and when the last sweep is older than ``sweep_every``);
   otherwise those whose stock SKUs changed and then stayed quiet for the debounce window (or
   kept changing past the maximum wait), plus those whose last push is still pending (a crash
   after sending) or was refused for now (retryable) — read from those SKUs backwards
   (:mod:`channelhub.jobs.stock.reach`), not from every listing, book and catalog, so its
   cost does not grow with the seller's library; compute their quantity with
   :func:`channelhub.core.sellable.sellable`; keep only the ones whose quantity differs from
   the last value the channel *confirmed*; store each as a pending push with its explanation;
   forget the dirty marks read; commit.
2. send them in one ``connector.push_quantities`` call (the connector batches to its
   contract's limit: Shopify 250 per mutation, Amazon one feed above a few SKUs, eBay 25);
   a connector whose ``push_quantities`` takes ``history=`` (eBay) also gets the last 24
   hours of confirmed pushes, so it can hold a listing at its daily revision limit;
3. (transaction 2) settle every pending push: confirmed, or rejected with the channel's words
   and whether a later run should retry.

Safety (issue 10: a first push zeroed a seller's listings because the hub knew no stock):
nothing is pushed while no warehouse is registered; a listing served by a warehouse whose
stock was never set, imported or pulled is skipped and counted; and the mass-drop guard
(:func:`channelhub.core.push_safety.check_mass_drop`) stops a push that would cut many
listings at once (a share of every listing the account's push positions, which a push of
changes counts with :func:`~channelhub.jobs.stock.reach.positioned_count`) before any call,
rolls step 1 back and records the stop for ``stock explain`` and ``/metrics`` until the
seller sends it with ``stock push ACCOUNT --confirm``.
Whether the job runs at all is the account's stock sync switch (off until the seller turns
it on; see :mod:`channelhub.jobs.engine.handlers`).

An unchanged quantity is never pushed (eBay allows 250 revisions a day). A crash between 1
and 3 leaves pending rows, which the next run pushes again — setting a quantity twice is
harmless. The debounce compares the injected ``now`` with the times the ledger hook wrote,
so the window must exceed the longest transaction that records movements.
"""

from __future__ import annotations

import inspect
import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from channelhub.connectors.errors import ConnectorError
from channelhub.connectors.results import QuantityPushResult, QuantityUpdate
from channelhub.core.catalog import Catalog
from channelhub.core.errors import ChannelhubError, ConfigError, NotFound
from channelhub.core.listing import Listing
from channelhub.core.push_safety import (
    DEFAULT_MASS_DROP_SHARE,
    Drop,
    MassDropDecision,
    check_mass_drop,
    is_drop,
)
from channelhub.core.sellable import SellableExplanation, StockRules
from channelhub.jobs.engine.fencing import Fence, LeaseLost, no_fence
from channelhub.jobs.engine.kinds import JobKind, job_enabled, with_job_switch
from channelhub.jobs.engine.leasing import default_holder, holding
from channelhub.jobs.stock.compute import (
    Resolved,
    Target,
    compute_sellable,
    explain,
    explain_listing,
    load_rules,
    resolve,
    unknown_stock,
)
from channelhub.jobs.stock.reach import positioned_count, resolve_listings, touching
from channelhub.store.repos.accounts import get_account, list_accounts, update_account
from channelhub.store.repos.catalog import load_catalog
from channelhub.store.repos.listings import list_listings
from channelhub.store.repos.pairings import load_book
from channelhub.store.repos.stock import stock_balances
from channelhub.store.repos.stock_sync import (
    PushBlock,
    PushRecord,
    clear_block,
    clear_dirty,
    confirmed_pushes_since,
    dirty_skus,
    get_block,
    last_sweep,
    latest_pushes,
    listings_to_retry,
    record_block,
    record_push,
    record_sweep,
    settle_push,
    stock_known_at,
)
from channelhub.store.repos.warehouses import warehouses_of_account
from channelhub.store.tables.stock_sync import PushState

__all__ = [
    "NO_WAREHOUSE",
    "PushPreview",
    "PushSafety",
    "PushSummary",
    "PushedItem",
    "QuantityPusher",
    "StockPushStopped",
    "StockSyncOff",
    "StockSyncTiming",
    "compute_sellable",
    "explain_listing",
    "load_rules",
    "mass_drop_share_for",
    "preview_push",
    "push_status",
    "push_stock",
    "stock_sync_on",
    "turn_stock_sync_on",
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

    debounce: timedelta = timedelta(seconds=2)
    max_wait: timedelta = timedelta(seconds=30)
    #: a run becomes a full sweep when the last one is older than this (None: only on request);
    #: the first run of an account is always a full sweep.
    sweep_every: timedelta | None = timedelta(hours=1)
    #: how often ``channelhub run`` looks for stock changes another process committed (a
    #: ``stock set`` typed in a terminal), which no in-process hook announces (None: never;
    #: the interval run then pushes them)
    watch: timedelta | None = timedelta(seconds=5)

    @classmethod
    def of_seconds(
        cls, *, debounce: float, max_wait: float, sweep: float, watch: float = 5.0
    ) -> StockSyncTiming:
        """``[stock] debounce_seconds``, ``max_wait_seconds``, ``sweep_seconds`` (0: no
        periodic sweep), ``watch_seconds`` (0: no look) as the job's timing."""
        return cls(
            debounce=timedelta(seconds=debounce),
            max_wait=timedelta(seconds=max_wait),
            sweep_every=timedelta(seconds=sweep) if sweep > 0 else None,
            watch=timedelta(seconds=watch) if watch > 0 else None,
        )


#: What a push says, and does, when no warehouse is registered: push nothing.
NO_WAREHOUSE = (
    "no warehouse is registered, so the hub knows no stock: add one with `channelhub "
    "warehouses add` and load its stock with `channelhub stock set|import|pull`"
)
#: The account setting that overrides ``[stock] mass_drop_share`` for one account.
ACCOUNT_SHARE_SETTING = "stock_mass_drop_share"


class StockPushStopped(ChannelhubError):
    """The mass-drop guard stopped a push; ``channelhub stock push ACCOUNT --confirm`` sends it."""


def mass_drop_share_for(settings: Mapping[str, object], default: Decimal) -> Decimal:
    """The account's ``stock_mass_drop_share`` setting, else ``default``."""
    value = settings.get(ACCOUNT_SHARE_SETTING)
    if value is None:
        return default
    try:
        share = Decimal(str(value))
    except InvalidOperation:
        share = Decimal(-1)
    if not 0 <= share <= 1:
        raise ConfigError(
            f"account setting {ACCOUNT_SHARE_SETTING}: {value!r} is not a share between 0 and 1"
        )
    return share


def stock_sync_on(settings: Mapping[str, object]) -> bool:
    """Whether the seller turned stock sync on for an account with these settings."""
    return job_enabled(settings, JobKind.PUSH_STOCK)


def turn_stock_sync_on(session: Session, account: str, *, now: datetime) -> None:
    """Turn the account's stock sync on (the seller confirmed a preview): ``channelhub run``
    pushes its quantities from now on."""
    row = get_account(session, account)
    update_account(
        session,
        account,
        now=now,
        settings=with_job_switch(row.settings or {}, JobKind.PUSH_STOCK, True),
    )


def stopped_hint(account: str) -> str:
    """How the seller sends a push the guard stopped."""
    return (
        f"check the quantities with `channelhub stock push {account} --preview`, then send "
        f"them with `channelhub stock push {account} --confirm`"
    )


#: Why a listing the channel ships from its own stock (Amazon FBA / AFN) is never pushed.
CHANNEL_FULFILLED_WHY = (
    "fulfilled by the channel (e.g. Amazon FBA): it sells from the channel's own stock, so the "
    "hub never pushes it a merchant quantity"
)


def unknown_hint(codes: Sequence[str]) -> str:
    return f"stock unknown at {', '.join(codes)}"


@dataclass(frozen=True)
class PushSafety:
    """How the guards apply to one push: the mass-drop share, and whether the seller
    confirmed the drops (``--confirm``: push past the guard and clear its record)."""

    mass_drop_share: Decimal = DEFAULT_MASS_DROP_SHARE
    confirm_drops: bool = False


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
    # a sweep counts these over the account's listings, a push of changes over those it read
    unpaired: int = 0  # listings no binding resolves (nothing to push)
    problems: list[tuple[str, str]] = field(default_factory=list)  # listing, why not computed
    items: list[PushedItem] = field(default_factory=list)
    error: str | None = None  # the whole call failed (every item is then rejected)
    #: listings not pushed because a warehouse serving them has unknown stock -> those codes
    unknown: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    no_warehouse: bool = False  # nothing pushed: no warehouse is registered
    blocked: MassDropDecision | None = None  # the mass-drop guard stopped the push
    confirmed_drops: tuple[Drop, ...] = ()  # drops pushed on the seller's confirmation
    channel_fulfilled: int = 0  # listings the channel ships from its own stock (FBA): skipped

    def notes(self) -> list[str]:
        """Why listings were not pushed, one line each (the job log's note)."""
        if self.no_warehouse:
            return [f"nothing pushed: {NO_WAREHOUSE}"]
        out = []
        if self.channel_fulfilled:
            out.append(f"left {self.channel_fulfilled} listing(s) alone: {CHANNEL_FULFILLED_WHY}")
        counts = Counter(codes for _, codes in self.unknown)
        for codes, n in sorted(counts.items()):
            listings = "listing" if n == 1 else "listings"
            out.append(
                f"skipped {n} {listings}: {unknown_hint(codes)} "
                "(load it with `channelhub stock set|import|pull`)"
            )
        if self.blocked is not None:
            out.append(f"{self.blocked.reason()}: {stopped_hint(self.account)}")
        return out

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
            f"{len(self.rejected)} rejected, {self.unpaired} unpaired, "
            f"{len(self.unknown)} skipped (stock unknown)"
        ]
        lines.extend(f"  {note}" for note in self.notes())
        if self.blocked is not None:
            lines.extend(f"  WOULD CUT {drop.render()}" for drop in self.blocked.drops)
        lines.extend(f"  CONFIRMED CUT {drop.render()}" for drop in self.confirmed_drops)
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
        lines.extend(
            f"  SKIPPED  {listing}: {unknown_hint(codes)}" for listing, codes in self.unknown
        )
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


class _Stopped(Exception):
    """Rolls the planning transaction back (sweep, pending pushes, dirty marks) when the
    mass-drop guard stops a push; ``push_stock`` then records the stop on its own."""

    def __init__(self, decision: MassDropDecision) -> None:
        super().__init__(decision.reason())
        self.decision = decision


@dataclass(frozen=True)
class _Assessed:
    """A listing's computed quantity against what the channel holds."""

    target: Target
    explanation: SellableExplanation
    previous: int | None  # the last value the channel confirmed
    before: int | None  # confirmed, else the quantity last read from the channel

    @property
    def quantity(self) -> int:
        return self.explanation.quantity


def _assess(
    session: Session,
    targets: Sequence[Target],
    *,
    confirmed: Mapping[Any, PushRecord],
    catalog: Any,
    rules: StockRules,
    allowed_warehouses: Sequence[str] | None,
) -> list[_Assessed]:
    explained = explain(
        session, targets, catalog=catalog, rules=rules, allowed_warehouses=allowed_warehouses
    )
    out = []
    for target, explanation in zip(targets, explained, strict=True):
        known = confirmed.get(target.listing.key)
        previous = known.quantity if known else None
        before = previous if previous is not None else target.listing.quantity
        out.append(_Assessed(target, explanation, previous, before))
    return out


def _guard(changes: Sequence[_Assessed], *, positioned: int, share: Decimal) -> MassDropDecision:
    return check_mass_drop(
        ((str(a.target.listing.key), a.before, a.quantity) for a in changes),
        listings=positioned,
        share=share,
    )


def _account_listings(session: Session, channel: str, account: str) -> tuple[Catalog, Resolved]:
    """The product library, and what each of the account's listings ships (push and preview
    read them alike, so the preview shows what the push would send)."""
    catalog = load_catalog(session)
    listings = list_listings(session, channel=channel, account=account)
    resolved = resolve(listings, book=load_book(session), catalog=catalog)
    return catalog, resolved.without_channel_fulfilled()


def _changed_listings(
    session: Session, channel: str, account: str, seen: Mapping[str, datetime]
) -> tuple[Catalog, Resolved]:
    """What a push of changes looks at: the account's listings the due SKUs ``seen`` reach
    and those whose last push wants another look, resolved as :func:`_account_listings`
    would (:mod:`channelhub.jobs.stock.reach`: no other listing, binding or SKU is read)."""
    again = listings_to_retry(session, channel=channel, account=account)
    catalog, resolved = touching(session, channel=channel, account=account, skus=seen, also=again)
    return catalog, resolved.without_channel_fulfilled()


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
    safety: PushSafety,
    summary: PushSummary,
) -> list[_Planned]:
    known_at = stock_known_at(session)
    if not known_at:  # nothing is known: every listing would be pushed 0
        summary.no_warehouse = True
        log.warning("stock push %s:%s: %s", channel, account, NO_WAREHOUSE)
        return []
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
    if full_sweep:
        catalog, resolved = _account_listings(session, channel, account)
        listing_ids = None
    else:  # the listings the due SKUs reach and those to look at again, not the account
        catalog, resolved = _changed_listings(session, channel, account, seen)
        listing_ids = {t.listing.listing_id for t in resolved.targets}
    latest = latest_pushes(session, channel=channel, account=account, listing_ids=listing_ids)
    confirmed = latest_pushes(
        session, channel=channel, account=account, confirmed_only=True, listing_ids=listing_ids
    )
    summary.unpaired = resolved.unpaired
    summary.problems = resolved.problems
    summary.channel_fulfilled = len(resolved.channel_fulfilled)
    for problem in resolved.problems:
        log.warning("stock push %s:%s skips %s: %s", channel, account, *problem)
    positioned: list[Target] = []
    for target in resolved.targets:
        missing = unknown_stock(
            target.listing, rules=rules, allowed_warehouses=allowed_warehouses, known_at=known_at
        )
        if missing:
            summary.unknown.append((str(target.listing.key), missing))
        else:
            positioned.append(target)
    chosen: list[tuple[Target, str]] = []
    for target in positioned:
        last = latest.get(target.listing.key)
        if full_sweep:
            chosen.append((target, "sweep"))
        elif target.needs.keys() & seen.keys():
            chosen.append((target, "dirty"))
        elif _wants_another_look(last):
            chosen.append((target, "retry"))
    assessed = _assess(
        session,
        [target for target, _ in chosen],
        confirmed=confirmed,
        catalog=catalog,
        rules=rules,
        allowed_warehouses=allowed_warehouses,
    )
    changes: list[tuple[_Assessed, str]] = []
    for (target, trigger), item in zip(chosen, assessed, strict=True):
        last = latest.get(target.listing.key)
        summary.considered += 1
        uncertain = last is not None and last.state is PushState.PENDING
        if item.previous == item.quantity and not uncertain:
            summary.unchanged += 1
            continue
        changes.append((item, trigger))
    cuts = [item for item, _ in changes]
    decision = _guard(cuts, positioned=len(positioned), share=safety.mass_drop_share)
    if decision.blocked and not full_sweep:
        # a push of changes positioned only the listings its SKUs reach, fewer than the
        # account's (a larger share base only lets more cuts pass): decide on them all
        every = positioned_count(
            session,
            channel=channel,
            account=account,
            rules=rules,
            allowed_warehouses=allowed_warehouses,
            known_at=known_at,
        )
        decision = _guard(cuts, positioned=every, share=safety.mass_drop_share)
    if decision.blocked and not safety.confirm_drops:
        summary.blocked = decision
        raise _Stopped(decision)
    if decision.blocked:
        summary.confirmed_drops = decision.drops
    clear_block(session, channel=channel, account=account)
    planned: list[_Planned] = []
    for item, trigger in changes:
        key = item.target.listing.key
        push_id = record_push(
            session,
            key,
            quantity=item.quantity,
            previous=item.previous,
            explanation=item.explanation.model_dump(mode="json"),
            trigger=trigger,
            now=now,
        )
        update = QuantityUpdate(
            listing=key,
            quantity=item.quantity,
            channel_sku=item.target.listing.channel_sku,
            inventory_ref=item.target.listing.inventory_ref,
            expected_previous=item.previous,
        )
        planned.append(_Planned(push_id, update, item.previous))
    clear_dirty(session, channel=channel, account=account, seen=seen)
    return planned


@dataclass(frozen=True)
class PreviewRow:
    """One listing of a preview: what the channel shows, what the hub would push, and why."""

    listing: str
    channel_sku: str | None
    channel_now: int | None  # the quantity last read from the channel (None: unknown)
    would_push: int | None  # None: not pushed
    why: str


@dataclass
class PushPreview:
    """What a full push of one account would do, without doing it."""

    channel: str
    account: str
    rows: list[PreviewRow] = field(default_factory=list)
    unpaired: int = 0
    no_warehouse: bool = False
    decision: MassDropDecision | None = None
    block: PushBlock | None = None  # a stopped push waiting for the seller


def _short_why(explanation: SellableExplanation) -> str:
    """The stock behind a quantity in a few words (``stock explain`` has every step)."""
    parts = [f"{c.sku}: {c.available} available" for c in explanation.components]
    if explanation.limiting_sku:
        parts.append(f"limited by {explanation.limiting_sku}")
    rule = explanation.rule
    if rule.buffer:
        parts.append(f"buffer {rule.buffer}")
    if explanation.multiplier != 1:
        parts.append(f"{explanation.multiplier}-pack")
    if rule.share != 1:
        parts.append(f"share {rule.share}")
    if rule.maximum is not None:
        parts.append(f"max {rule.maximum}")
    return ", ".join(parts)


def preview_push(
    session: Session,
    *,
    channel: str,
    account: str,
    rules: StockRules,
    allowed_warehouses: Sequence[str] | None = None,
    share: Decimal = DEFAULT_MASS_DROP_SHARE,
) -> PushPreview:
    """Every paired listing of the account as a full push would treat it; writes nothing."""
    preview = PushPreview(
        channel=channel, account=account, block=get_block(session, channel=channel, account=account)
    )
    known_at = stock_known_at(session)
    catalog, resolved = _account_listings(session, channel, account)
    preview.unpaired = resolved.unpaired
    preview.no_warehouse = not known_at
    listings = {str(t.listing.key): t.listing for t in resolved.targets}
    for key, problem in resolved.problems:
        preview.rows.append(PreviewRow(key, None, None, None, problem))
    for target in resolved.channel_fulfilled:
        listing = target.listing
        why = f"{listing.fulfilment_network}: {CHANNEL_FULFILLED_WHY}"
        preview.rows.append(
            PreviewRow(str(listing.key), listing.channel_sku, listing.quantity, None, why)
        )
    positioned: list[Target] = []
    for target in resolved.targets:
        missing = unknown_stock(
            target.listing, rules=rules, allowed_warehouses=allowed_warehouses, known_at=known_at
        )
        if preview.no_warehouse or missing:
            why = "no warehouse is registered" if preview.no_warehouse else unknown_hint(missing)
            listing = target.listing
            preview.rows.append(
                PreviewRow(
                    str(listing.key), listing.channel_sku, listing.quantity, None, why,
                )
            )  # fmt: skip
        else:
            positioned.append(target)
    confirmed = latest_pushes(session, channel=channel, account=account, confirmed_only=True)
    assessed = _assess(
        session,
        positioned,
        confirmed=confirmed,
        catalog=catalog,
        rules=rules,
        allowed_warehouses=allowed_warehouses,
    )
    changes = [item for item in assessed if item.previous != item.quantity]
    preview.decision = _guard(changes, positioned=len(positioned), share=share)
    for item in assessed:
        listing = listings[str(item.target.listing.key)]
        steps = _short_why(item.explanation)
        if item.previous == item.quantity:
            why = f"unchanged: the channel confirmed {item.quantity}"
        elif is_drop(item.before, item.quantity):
            why = f"CUT from {item.before}: {steps}"
        else:
            why = steps
        preview.rows.append(
            PreviewRow(str(listing.key), listing.channel_sku, listing.quantity, item.quantity, why)
        )
    preview.rows.sort(key=lambda row: row.listing)
    return preview


class StockSyncOff(ChannelhubError):
    """A push asked for without a TTY on an account whose stock sync is off."""


def push_status(
    session: Session,
    listing: Listing,
    *,
    rules: StockRules,
    allowed_warehouses: Sequence[str] | None,
) -> list[str]:
    """Why the push job would not push ``listing`` now, one line each (``stock explain``):
    the account's stock sync is off, no warehouse or a serving warehouse's stock is unknown,
    or the mass-drop guard holds the account's push."""
    lines = []
    if listing.fulfilment_network is not None:
        lines.append(f"not pushed: {listing.fulfilment_network}: {CHANNEL_FULFILLED_WHY}")
        lines.extend(channel_stock_lines(session, listing))
        return lines
    try:
        settings = get_account(session, listing.account).settings or {}
    except NotFound:
        settings = None
    if settings is not None and not stock_sync_on(settings):
        lines.append(
            f"stock sync is off for {listing.account}: preview it with "
            f"`channelhub stock push {listing.account}`"
        )
    known_at = stock_known_at(session)
    missing = unknown_stock(
        listing, rules=rules, allowed_warehouses=allowed_warehouses, known_at=known_at
    )
    if not known_at:
        lines.append(f"not pushed: {NO_WAREHOUSE}")
    elif missing:
        lines.append(
            f"not pushed: {unknown_hint(missing)}: load it with `channelhub stock set|import|pull`"
        )
    block = get_block(session, channel=listing.channel, account=listing.account)
    if block is not None:
        cut = block.affects(str(listing.key))
        this = (
            f"this listing would go from {cut[0]} to {cut[1]}"
            if cut
            else "this listing is not among the cuts"
        )
        lines.append(
            f"push STOPPED at {block.blocked_at:%Y-%m-%d %H:%M} UTC: {block.reason}; {this}; "
            f"{stopped_hint(listing.account)}"
        )
    return lines


#: The warehouse platform whose accounts read a channel's own stock (FBA inventory).
CHANNEL_STOCK_PLATFORMS: Mapping[str, str] = {"amazon": "amazon_mcf"}


def channel_stock_lines(session: Session, listing: Listing) -> list[str]:
    """Where a channel-fulfilled listing's stock is in the ledger: each warehouse an account
    of the channel's stock platform (``amazon_mcf`` for FBA) reads, with the on-hand count of
    the listing's SKU(s) there (every such warehouse: each line names its code)."""
    platform = CHANNEL_STOCK_PLATFORMS.get(listing.channel)
    if platform is None:
        return []
    _, resolved = resolve_listings(session, [listing])
    skus = sorted({sku for t in resolved.targets for sku in t.needs})
    lines = []
    for account in list_accounts(session, platform):
        rows = warehouses_of_account(session, account.name)
        codes = [r.code for r in rows] or [str(account.settings.get("warehouse") or account.name)]
        for code in codes:
            balances = stock_balances(session, warehouse=code, skus=skus) if skus else {}
            counts = ", ".join(
                f"{sku} {balances[(code, sku)].on_hand if (code, sku) in balances else 0} on hand"
                for sku in skus
            )
            lines.append(
                f"channel stock at {code} (read by {platform} account {account.name}): "
                + (counts or "the listing is not paired to a SKU")
            )
    if not lines:
        lines.append(
            f"no {platform} account reads this stock: add one to see it here "
            f"(`channelhub accounts add {platform} NAME ...`)"
        )
    return lines


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
    safety: PushSafety = PushSafety(),
    fence: Fence = no_fence,
) -> PushSummary:
    """Push the changed sellable quantities of one channel account (see module docstring).

    Nothing is pushed when no warehouse is registered (``summary.no_warehouse``); a listing a
    warehouse of unknown stock serves is skipped (``summary.unknown``); a push the mass-drop
    guard stops calls nothing, is recorded for ``stock explain`` and ``/metrics`` and
    returned with ``summary.blocked`` set, until ``safety.confirm_drops`` sends it.

    A connector failure of the whole call is recorded on every item (rejected, retryable as
    the error says) and reported in ``summary.error``; any other exception propagates and
    leaves the items pending, so the next run pushes them again; so does ``fence`` (passed
    right before the push) when the run's lease was taken over.
    """
    channel = connector.platform
    summary = PushSummary(channel=channel, account=account, full_sweep=full_sweep)
    try:
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
                safety=safety,
                summary=summary,
            )
    except _Stopped as stop:
        decision = stop.decision
        with session_factory() as session, session.begin():
            record_block(
                session,
                channel=channel,
                account=account,
                reason=decision.reason(),
                drops=[(d.listing, d.before, d.after) for d in decision.drops],
                now=now,
            )
        log.warning("stock push %s:%s: %s", channel, account, decision.reason())
        return summary
    if not planned:
        return summary
    updates = [p.update for p in planned]
    results: list[QuantityPushResult]
    fence()
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


class PushBusy(ChannelhubError):
    """The account's stock push is running elsewhere (``channelhub run``), or took over."""


async def push_stock_leased(
    session_factory: sessionmaker[Session],
    *,
    account: str,
    lease_ttl: timedelta,
    wait: timedelta,
    **push: Any,
) -> PushSummary:
    """:func:`push_stock` under the account's ``push_stock`` lease, as a person's
    ``channelhub stock push`` runs beside ``channelhub run``: it waits up to ``wait`` for the
    scheduler's push to end, then holds the lease (heartbeat, fence before the push), so two
    pushes never send beside each other and an older quantity never lands after a newer."""
    async with holding(
        session_factory,
        account,
        JobKind.PUSH_STOCK.value,
        holder=default_holder(),
        now=lambda: datetime.now(UTC),
        ttl=lease_ttl,
        wait=wait,
    ) as lease:
        if lease is None:
            raise PushBusy(
                f"the stock push of {account} is still running elsewhere (`channelhub run`) "
                f"after {wait.total_seconds():g} s: try again in a moment"
            )
        try:
            return await push_stock(session_factory, account=account, fence=lease.fence, **push)
        except LeaseLost as lost:
            raise PushBusy(str(lost)) from None
