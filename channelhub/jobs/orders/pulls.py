"""pull_orders / pull_listings: incremental imports, checkpointed after every page.

Per page, in ONE transaction: every raw body is archived (including the ones the mapping
refused), every record is upserted with the store's guarded upsert (an older or equal remote
``updated_at`` changes nothing, so replayed and out-of-order pages are harmless) in its own
savepoint, every record the mapping or the database refused becomes a dead letter pointing
at its raw body (:mod:`channelhub.jobs.engine.isolation`: one bad record never stops its page), and
the page's resume cursor is saved. A process killed between two pages resumes after the last
committed one; killed inside a page, it redoes that page, which the upserts make a no-op.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from channelhub.connectors.results import PageOf
from channelhub.connectors.roles import Capability
from channelhub.core.errors import InvalidInput
from channelhub.core.models import Listing, Order
from channelhub.jobs.engine.isolation import SetAside, record_reason, set_aside_note
from channelhub.jobs.engine.isolation import archive as archive  # re-exported: api/webhooks.py
from channelhub.jobs.engine.runner import JobContext
from channelhub.jobs.fulfilment.confirmations import confirm_from_reads
from channelhub.jobs.orders.intake import Intake, intake_order, intake_orders
from channelhub.jobs.orders.page_planning import PagePlanning
from channelhub.jobs.orders.pipeline_intake import (
    pipeline_settings,
    run_pipeline_for_page,
    sweep_pending_orders,
)
from channelhub.jobs.orders.previews import RunPreviews
from channelhub.store.repos._upsert import Upserted, UpsertOutcome
from channelhub.store.repos.cursors import set_cursor, since_of
from channelhub.store.repos.jobs import RunCounts
from channelhub.store.repos.listings import upsert_listing

T = TypeVar("T")
log = logging.getLogger(__name__)


def count(outcomes: list[Upserted] | list[Intake], failed: int = 0) -> RunCounts:
    """Tally upsert outcomes into new / updated / unchanged."""
    kinds = [o.outcome for o in outcomes]
    return RunCounts(
        new=kinds.count(UpsertOutcome.INSERTED),
        updated=kinds.count(UpsertOutcome.UPDATED),
        unchanged=kinds.count(UpsertOutcome.STALE),
        failed=failed,
    )


def _archive_page(
    session: Session, page: PageOf[Any], *, platform: str, account: str
) -> Callable[..., tuple[int | None, Mapping[str, Any]]]:
    """Archive every raw body of the page; returns (item index, its ids) -> (its body's id,
    what its mapping was told)."""
    ids = [archive(session, platform=platform, account=account, raw=raw) for raw in page.raw]
    by_external = {raw.external_id: n for n, raw in enumerate(page.raw)}

    def payload_of(index: int, *external_ids: str | None) -> tuple[int | None, Mapping[str, Any]]:
        origin = page.origin(index)
        if origin is None:
            # a connector that did not say: match on the id (a child order's parent's body)
            origin = next((by_external[e] for e in external_ids if e in by_external), None)
        if origin is None:
            return None, {}
        return ids[origin], page.context_of(origin)

    return payload_of


def store_order_page(
    session: Session,
    page: PageOf[Order],
    *,
    platform: str,
    account: str,
    job_kind: str,
    now: datetime,
    run_id: int | None = None,
    planning: PagePlanning | None = None,
    channel: object | None = None,
) -> RunCounts:
    """Archive, take in and dead-letter one page of orders (the caller saves the cursor); a
    modified allocated order is released here and planned again by the after-page pipeline
    hook. The page is taken in set-based (:func:`~channelhub.jobs.orders.intake.intake_orders`)
    in one savepoint; if the database refuses anything in it, the savepoint is rolled back and
    every order is stored on its own (:class:`~channelhub.jobs.engine.isolation.SetAside`), so
    the one it refuses is set aside as a dead letter with its raw body and the rest stored.
    With ``planning``, a page of new orders is planned in its transaction and stored planned
    (:mod:`~channelhub.jobs.orders.page_planning`). With ``channel`` (the account's connector),
    tracking pushes waiting for a read of their order are confirmed from the page's bodies
    (:mod:`~channelhub.jobs.fulfilment.confirmations`)."""
    aside = SetAside(platform, account, job_kind, now, run_id)
    payload_of = _archive_page(session, page, platform=platform, account=account)
    found = [
        payload_of(index, order.external_id, order.parent_external_id)
        for index, order in enumerate(page.items)
    ]
    payload_ids = [payload for payload, _ in found]
    outcomes = (
        None if planning is None else planning.take_in(session, page.items, payload_ids, now=now)
    )
    if outcomes is None:
        outcomes = _intake_page(
            session, page.items, payload_ids, now, where=f"{job_kind} page of {platform}/{account}"
        )
    if outcomes is None:
        outcomes = []
        for order, (payload_id, context) in zip(page.items, found, strict=True):
            stored = aside.store(
                session,
                partial(intake_order, session, order, now=now, raw_payload_id=payload_id),
                subject="order",
                external_id=order.parent_external_id or order.external_id,
                raw_payload_id=payload_id,
                context=context,
            )
            if stored is not None:
                outcomes.append(stored)
    failed = aside.failures(session, page.failures)
    if channel is not None:
        confirm_from_reads(session, channel, page.raw, platform=platform, account=account, now=now)
    return count(outcomes, failed=failed + len(page.items) - len(outcomes))


def _intake_page(
    session: Session,
    orders: Sequence[Order],
    payload_ids: list[int | None],
    now: datetime,
    *,
    where: str,
) -> list[Intake] | None:
    """The page's orders taken in set-based in a savepoint; None when it was refused (rolled
    back: the caller stores them one by one, where each refusal is filed). A refusal is
    logged as a warning naming the page (``where``), its first and last order and the error:
    the page still lands, but slower, and the cause (a database error, a bug in the
    set-based path) must not go unseen."""
    if not orders:
        return []
    try:
        with session.begin_nested():
            return intake_orders(session, orders, now=now, raw_payload_ids=payload_ids)
    except DBAPIError as error:
        if error.connection_invalidated:
            raise  # the connection is gone: not a record's fault, the run stops
        _refused(where, orders, error, trace=False)
        return None
    # redone record by record, where SetAside files the record at fault (its boundary:
    # nothing is dropped, see SetAside.store); the warning says why the page was redone
    except Exception as error:  # noqa: BLE001 - see above
        _refused(where, orders, error, trace=True)
        return None


def _refused(where: str, orders: Sequence[Order], error: Exception, *, trace: bool) -> None:
    """The warning for a page whose set-based intake was refused (a database error by its
    bounded message; anything else with its traceback: the set-based path has a bug)."""
    log.warning(
        "%s: set-based intake of %d order(s) (%s .. %s) refused, storing them one by one: %s",
        where, len(orders), orders[0].external_id, orders[-1].external_id,
        record_reason(error), exc_info=trace,
    )  # fmt: skip


def store_listing_page(
    session: Session,
    page: PageOf[Listing],
    *,
    platform: str,
    account: str,
    job_kind: str,
    now: datetime,
    run_id: int | None = None,
) -> RunCounts:
    """Archive, upsert and dead-letter one page of listings, each listing on its own."""
    aside = SetAside(platform, account, job_kind, now, run_id)
    payload_of = _archive_page(session, page, platform=platform, account=account)
    outcomes: list[Upserted] = []
    for index, listing in enumerate(page.items):
        payload_id, context = payload_of(index, listing.channel_sku, listing.listing_id)
        stored = aside.store(
            session,
            partial(upsert_listing, session, listing, now=now),
            subject="listing",
            external_id=listing.channel_sku or listing.listing_id,
            raw_payload_id=payload_id,
            context=context,
        )
        if stored is not None:
            outcomes.append(stored)
    failed = aside.failures(session, page.failures)
    return count(outcomes, failed=failed + len(page.items) - len(outcomes))


StorePage = Callable[..., RunCounts]
AfterPage = Callable[[JobContext, PageOf[Any]], Awaitable[None]]


async def import_pages(
    context: JobContext,
    pages: AsyncIterator[PageOf[Any]],
    store: StorePage,
    *,
    after_page: AfterPage | None = None,
) -> bool:
    """Commit page after page until the last one, the page bound, or a stop request.

    ``after_page`` runs after each page's commit (the order pipeline), so its failure can
    never roll an import back. Returns True when it stopped with pages left (the cursor
    already points at them).
    """
    name, kind = context.account.name, context.kind.value

    def write(page: PageOf[Any]) -> Callable[[Session], RunCounts]:
        def in_transaction(session: Session) -> RunCounts:
            now = context.now()
            counts = store(
                session,
                page,
                platform=context.account.platform,
                account=name,
                job_kind=kind,
                now=now,
                run_id=context.run_id,
            )
            set_cursor(session, name, kind, {"cursor": page.cursor, "done": page.done}, now=now)
            return counts

        return in_transaction

    done_pages = 0
    set_aside = 0
    try:
        async for page in pages:
            set_aside += context.commit_page(write(page)).failed
            if set_aside:
                context.note = set_aside_note(set_aside)
            if after_page is not None:
                await after_page(context, page)
            done_pages += 1
            if page.done:
                return False
            if done_pages >= context.options.max_pages or context.stop.requested:
                return True
        return False
    finally:
        close = getattr(pages, "aclose", None)  # an async generator: close its HTTP work now
        if close is not None:
            await close()


def first_import_lookback(context: JobContext) -> timedelta:
    """How far back an account's first order import reaches: its ``initial_lookback_days``
    setting (the name the connectors use too), else the ``[jobs]`` default."""
    value = context.account.settings.get("initial_lookback_days")
    if value is None:
        return context.options.initial_lookback
    try:
        days = float(value)
    except (TypeError, ValueError):
        days = -1.0
    if not 0 < days <= 36_500:
        raise InvalidInput.field(
            f"account {context.account.name!r} setting initial_lookback_days",
            value,
            "is not a number of days between 0 and 36500",
        )
    return timedelta(days=days)


async def pull_orders(context: JobContext) -> bool:
    """Import orders changed since the stored cursor (first run: the initial lookback); each
    committed page's orders then go through the order pipeline, and once caught up the
    account's other waiting orders too (see ``sweep_pending_orders``). Warehouses that quote
    orders for allocation (``allocation_preview``) are asked first, within the run's budget
    (:class:`~channelhub.jobs.orders.previews.RunPreviews`)."""
    channel = context.sales_channel(Capability.PULL_ORDERS)
    stored = context.cursor()
    cursor = stored.get("cursor") if stored else None
    # no cursor: a first run, or `accounts reset-cursor --since DATE` said where to start
    since = None if cursor else since_of(stored) or context.now() - first_import_lookback(context)
    previews = RunPreviews.for_run(context.session_factory, context.connector_factory)
    # new orders planned with their page, unless warehouses are asked for quotes first
    planning = None if previews is not None else PagePlanning(pipeline_settings(context.rulebook()))
    try:
        more = await import_pages(
            context,
            channel.pull_orders(cursor, since=since),
            partial(store_order_page, planning=planning, channel=channel),
            after_page=partial(run_pipeline_for_page, previews=previews, planning=planning),
        )
        if not more and not context.stop.requested:
            await sweep_pending_orders(context, previews)
    finally:
        if previews is not None:
            await previews.aclose()
    return more


async def pull_listings(context: JobContext) -> bool:
    """Import every listing, resuming a pass cut short; a finished pass starts over."""
    channel = context.sales_channel(Capability.PULL_LISTINGS)
    stored = context.cursor()
    cursor = stored.get("cursor") if stored and not stored.get("done") else None
    return await import_pages(context, channel.pull_listings(cursor), store_listing_page)
