"""One module per console screen, each with its own ``router``; ``SCREENS`` lists them in
``pages.NAV`` is the navigation bar. Add a screen: write its module, add its router below
and its entry to ``pages.NAV``."""

from __future__ import annotations

from fastapi import APIRouter

from channelhub.api.console.screens import (
    accounts,
    analytics,
    exceptions,
    home,
    jobs,
    login,
    orders,
    pairing,
    reconcile,
    settlement,
    stock,
    warehouses,
)

ROUTERS: list[APIRouter] = [
    login.router,
    home.router,
    jobs.router,
    orders.router,
    pairing.router,
    exceptions.router,
    stock.router,
    warehouses.router,
    reconcile.router,
    accounts.router,
    analytics.router,
    settlement.router,
]
