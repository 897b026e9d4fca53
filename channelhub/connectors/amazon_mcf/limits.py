"""Usage plans of the MCF and FBA inventory operations (rate per second, burst).

From the vendored models' "Usage Plan" tables: every fulfillmentOutbound 2020-07-01 operation
the connector calls is 2/s with a burst of 30; getInventorySummaries is 2/s with a burst of 2
(contracts README). Each response's ``x-amzn-RateLimit-Limit`` corrects the rate at run time.
"""

from __future__ import annotations

from collections.abc import Mapping

from channelhub.connectors.http.ratelimit import RateLimit

_MCF = RateLimit(rate=2, burst=30)
USAGE_PLANS: Mapping[str, RateLimit] = {
    "createFulfillmentOrder": _MCF,
    "getFulfillmentOrder": _MCF,
    "updateFulfillmentOrder": _MCF,
    "cancelFulfillmentOrder": _MCF,
    "getFulfillmentPreview": _MCF,
    "getPackageTrackingDetails": _MCF,
    "getInventorySummaries": RateLimit(rate=2, burst=2),
}
