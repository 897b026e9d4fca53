"""Amazon Multi-Channel Fulfillment + FBA inventory simulator (see :mod:`.app`)."""

from channelhub.simulators.amazon_mcf.app import (
    SIMULATOR_INFO,
    USAGE_PLANS,
    create_app,
    create_simulator,
)
from channelhub.simulators.amazon_mcf.state import McfState

__all__ = ["SIMULATOR_INFO", "USAGE_PLANS", "McfState", "create_app", "create_simulator"]
