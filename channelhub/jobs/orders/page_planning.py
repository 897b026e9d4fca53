"""An imported page of new orders planned in the page's own transaction, then stored planned.

Why: an import committed its page, then the after-page hook planned the orders in a second
transaction per chunk, reading back and parsing what the page had just written, locking the
rows again and moving every order's status with a second write of its row. Orders new to the
hub can be planned from the orders in memory instead, before they are stored (planning reads
the bindings, the catalog and the locked stock, never the order's own row), and then stored
with the status planned, their decisions, ledger and warehouse orders written under their new
ids: one write of each order's row, and the page commits stored and planned at once
(allocated, stock reserved, warehouse orders queued).

Only a page of new orders is taken in so (a first import, a backfill, the new orders of a
poll): every order new to the hub, once in the page, and waiting for the pipeline. Any other
page is taken in as before and planned by the after-page hook
(:func:`~channelhub.jobs.orders.pipeline_intake.run_pipeline_for_page`), whole: one holding an
update (which may release, modify or cancel an order), an order twice, or one the channel
cancelled; one where planning sends an order down the one-by-one path (refused: the hook
records the failure against it) or plans one cancelled; and one whose planning the database
refused (rolled back to its savepoint, with a warning; the page itself still lands). The hook
plans such a page in the same order as before: a page planned in part would plan its new
orders ahead of the others. Nothing is planned with the page when warehouses are asked for
quotes first (``allocation_preview``): those calls are made outside any transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from channelhub.core.lifecycle import HubStatus
from channelhub.core.order import Order, OrderKey
from channelhub.jobs.engine.isolation import record_reason
from channelhub.jobs.orders.intake import Intake
from channelhub.jobs.orders.pipeline import PipelineSettings
from channelhub.jobs.orders.pipeline_batch import NotAllPlanned, fresh_and_waiting, plan_fresh
from channelhub.jobs.orders.planner import Planner
from channelhub.store.repos._upsert import UpsertOutcome
from channelhub.store.repos.orders_bulk import (
    AlreadyStored,
    insert_new_orders,
    order_key,
    stored_keys,
)

log = logging.getLogger(__name__)


@dataclass
class PagePlanning:
    """One import run's planning of its pages' new orders (see the module docstring).

    One planner serves the run, moved on from page to page (:meth:`Planner.for_page`), so
    what it worked out (stagings, allocations, reservations: keyed by the book, catalog and
    lines they were made of) serves every page, where a planner loaded per page worked it
    all out again, page after page (~80 µs/order planning in the path, against ~35 for the
    same orders planned by one planner). Each page still reads its bindings and SKUs, and
    the warehouse facts in one query: a warehouse registered or told its stock during a long
    import counts from the next page, as it did with a planner loaded per page."""

    settings: PipelineSettings
    #: the last page's orders planned here, which the after-page hook leaves alone
    planned: set[OrderKey] = field(default_factory=set)
    #: the planner moved on from page to page (:meth:`Planner.for_page`), its memos kept
    planner: Planner | None = field(default=None, repr=False, compare=False)

    def take_in(
        self,
        session: Session,
        orders: Sequence[Order],
        payload_ids: Sequence[int | None],
        *,
        now: datetime,
    ) -> list[Intake] | None:
        """Take the page in planned (each order with its raw payload's id), in a savepoint of
        its transaction, when every order of it is new to the hub, once, and waiting for
        the pipeline; None when it is not (nothing written: the caller takes it in as any
        page, and the after-page hook plans it, in the same order as this would have)."""
        self.planned = set()
        keys = [order.key for order in orders]
        if not orders or len(set(keys)) < len(keys) or not all(map(fresh_and_waiting, orders)):
            return None
        payload_of = dict(zip(keys, payload_ids, strict=True))
        taken: dict[OrderKey, Intake] = {}

        def store(planned: list[Order], statuses: list[HubStatus]) -> list[int]:
            payloads = [payload_of[order.key] for order in planned]
            try:
                ids = insert_new_orders(
                    session, planned, statuses, now=now, raw_payload_ids=payloads
                )
            except AlreadyStored as stored:
                raise NotAllPlanned(f"stored meanwhile: {stored}") from None
            inserted = (Intake(order_id, UpsertOutcome.INSERTED) for order_id in ids)
            taken.update(zip((order.key for order in planned), inserted, strict=True))
            return ids

        try:
            with session.begin_nested():
                if stored_keys(session, map(order_key, orders)):
                    raise NotAllPlanned("the page holds orders the hub has")
                # the run's planner moved on (its warehouse facts read again, as a planner
                # loaded for the page would: a warehouse registered or told its stock during a
                # long import counts from the next page), its memos kept
                previous = None if self.planner is None else self.planner.for_page(session)
                planner = plan_fresh(
                    session, orders, settings=self.settings, now=now, store=store, planner=previous
                )
                if len(taken) != len(keys):
                    raise NotAllPlanned("an order of the page was not planned")
        except NotAllPlanned as left:
            log.info("a page of %d order(s) left to the pipeline: %s", len(orders), left)
            return None
        except DBAPIError as error:
            if error.connection_invalidated:
                raise  # the connection is gone: the page cannot land either
            self._refused(orders, error, trace=False)
            return None
        # the page must land whatever planning does: rolled back to the savepoint, it is taken
        # in as any page and the after-page hook plans it, recording any failure against its
        # order (the warning says why it was not planned with the page)
        except Exception as error:  # noqa: BLE001 - see above
            self._refused(orders, error, trace=True)
            return None
        self.planned = set(keys)
        self.planner = planner
        return [taken[key] for key in keys]

    def _refused(self, orders: Sequence[Order], error: Exception, *, trace: bool) -> None:
        log.warning(
            "planning %d new order(s) (%s .. %s) with their page was refused, the after-page "
            "pipeline plans them: %s",
            len(orders), orders[0].external_id, orders[-1].external_id, record_reason(error),
            exc_info=trace,
        )  # fmt: skip
