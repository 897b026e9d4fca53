"""What a seller does with stock by hand, shared by ``channelhub stock explain|import|push`` and
the console's Stock screen: find a listing, explain it with its push history and why it would
not be pushed now, import a CSV of counts (all or nothing), and push now (turning stock sync on
first when the seller confirms it).

The CLI and the console only show what these return; neither computes anything itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from channelhub.core.errors import ChannelhubError, ConfigError, InvalidInput, NotFound
from channelhub.core.listing import Listing, ListingKey
from channelhub.core.push_safety import DEFAULT_MASS_DROP_SHARE
from channelhub.core.rulebook import Rulebook, load_rulebook
from channelhub.core.sellable import SellableExplanation
from channelhub.core.stock_account import UnitAccount, account_for_units
from channelhub.jobs.stock.compute import load_rules
from channelhub.jobs.stock.push import (
    PushPreview,
    PushSafety,
    PushSummary,
    StockSyncOff,
    StockSyncTiming,
    explain_listing,
    mass_drop_share_for,
    preview_push,
    push_status,
    push_stock_leased,
    stock_sync_on,
    turn_stock_sync_on,
)
from channelhub.jobs.stock.warehouses import ImportSummary, check_stock_rows, import_stock
from channelhub.mappings.csv_table import RowError
from channelhub.mappings.stock_csv import parse_stock_csv
from channelhub.store.repos.accounts import AccountInfo, get_account
from channelhub.store.repos.listings import get_listing, to_listing
from channelhub.store.repos.stock_sync import PushRecord, push_history
from channelhub.store.tables.listings import ListingRow
from channelhub.store.tables.stock_sync import PushState


def rulebook_for(home: Path | None, rules_file: Path | None = None) -> Rulebook:
    """The hub's rulebook as the jobs read it: ``rules_file``, else ``<home>/rules.toml``,
    else the built-in defaults."""
    if home is None and rules_file is None:
        return load_rulebook({})
    return load_rules(rules_file, home=home or Path("."))


def find_listings(session: Session, text: str, *, account: str | None) -> list[Listing]:
    """``channel:account:listing_id[/variation]``, or a channel SKU of ``account``."""
    if account is not None:
        platform = get_account(session, account).platform
        rows = session.scalars(
            select(ListingRow)
            .where(
                ListingRow.channel == platform,
                ListingRow.account == account,
                ListingRow.channel_sku == text,
            )
            .order_by(ListingRow.listing_id, ListingRow.variation_id)
        ).all()
        if not rows:
            raise NotFound(f"no listing of {platform}:{account} has the channel SKU {text!r}")
        return [to_listing(row) for row in rows]
    parts = text.split(":", 2)
    if len(parts) != 3 or not all(parts):
        raise InvalidInput.field(
            "LISTING", text, "is neither channel:account:listing_id[/variation] nor, with "
            "--account, a channel SKU",
        )  # fmt: skip
    channel, name, rest = parts
    # ids may hold "/" themselves: try the whole text as the listing id, then each split
    splits = [(rest, None)] + [
        (rest[:i], rest[i + 1 :]) for i, c in enumerate(rest) if c == "/" and 0 < i < len(rest) - 1
    ]
    for listing_id, variation in splits:
        key = ListingKey(
            channel=channel, account=name, listing_id=listing_id, variation_id=variation
        )
        try:
            return [get_listing(session, key)]
        except NotFound:
            continue
    raise NotFound(f"listing {text} is not in the hub")


def describe_push(history: Sequence[PushRecord]) -> list[str]:
    """The last push and the last value the channel confirmed."""
    if not history:
        return ["last push: never pushed"]
    last = history[0]
    when = last.pushed_at.isoformat()
    match last.state:
        case PushState.CONFIRMED:
            lines = [f"last push: {last.quantity} at {when}, confirmed by the channel"]
        case PushState.REJECTED:
            again = "retried next run" if last.retryable else "not retried until it changes"
            lines = [f"last push: {last.quantity} at {when}, REJECTED: {last.reason} ({again})"]
        case _:
            lines = [f"last push: {last.quantity} at {when}, pending (no answer yet)"]
    if last.state is not PushState.CONFIRMED:
        confirmed = next((p for p in history if p.state is PushState.CONFIRMED), None)
        lines.append(
            f"channel last confirmed: {confirmed.quantity} at {confirmed.pushed_at.isoformat()}"
            if confirmed
            else "channel last confirmed: nothing yet"
        )
    return lines


@dataclass(frozen=True)
class ListingStock:
    """Everything ``stock explain`` says about one listing. ``explanation`` is None when the
    listing has no single SKU (``problem`` says why)."""

    listing: Listing
    explanation: SellableExplanation | None
    problem: str | None
    allowed_note: str | None
    units: tuple[UnitAccount, ...]
    history: list[PushRecord]
    push_lines: list[str]
    status: list[str]


def listing_stock(session: Session, listing: Listing, rulebook: Rulebook) -> ListingStock:
    """The explain breakdown, where every unit went, the push history and why the push job
    would not push the listing now."""
    allowed = rulebook.allocation.allowed_for(listing.channel, listing.account)
    explanation: SellableExplanation | None = None
    problem = None
    try:
        explanation = explain_listing(
            session, listing, rules=rulebook.stock, allowed_warehouses=allowed
        )
    except ChannelhubError as exc:  # unpaired, or a pairing conflict: shown, not raised
        problem = str(exc)
    note = None
    if explanation is not None and explanation.rule.warehouses is None and allowed is not None:
        note = (
            f"warehouses allowed by [allocation.allowed] for "
            f"{listing.channel}:{listing.account}: {', '.join(allowed)}"
        )
    history = push_history(session, listing.key)
    return ListingStock(
        listing=listing,
        explanation=explanation,
        problem=problem,
        allowed_note=note,
        units=account_for_units(explanation) if explanation is not None else (),
        history=history,
        push_lines=describe_push(history),
        status=push_status(session, listing, rules=rulebook.stock, allowed_warehouses=allowed),
    )


class StockImportRejected(ChannelhubError):
    """A stock CSV with bad rows: nothing was imported; ``errors`` lists every row's fault."""

    def __init__(self, source: str, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__(f"{source}: {len(errors)} bad row(s), nothing imported")


def import_stock_csv(session: Session, text: str, *, source: str, now: datetime) -> ImportSummary:
    """Parse and check every row, then import all of them in the caller's transaction, or
    none (:class:`StockImportRejected` with every fault)."""
    parsed = parse_stock_csv(text)
    errors = list(parsed.errors)
    if not errors or all(e.row > 0 for e in errors):
        errors += check_stock_rows(session, parsed.rows)
    if errors:
        raise StockImportRejected(source, sorted(errors, key=lambda e: e.row))
    return import_stock(session, parsed.rows, source=source, now=now)


@dataclass(frozen=True)
class PushPlan:
    """What a push of one account would start from: the preview and the account's switches."""

    preview: PushPreview
    sync_on: bool
    share: Decimal


def push_preview(
    session: Session,
    account: str,
    rulebook: Rulebook,
    *,
    default_share: Decimal = DEFAULT_MASS_DROP_SHARE,
) -> PushPlan:
    """What a full push of ``account`` would send, and whether stock sync is on (writes
    nothing)."""
    info = AccountInfo.of(get_account(session, account))
    share = mass_drop_share_for(info.settings, default_share)
    preview = preview_push(
        session,
        channel=info.platform,
        account=account,
        rules=rulebook.stock,
        allowed_warehouses=rulebook.allocation.allowed_for(info.platform, account),
        share=share,
    )
    return PushPlan(preview, stock_sync_on(info.settings), share)


@dataclass
class PushOutcome:
    """What :func:`push_now` did: ``turned_on`` when it switched stock sync on first."""

    summary: PushSummary
    turned_on: bool = False
    notes: list[str] = field(default_factory=list)


async def push_now(
    session_factory: sessionmaker[Session],
    account: str,
    connector: object,
    rulebook: Rulebook,
    *,
    now: datetime,
    full: bool = False,
    confirm: bool = False,
    default_share: Decimal = DEFAULT_MASS_DROP_SHARE,
    lease_ttl: timedelta = timedelta(minutes=5),
    wait: timedelta = timedelta(0),
    timing: StockSyncTiming | None = None,
) -> PushOutcome:
    """Push ``account``'s changed quantities now. Stock sync off: only with ``confirm`` (the
    seller saw the preview), which turns it on and pushes every listing. ``confirm`` also
    sends what the mass-drop guard stopped. The push holds the account's ``push_stock`` lease
    (:func:`push_stock_leased`: waits up to ``wait`` for ``channelhub run``'s push to end)."""
    with session_factory() as session:
        info = AccountInfo.of(get_account(session, account))
    if not callable(getattr(connector, "push_quantities", None)):
        raise ConfigError(
            f"account {account!r} ({info.platform}) is not a sales channel: stock is pushed to "
            "sales channel accounts only"
        )
    turned_on = False
    if not stock_sync_on(info.settings):
        if not confirm:
            raise StockSyncOff(
                f"stock sync is off for {account}: to turn it on and push the quantities of "
                f"the preview, run `channelhub stock push {account} --confirm`"
            )
        with session_factory() as session, session.begin():
            turn_stock_sync_on(session, account, now=now)
        turned_on = full = True  # push what the preview showed: every listing
    summary = await push_stock_leased(
        session_factory,
        account=account,
        lease_ttl=lease_ttl,
        wait=wait,
        connector=connector,
        rules=rulebook.stock,
        now=now,
        full_sweep=full,
        timing=timing or StockSyncTiming(),
        allowed_warehouses=rulebook.allocation.allowed_for(info.platform, account),
        safety=PushSafety(
            mass_drop_share=mass_drop_share_for(info.settings, default_share),
            confirm_drops=confirm,
        ),
    )
    return PushOutcome(summary, turned_on)


__all__ = [
    "ListingStock",
    "PushOutcome",
    "PushPlan",
    "StockImportRejected",
    "describe_push",
    "find_listings",
    "import_stock_csv",
    "listing_stock",
    "push_now",
    "push_preview",
    "rulebook_for",
]
