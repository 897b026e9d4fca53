"""Shopify's cost-based throttling, read from a GraphQL answer's ``extensions.cost``.

Each query has a cost; a bucket per app and shop holds ``maximumAvailable`` points and refills
at ``restoreRate`` points per second. A call whose cost exceeds what is left is answered with
the error code ``THROTTLED`` (HTTP 200) and does nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

THROTTLED = "THROTTLED"


@dataclass(frozen=True)
class ThrottleStatus:
    maximum_available: float
    currently_available: float
    restore_rate: float


@dataclass(frozen=True)
class QueryCost:
    requested: float | None
    actual: float | None
    throttle: ThrottleStatus | None


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def query_cost(response: object) -> QueryCost | None:
    """The cost block of an answer, or None when it has none."""
    if not isinstance(response, Mapping):
        return None
    extensions = response.get("extensions")
    cost = extensions.get("cost") if isinstance(extensions, Mapping) else None
    if not isinstance(cost, Mapping):
        return None
    status = cost.get("throttleStatus")
    throttle = None
    if isinstance(status, Mapping):
        maximum = _number(status.get("maximumAvailable"))
        current = _number(status.get("currentlyAvailable"))
        rate = _number(status.get("restoreRate"))
        if maximum is not None and current is not None and rate is not None and rate > 0:
            throttle = ThrottleStatus(maximum, current, rate)
    return QueryCost(
        requested=_number(cost.get("requestedQueryCost")),
        actual=_number(cost.get("actualQueryCost")),
        throttle=throttle,
    )


def is_throttled(response: object) -> bool:
    """True when the answer is Shopify's ``THROTTLED`` error."""
    if not isinstance(response, Mapping):
        return False
    errors: Any = response.get("errors")
    if not isinstance(errors, list):
        return False
    for error in errors:
        extensions = error.get("extensions") if isinstance(error, Mapping) else None
        if isinstance(extensions, Mapping) and extensions.get("code") == THROTTLED:
            return True
    return False


def refill_wait(cost: QueryCost, needed: float | None = None) -> float:
    """Seconds until the bucket holds ``needed`` points (default: the requested cost)."""
    want = needed if needed is not None else (cost.requested or 0.0)
    if cost.throttle is None:
        return 1.0
    throttle = cost.throttle
    want = min(want, throttle.maximum_available)
    missing = want - throttle.currently_available
    return max(missing / throttle.restore_rate, 0.0)
