"""Stock back-sync bookkeeping: dirty SKUs per channel account, and the pushes made.

Marking: every recorded ledger movement marks its SKU dirty for every channel account the
push job serves (one ``INSERT ... SELECT ... ON CONFLICT`` over ``stock_sync_accounts``), so
each account's push job consumes its own marks. A burst of movements keeps
``first_changed_at`` and moves ``changed_at``. The SKUs marked are also noted on the session
(:func:`marked_in_transaction`), so the push can be woken when, and only if, the transaction
commits.

Consuming: the job reads the marks that are due, and deletes each one only if it did not
change since it was read (``changed_at <= seen``), so a movement landing during a push run is
never lost: it stays dirty for the next run.

Safety: :func:`stock_known_at` tells the push job which warehouses' stock the hub knows;
:func:`record_block` / :func:`get_block` / :func:`clear_block` keep the push the mass-drop
guard stopped until the seller confirms it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, or_, select, text
from sqlalchemy.orm import Session, aliased

from channelhub.core.listing import ListingKey
from channelhub.store.one_of import one_of
from channelhub.store.repos._upsert import insert_for
from channelhub.store.tables.listings import ListingRow
from channelhub.store.tables.stock import WarehouseRow
from channelhub.store.tables.stock_sync import (
    PushState,
    StockDirtyRow,
    StockPushBlockRow,
    StockPushRow,
    StockSyncAccountRow,
)

#: ``session.info`` key: the stock SKUs marked dirty in the session's current transaction
#: (read by :mod:`channelhub.jobs.stock.wake` when it commits; cleared on rollback).
MARKED_INFO_KEY = "channelhub.stock_marked_skus"


def marked_in_transaction(session: Session) -> set[str]:
    """The stock SKUs :func:`mark_dirty` marked since the session's last commit or rollback
    (the set itself: the commit hook empties it)."""
    marked: set[str] = session.info.setdefault(MARKED_INFO_KEY, set())
    return marked


def mark_dirty(session: Session, skus: Iterable[str], *, now: datetime) -> None:
    """Mark ``skus`` changed at ``now`` for every channel account the push job serves, and
    note them on the session so its commit can wake the push (:mod:`channelhub.jobs.stock.wake`).

    One statement for all the SKUs (a pipeline chunk marks many: one ``INSERT .. SELECT``
    per SKU cost more than all of its ledger rows), the SKUs given as one array, so its text
    is the same for any number; rows in SKU order, the order writers lock SKUs in. (The
    array is JSON text on both databases: a text parameter, which the engine's redaction
    hook sees as it saw each SKU before.)"""
    chosen = marks(session, skus)
    if chosen is None:
        return
    statement = _marking(session.get_bind().dialect.name)
    session.connection().execute(statement, {"skus": chosen, "now": now})


def marks(session: Session, skus: Iterable[str]) -> str | None:
    """:func:`mark_dirty`'s first half, for a statement that marks as it writes (the ledger's
    running sums, :func:`~channelhub.store.repos.rollups.stock_rollup_add`): ``skus`` noted
    on the session, and returned as the marking's ``:skus`` (None: none to mark)."""
    chosen = sorted(set(skus))
    marked_in_transaction(session).update(chosen)
    return json.dumps(chosen) if chosen else None


#: Every served account x every SKU of ``:skus`` (``{skus}``: the dialect's rows of a JSON
#: array, numbered ``n``), in the array's order (Python's sort, as :func:`clear_dirty`'s)
_MARK_SQL = """
INSERT INTO stock_dirty (channel, account, sku, first_changed_at, changed_at)
SELECT a.channel, a.account, s.sku, :now, :now
FROM stock_sync_accounts AS a CROSS JOIN {skus}
WHERE true
ORDER BY s.n, a.channel, a.account
ON CONFLICT (channel, account, sku) DO UPDATE SET changed_at = excluded.changed_at
"""


def marking_sql(dialect: str) -> str:
    """The SQL of :func:`mark_dirty`'s statement (``:skus`` from :func:`marks`, ``:now``
    bound as :data:`MARKED_AT`): another statement may carry it (a ``WITH`` on
    PostgreSQL)."""
    skus = (
        "jsonb_array_elements_text(CAST(:skus AS jsonb)) WITH ORDINALITY AS s(sku, n)"
        if dialect == "postgresql"
        else "(SELECT value AS sku, key AS n FROM json_each(:skus)) AS s"
    )
    return _MARK_SQL.format(skus=skus)


#: The marking's ``:now``: aware UTC in, as the ORM stores ``changed_at``.
MARKED_AT = bindparam("now", type_=StockDirtyRow.__table__.c.changed_at.type)


@cache
def _marking(dialect: str) -> Any:
    """The statement of :func:`mark_dirty`, built once per dialect and kept (immutable):
    the rows of the JSON array ``:skus``."""
    return text(marking_sql(dialect)).bindparams(MARKED_AT)


def last_sweep(session: Session, *, channel: str, account: str) -> datetime | None:
    """When the account was last swept; None when the push job never served it."""
    row = session.get(StockSyncAccountRow, (channel, account))
    return None if row is None else row.last_sweep_at


def record_sweep(session: Session, *, channel: str, account: str, now: datetime) -> None:
    """Register the account (the ledger hook marks its SKUs from now on) and its sweep."""
    statement = insert_for(session, StockSyncAccountRow.__table__).values(
        channel=channel, account=account, registered_at=now, last_sweep_at=now
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["channel", "account"], set_={"last_sweep_at": now}
        )
    )


def dirty_skus(
    session: Session,
    *,
    channel: str,
    account: str,
    settled_before: datetime | None,
    waiting_since: datetime | None = None,
) -> dict[str, datetime]:
    """Dirty SKUs of one account -> when they last changed.

    With ``settled_before``: only those quiet since then (debounced), or — with
    ``waiting_since`` — whose burst began before it (the maximum wait). None: all of them.
    """
    query = select(StockDirtyRow.sku, StockDirtyRow.changed_at).where(
        StockDirtyRow.channel == channel, StockDirtyRow.account == account
    )
    if settled_before is not None:
        due = StockDirtyRow.changed_at <= settled_before
        if waiting_since is not None:
            due = or_(due, StockDirtyRow.first_changed_at <= waiting_since)
        query = query.where(due)
    return {sku: changed for sku, changed in session.execute(query)}


def marks_changed_since(session: Session, since: datetime) -> dict[str, datetime]:
    """Each stock SKU with a dirty mark changed after ``since``, on any account -> its latest
    change: how ``channelhub run``'s stock wake sees the changes another process committed
    (:meth:`~channelhub.jobs.stock.wake.StockWaker.look`). Marks live until a push consumes
    them, so this reads the few waiting, not the ledger."""
    query = (
        select(StockDirtyRow.sku, func.max(StockDirtyRow.changed_at))
        .where(StockDirtyRow.changed_at > since)
        .group_by(StockDirtyRow.sku)
    )
    return {sku: changed for sku, changed in session.execute(query)}


def clear_dirty(
    session: Session, *, channel: str, account: str, seen: Mapping[str, datetime]
) -> int:
    """Forget the marks read in ``seen`` unless they changed since; returns how many went.

    Rows are deleted in SKU order, the order writers lock SKUs in, so a push run and an
    allocator never wait on each other in a circle.
    """
    gone = 0
    for sku, changed in sorted(seen.items()):
        result = session.execute(
            delete(StockDirtyRow)
            .where(
                StockDirtyRow.channel == channel,
                StockDirtyRow.account == account,
                StockDirtyRow.sku == sku,
                StockDirtyRow.changed_at <= changed,
            )
            .execution_options(synchronize_session=False)
        )
        gone += int(getattr(result, "rowcount", 0) or 0)
    return gone


@dataclass(frozen=True)
class PushRecord:
    """One stored push, as the job and ``stock explain`` read it."""

    id: int
    listing: ListingKey
    quantity: int
    previous: int | None
    state: PushState
    reason: str | None
    retryable: bool
    trigger: str
    pushed_at: datetime
    confirmed_at: datetime | None
    explanation: dict[str, Any]

    @classmethod
    def of(cls, row: StockPushRow) -> PushRecord:
        return cls(
            id=row.id,
            listing=_key(row.channel, row.account, row.listing_id, row.variation_id),
            quantity=row.quantity,
            previous=row.previous,
            state=PushState(row.state),
            reason=row.reason,
            retryable=row.retryable,
            trigger=row.trigger,
            pushed_at=row.pushed_at,
            confirmed_at=row.confirmed_at,
            explanation=dict(row.explanation or {}),
        )


def _key(channel: str, account: str, listing_id: str, variation_id: str) -> ListingKey:
    return ListingKey(
        channel=channel, account=account, listing_id=listing_id, variation_id=variation_id or None
    )


def record_push(
    session: Session,
    listing: ListingKey,
    *,
    quantity: int,
    previous: int | None,
    explanation: Mapping[str, Any],
    trigger: str,
    now: datetime,
) -> int:
    """Store a push as pending before the channel is called; returns its id."""
    row = StockPushRow(
        channel=listing.channel,
        account=listing.account,
        listing_id=listing.listing_id,
        variation_id=listing.variation_id or "",
        quantity=quantity,
        previous=previous,
        explanation=dict(explanation),
        trigger=trigger,
        state=PushState.PENDING.value,
        retryable=False,
        pushed_at=now,
    )
    session.add(row)
    session.flush()
    return row.id


def settle_push(
    session: Session,
    push_id: int,
    *,
    accepted: bool,
    reason: str | None,
    retryable: bool,
    now: datetime,
    submission_id: str | None = None,
) -> None:
    """Record the channel's answer for one pending push."""
    row = session.get(StockPushRow, push_id)
    if row is None:
        raise LookupError(f"stock push {push_id} does not exist")
    row.state = (PushState.CONFIRMED if accepted else PushState.REJECTED).value
    row.reason = None if accepted else (reason or "refused without a reason")
    row.retryable = False if accepted else retryable
    row.submission_id = submission_id
    row.answered_at = now
    row.confirmed_at = now if accepted else None
    session.flush()


def _latest(
    session: Session,
    channel: str,
    account: str,
    *,
    state: PushState | None,
    listing_ids: Iterable[str] | None = None,
) -> Any:
    newest = select(func.max(StockPushRow.id).label("id")).where(
        StockPushRow.channel == channel, StockPushRow.account == account
    )
    if state is not None:
        newest = newest.where(StockPushRow.state == state.value)
    if listing_ids is not None:
        newest = newest.where(one_of(session, StockPushRow.listing_id, sorted(set(listing_ids))))
    newest_ids = newest.group_by(StockPushRow.listing_id, StockPushRow.variation_id).subquery()
    return select(StockPushRow).join(newest_ids, and_(StockPushRow.id == newest_ids.c.id))


def latest_pushes(
    session: Session,
    *,
    channel: str,
    account: str,
    confirmed_only: bool = False,
    listing_ids: Iterable[str] | None = None,
) -> dict[ListingKey, PushRecord]:
    """The newest push (or newest confirmed push) of every listing of one account; with
    ``listing_ids``, of those listings only (a push of changes reads the few it computes,
    not the account's whole history)."""
    state = PushState.CONFIRMED if confirmed_only else None
    rows = session.scalars(_latest(session, channel, account, state=state, listing_ids=listing_ids))
    return {record.listing: record for record in map(PushRecord.of, rows)}


def listings_to_retry(session: Session, *, channel: str, account: str) -> set[ListingKey]:
    """The account's listings whose newest push is pending (maybe never reached the channel)
    or was refused for now (retryable): a push of changes looks at them again. Read from the
    pending and rejected pushes (state index), each checked newest on the listing index,
    instead of every listing's newest push."""
    push, newer = StockPushRow, aliased(StockPushRow)
    superseded = (
        select(newer.id)
        .where(
            newer.channel == push.channel,
            newer.account == push.account,
            newer.listing_id == push.listing_id,
            newer.variation_id == push.variation_id,
            newer.id > push.id,
        )
        .exists()
    )
    again = or_(
        push.state == PushState.PENDING.value,
        and_(push.state == PushState.REJECTED.value, push.retryable.is_(True)),
    )
    rows = session.execute(
        select(push.listing_id, push.variation_id).where(
            push.channel == channel, push.account == account, again, ~superseded
        )
    )
    return {_key(channel, account, listing_id, variation) for listing_id, variation in rows}


def push_history(session: Session, listing: ListingKey, *, limit: int = 20) -> list[PushRecord]:
    """The pushes of one listing, newest first."""
    rows = session.scalars(
        select(StockPushRow)
        .where(
            StockPushRow.channel == listing.channel,
            StockPushRow.account == listing.account,
            StockPushRow.listing_id == listing.listing_id,
            StockPushRow.variation_id == (listing.variation_id or ""),
        )
        .order_by(StockPushRow.id.desc())
        .limit(limit)
    )
    return [PushRecord.of(row) for row in rows]


def confirmed_pushes_since(
    session: Session, *, channel: str, account: str, since: datetime
) -> list[PushRecord]:
    """The account's pushes the channel confirmed at or after ``since`` (revision counting)."""
    rows = session.scalars(
        select(StockPushRow)
        .where(
            StockPushRow.channel == channel,
            StockPushRow.account == account,
            StockPushRow.state == PushState.CONFIRMED.value,
            StockPushRow.confirmed_at >= since,
        )
        .order_by(StockPushRow.id)
    )
    return [PushRecord.of(row) for row in rows]


def stock_known_at(session: Session) -> dict[str, datetime | None]:
    """Every registered warehouse -> when its stock was last set, imported or pulled."""
    rows = session.execute(select(WarehouseRow.code, WarehouseRow.stock_known_at))
    return {code: known_at for code, known_at in rows}


@dataclass(frozen=True)
class PushBlock:
    """A push the mass-drop guard stopped: why, when, and what it would have cut."""

    channel: str
    account: str
    blocked_at: datetime
    reason: str
    drops: tuple[tuple[str, int, int], ...]  # listing, channel holds, hub would push

    def affects(self, listing: str) -> tuple[int, int] | None:
        """(before, after) of ``listing`` if the stopped push would have cut it."""
        return next(((b, a) for key, b, a in self.drops if key == listing), None)


def record_block(
    session: Session,
    *,
    channel: str,
    account: str,
    reason: str,
    drops: Iterable[tuple[str, int, int]],
    now: datetime,
) -> None:
    """Record (or replace) the stopped push of one account."""
    rows = [{"listing": key, "before": b, "after": a} for key, b, a in drops]
    statement = insert_for(session, StockPushBlockRow.__table__).values(
        channel=channel, account=account, blocked_at=now, reason=reason, drops=rows
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["channel", "account"],
            set_={"blocked_at": now, "reason": reason, "drops": rows},
        )
    )


def get_block(session: Session, *, channel: str, account: str) -> PushBlock | None:
    """The account's stopped push, if one stands."""
    row = session.get(StockPushBlockRow, (channel, account), populate_existing=True)
    return None if row is None else _block(row)


def list_blocks(session: Session) -> list[PushBlock]:
    """Every stopped push, by channel and account."""
    rows = session.scalars(
        select(StockPushBlockRow).order_by(StockPushBlockRow.channel, StockPushBlockRow.account)
    )
    return [_block(row) for row in rows]


def block_states(session: Session) -> dict[tuple[str, str], bool]:
    """Every channel account the push job served or stopped -> whether a stopped push stands
    (``/metrics``: an explicit 0 lets an alert tell "fine" from "never reported")."""
    served = session.execute(select(StockSyncAccountRow.channel, StockSyncAccountRow.account))
    states = {(channel, account): False for channel, account in served}
    states.update({(b.channel, b.account): True for b in list_blocks(session)})
    return dict(sorted(states.items()))


def clear_block(session: Session, *, channel: str, account: str) -> bool:
    """Forget the account's stopped push; whether there was one."""
    result = session.execute(
        delete(StockPushBlockRow)
        .where(StockPushBlockRow.channel == channel, StockPushBlockRow.account == account)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def _block(row: StockPushBlockRow) -> PushBlock:
    drops = tuple((str(d["listing"]), int(d["before"]), int(d["after"])) for d in row.drops)
    return PushBlock(row.channel, row.account, row.blocked_at, row.reason, drops)


@dataclass(frozen=True)
class ListingPushes:
    """One listing as the console's Stock list shows it: what the channel last said it holds
    and the newest push made to it (None: never pushed)."""

    listing: ListingKey
    channel_sku: str | None
    title: str | None
    channel_quantity: int | None
    last: PushRecord | None


def listings_with_last_push(
    session: Session,
    *,
    account: str | None = None,
    search: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[ListingPushes]:
    """Listings (of ``account``; whose id, channel SKU or title holds ``search``) with their
    newest push, in key order, one page at a time. The page of listings is read first, then
    only its listings' newest pushes (``ix_stock_pushes_listing``), so a long push history
    costs nothing."""
    query = (
        select(ListingRow)
        .order_by(
            ListingRow.channel, ListingRow.account, ListingRow.listing_id, ListingRow.variation_id
        )
        .limit(limit)
        .offset(offset)
    )
    if account:
        query = query.where(ListingRow.account == account)
    if search:
        pattern = f"%{search.lower()}%"
        query = query.where(
            or_(
                func.lower(ListingRow.listing_id).like(pattern),
                func.lower(func.coalesce(ListingRow.channel_sku, "")).like(pattern),
                func.lower(func.coalesce(ListingRow.title, "")).like(pattern),
            )
        )
    rows = list(session.scalars(query))
    newest: dict[tuple[str, str, str, str], int] = {}
    for channel, name in {(row.channel, row.account) for row in rows}:
        ids = [row.listing_id for row in rows if (row.channel, row.account) == (channel, name)]
        found = session.execute(
            select(StockPushRow.listing_id, StockPushRow.variation_id, func.max(StockPushRow.id))
            .where(
                StockPushRow.channel == channel,
                StockPushRow.account == name,
                StockPushRow.listing_id.in_(ids),
            )
            .group_by(StockPushRow.listing_id, StockPushRow.variation_id)
        )
        for listing_id, variation_id, push_id in found:
            newest[(channel, name, listing_id, variation_id)] = push_id
    pushes = {
        row.id: PushRecord.of(row)
        for row in session.scalars(
            select(StockPushRow).where(StockPushRow.id.in_(list(newest.values())))
        )
    }

    def last(row: ListingRow) -> PushRecord | None:
        push_id = newest.get((row.channel, row.account, row.listing_id, row.variation_id))
        return pushes.get(push_id) if push_id is not None else None

    return [
        ListingPushes(
            listing=_key(row.channel, row.account, row.listing_id, row.variation_id),
            channel_sku=row.channel_sku,
            title=row.title,
            channel_quantity=row.quantity,
            last=last(row),
        )
        for row in rows
    ]
