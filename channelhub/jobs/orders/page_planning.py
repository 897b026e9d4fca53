"""An imported page's new orders planned in the page's own transaction.

Why: an import committed its page, then the after-page hook planned the orders in a second
transaction per chunk, reading back and parsing what the page had just written and moving
every order's status with a second write of its row. A new order (inserted by this very
page) can be planned from the order in memory instead: nobody else sees its row before the
commit, so it needs no lock and no re-read, and it has no history yet. The page then
commits stored and planned at once: allocated, stock reserved, warehouse orders queued.

Only a page of new orders is planned so (a first import, a backfill, the new orders of a
poll): every order inserted by it, once, and waiting for the pipeline. Any other page stays
the after-page hook's whole (:func:`~channelhub.jobs.orders.pipeline_intake.
run_pipeline_for_page`, as before): one holding an update (which may release, modify or
cancel an order), an order twice, or one the channel cancelled; one where planning sends an
order down the one-by-one path (refused: the hook records the failure against it); and one
whose planning the database refused (rolled back to its savepoint, with a warning; the page
itself still lands). The hook then plans the page in the same order as before: a page planned
in part would plan its new orders ahead of the others. Nothing is planned with the page when
warehouses are asked for quotes first (``allocation_preview``): those calls are made outside
any transaction.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from channelhub.core.order import Order, OrderKey
from channelhub.jobs.engine.isolation import record_reason
from channelhub.jobs.orders.intake import Intake
from channelhub.jobs.orders.pipeline import PipelineSettings
from channelhub.jobs.orders.pipeline_batch import NotAllPlanned, fresh_and_waiting, plan_fresh
from channelhub.jobs.orders.planner import Planner
from channelhub.store.repos._upsert import UpsertOutcome

log = logging.getLogger(__name__)


@dataclass
class PagePlanning:
    """One import run's planning of its pages' new orders (see the module docstring)."""

    settings: PipelineSettings
    #: moved on from page to page (:meth:`Planner.for_orders`: bindings and SKUs read anew)
    planner: Planner | None = None
    #: the last page's orders planned here, which the after-page hook leaves alone
    planned: set[OrderKey] = field(default_factory=set)

    def plan(
        self, session: Session, stored: Sequence[tuple[Order, Intake]], *, now: datetime
    ) -> None:
        """Plan the page (``stored``: each order and what its intake did) in a savepoint of
        its transaction when every order of it is new to the hub, once, and waiting for the
        pipeline; otherwise leave it whole to the after-page hook, which plans the page in
        the same order (a page planned in part would plan its new orders before the others)."""
        self.planned = set()
        times = Counter(order.key for order, _ in stored)
        if not stored or any(
            intake.outcome is not UpsertOutcome.INSERTED
            or times[order.key] > 1  # stored by its later version
            or not fresh_and_waiting(order)
            for order, intake in stored
        ):
            return
        fresh = [(order, intake.id) for order, intake in stored]
        try:
            with session.begin_nested():
                self.planner = plan_fresh(
                    session, fresh, self.planner, settings=self.settings, now=now
                )
        except NotAllPlanned as left:
            log.info("a page of %d new order(s) left to the pipeline: %s", len(fresh), left)
            return
        except DBAPIError as error:
            if error.connection_invalidated:
                raise  # the connection is gone: the page cannot land either
            self._refused(fresh, error, trace=False)
            return
        # the page must land whatever planning does: rolled back to the savepoint, the orders
        # wait for the after-page hook, which plans them again and records any failure
        # against its order (the warning says why they were not planned with the page)
        except Exception as error:  # noqa: BLE001 - see above
            self._refused(fresh, error, trace=True)
            return
        self.planned = {order.key for order, _ in stored}

    def _refused(self, fresh: list[tuple[Order, int]], error: Exception, *, trace: bool) -> None:
        self.planner = None  # it may hold what the savepoint rolled back
        log.warning(
            "planning %d new order(s) (%s .. %s) with their page was refused, the after-page "
            "pipeline plans them: %s",
            len(fresh), fresh[0][0].external_id, fresh[-1][0].external_id, record_reason(error),
            exc_info=trace,
        )  # fmt: skip
