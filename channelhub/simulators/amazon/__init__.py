"""Amazon Selling Partner API simulator (see :mod:`.app` for what it serves)."""

from channelhub.simulators.amazon.app import (
    SIMULATOR_INFO,
    USAGE_PLANS,
    create_app,
    create_simulator,
)
from channelhub.simulators.amazon.catalog import MARKETPLACES, Marketplace
from channelhub.simulators.throttle import SimLimit

__all__ = [
    "MARKETPLACES",
    "SIMULATOR_INFO",
    "USAGE_PLANS",
    "Marketplace",
    "SimLimit",
    "create_app",
    "create_simulator",
]
