"""Goodcang 谷仓 simulator (contract unverified; see :mod:`.app`)."""

from channelhub.simulators.goodcang.app import (
    DEFAULT_CREDENTIALS,
    SIMULATOR_INFO,
    create_app,
    create_simulator,
)
from channelhub.simulators.goodcang.state import GcState

__all__ = ["DEFAULT_CREDENTIALS", "SIMULATOR_INFO", "GcState", "create_app", "create_simulator"]
