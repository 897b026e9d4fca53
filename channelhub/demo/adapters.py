"""Where the demo reaches components that are still landing on main, in one place.

Each function calls the real component by the name its branch exposes (jobs runner and
connector factory: ``jobs``; outbox sender, shipments, tracking: ``dispatch``; stock push:
``stocksync``; reconciliation: ``reconcile``). While a component is not installed yet it
raises :class:`Pending`, and the demo shows that stage as waiting for it: the demo never
carries a second implementation of any of them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from channelhub.core.errors import ChannelhubError


class Pending(ChannelhubError):
    """A component the demo needs is not in this build of channelhub yet."""

    def __init__(self, component: str, branch: str) -> None:
        super().__init__(f"{component} is not in this build yet (branch {branch!r})")
        self.component, self.branch = component, branch


def _load(target: str, branch: str) -> Any:
    module_name, _, attribute = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise Pending(target, branch) from None
        raise
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise Pending(target, branch) from None


def connector_factory(
    vault: Any, *, now: Callable[[], datetime], clock: Callable[[], float]
) -> Any:
    """``ConnectorFactory(vault, now=..., clock=...)``: account row -> connector (``jobs``)."""
    factory = _load("channelhub.jobs.connectors:ConnectorFactory", "jobs")
    return factory(vault, now=now, clock=clock)


async def run_import(
    sessions: sessionmaker[Session],
    account: str,
    kind: str,
    *,
    connectors: Any,
    now: Callable[[], datetime],
) -> Any:
    """One scheduled import (``pull_orders`` / ``pull_listings``) run until it is done."""
    run_job = _load("channelhub.jobs.runner:run_job", "jobs")
    job_kind = _load("channelhub.jobs.kinds:JobKind", "jobs")(kind)
    results = []
    while True:
        result = await run_job(sessions, account, job_kind, connector_factory=connectors, now=now)
        results.append(result)
        if result.skipped or result.error or not result.more:
            return results


async def dispatch_outbox(
    sessions: sessionmaker[Session], *, warehouses: Mapping[str, Any], now: datetime
) -> Any:
    sender = _load("channelhub.jobs.dispatch:dispatch_outbox", "dispatch")
    return await sender(sessions, warehouses=warehouses, now=now)


def apply_shipment(session: Session, shipment: Any, *, now: datetime) -> Any:
    apply = _load("channelhub.jobs.shipments:apply_shipment", "dispatch")
    return apply(session, shipment, now=now)


async def poll_shipments(
    sessions: sessionmaker[Session], *, carriers: Mapping[str, Any], now: datetime
) -> Any:
    poll = _load("channelhub.jobs.tracking:poll_shipments", "dispatch")
    return await poll(sessions, carriers=carriers, now=now)


async def push_tracking(
    sessions: sessionmaker[Session], *, channels: Mapping[str, Any], now: datetime
) -> Any:
    """Send the queued per-package fulfilment pushes; ``channels`` keyed ``channel:account``."""
    push = _load("channelhub.jobs.fulfilment_push:push_tracking", "dispatch")
    return await push(sessions, channels=channels, now=now)


async def push_stock(
    sessions: sessionmaker[Session], *, account: str, connector: Any, now: datetime
) -> Any:
    """Push one channel account's sellable quantities (a full sweep; branch ``stocksync``)."""
    push = _load("channelhub.jobs.stock_sync:push_stock", "stocksync")
    rules = _load("channelhub.core.sellable:StockRules", "stocksync")
    return await push(
        sessions, account=account, connector=connector, rules=rules(), now=now, full_sweep=True
    )


async def reconcile_channel(
    sessions: sessionmaker[Session], connector: Any, *, now: datetime, since: datetime
) -> Any:
    reconcile = _load("channelhub.jobs.reconcile:reconcile_sales_channel", "reconcile")
    return await reconcile(sessions, connector, now=now, since=since, repair=True)
