"""Imported orders go straight through the order pipeline, each in its own transaction.

Called by ``pull_orders`` after a page is committed (for the orders the page did not plan
itself: :mod:`~channelhub.jobs.orders.page_planning`), so a pipeline failure can never roll an
import back. Every order of the page is planned (pair, review, allocate, reserve, outbox);
one that fails with a hub error gets the error recorded on it as a decision and a dead letter
(``subject="pipeline"``) that ``channelhub jobs replay`` runs through the pipeline again once
the cause (a rule, a pairing, stock) is fixed. Never silent, never blocking the others.
With warehouses that quote orders (``allocation_preview``), the run's :class:`RunPreviews`
asks them first, and allocation weighs the quotes (:mod:`channelhub.jobs.orders.previews`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from channelhub.connectors.results import PageOf
from channelhub.core.order import Order, OrderKey
from channelhub.core.rulebook import Rulebook
from channelhub.jobs.engine.runner import JobContext
from channelhub.jobs.orders.page_planning import PagePlanning
from channelhub.jobs.orders.pipeline import PipelineCounts, PipelineSettings, pending_order_keys
from channelhub.jobs.orders.pipeline_batch import plan_orders
from channelhub.jobs.orders.previews import RunPreviews
from channelhub.store.repos.decisions import record_decision
from channelhub.store.repos.jobs import RunCounts, add_to_run, record_dead_letter
from channelhub.store.repos.orders import get_order_row
from channelhub.store.repos.orders_bulk import order_key, stored_keys

log = logging.getLogger(__name__)

PIPELINE_SUBJECT = "pipeline"


def pipeline_settings(rulebook: Rulebook) -> PipelineSettings:
    """The pipeline's rule sets out of the hub's rulebook."""
    return PipelineSettings(
        pairing=rulebook.pairing, review=rulebook.review, allocation=rulebook.allocation
    )


def pipeline_dedupe_key(key: OrderKey) -> str:
    return f"{PIPELINE_SUBJECT}:{key}"


def process_orders(
    session_factory: sessionmaker[Session],
    keys: Iterable[OrderKey],
    *,
    settings: PipelineSettings,
    now: datetime,
    job_kind: str = "pull_orders",
    run_id: int | None = None,
) -> PipelineCounts:
    """Plan the orders (in chunks, :mod:`channelhub.jobs.orders.pipeline_batch`); a failure is
    recorded against its order and the rest go on."""

    def on_failure(key: OrderKey, reason: str) -> None:
        record_pipeline_failure(
            session_factory, key, reason, now=now, job_kind=job_kind, run_id=run_id
        )

    return plan_orders(
        session_factory, list(keys), settings=settings, now=now, on_failure=on_failure
    )


def record_pipeline_failure(
    session_factory: sessionmaker[Session],
    key: OrderKey,
    reason: str,
    *,
    now: datetime,
    job_kind: str,
    run_id: int | None,
) -> None:
    """The failure on the order (a decision) and in the dead letters (to replay)."""
    log.warning("order pipeline failed for %s: %s", key, reason)
    with session_factory.begin() as session:
        row = get_order_row(session, key)
        record_decision(session, row.id, kind="error", reason=reason, at=now, actor="pipeline")
        record_dead_letter(
            session,
            account=key.account,
            platform=key.channel,
            job_kind=job_kind,
            subject=PIPELINE_SUBJECT,
            reason=reason,
            now=now,
            external_id=key.external_id,
            payload={"order_key": str(key)},
            run_id=run_id,
            dedupe_key=pipeline_dedupe_key(key),
        )


async def run_pipeline_for_page(
    context: JobContext,
    page: PageOf[Any],
    previews: RunPreviews | None = None,
    planning: PagePlanning | None = None,
) -> None:
    """``pull_orders``' after-page hook: the page's stored orders through the pipeline (an
    order set aside as a dead letter is not in the hub; its replay brings it in), but those
    already planned with the page (``planning``: :mod:`~channelhub.jobs.orders.page_planning`)."""
    done = planning.planned if planning is not None else set()
    orders = [o for o in page.items if isinstance(o, Order) and o.key not in done]
    if not orders:
        return
    with context.session_factory() as session:
        present = stored_keys(session, map(order_key, orders))
    keys = [o.key for o in orders if order_key(o) in present]
    if not keys:
        return
    await _plan_for_run(context, keys, previews)


async def _plan_for_run(
    context: JobContext, keys: list[OrderKey], previews: RunPreviews | None
) -> None:
    """Run ``keys`` through the pipeline for this job run (with the warehouses' quotes when
    some are asked); its failures count in the run."""
    settings = pipeline_settings(context.rulebook())
    if previews is not None:
        quotes = await previews.quotes(context.session_factory, keys, now=context.now())
        settings = replace(settings, quotes=quotes)
    counts = process_orders(
        context.session_factory,
        keys,
        settings=settings,
        now=context.now(),
        job_kind=context.kind.value,
        run_id=context.run_id,
    )
    if counts.failed:
        failed = RunCounts(failed=len(counts.failed))
        with context.session_factory.begin() as session:
            add_to_run(session, context.run_id, failed, pages=0)
        context.counts = context.counts + failed


#: How many waiting orders one caught-up ``pull_orders`` run takes up again.
SWEEP_LIMIT = 500


async def sweep_pending_orders(context: JobContext, previews: RunPreviews | None = None) -> None:
    """Take up the account's orders still waiting for the pipeline, once an import caught up.

    Orders reach the hub by other roads than an import page — a webhook, a backfill by id, a
    replay, a reconciliation repair — and orders wait in ``approved`` for stock or in
    ``awaiting_pairing`` for a bind; none of those has a page to ride on. Failures are recorded
    exactly as for a page (decision + dead letter).
    """
    with context.session_factory() as session:
        keys = pending_order_keys(session, limit=SWEEP_LIMIT, account=context.account.name)
    if not keys:
        return
    await _plan_for_run(context, keys, previews)
