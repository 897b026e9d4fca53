"""Where the demo reaches components that are still landing on main, in one place.

Only reconciliation is left (branch ``reconcile``): its job is called by the name that branch
exposes, and while it is not installed :class:`Pending` is raised and the demo shows the stage
as waiting. Everything else the demo runs (imports, pipeline, dispatch, shipments, tracking,
stock push) is imported directly from ``channelhub.jobs``. The demo never carries a second
implementation of a hub component.

Reconciliation compares a channel's quantities with the last ones the stock sync got
confirmed (``stock_pushes``) and repairs a hand edit by recording a pending push, which the
demo's next ``push_stock`` run sends.
"""

from __future__ import annotations

import importlib
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


async def reconcile_channel(
    sessions: sessionmaker[Session], connector: Any, *, now: datetime, since: datetime
) -> Any:
    """One repairing reconciliation run of a sales channel account (branch ``reconcile``)."""
    reconcile = _load("channelhub.jobs.reconcile:reconcile_sales_channel", "reconcile")
    return await reconcile(sessions, connector, now=now, since=since, repair=True)
