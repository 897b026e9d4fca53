"""Amazon's default usage plans per operation (rate per second, burst).

From the contract README where it lists them (searchOrders, getOrder, confirmShipment,
listings get/patch, createFeed, getFeed). createFeedDocument, getFeedDocument,
searchListingsItems and createRestrictedDataToken are Amazon's published defaults for those
operations; the Notifications operations (1/s, burst 5) are from notifications.json. Every
response's ``x-amzn-RateLimit-Limit`` corrects the rate at run time.
"""

from __future__ import annotations

from collections.abc import Mapping

from channelhub.connectors.http.ratelimit import RateLimit

USAGE_PLANS: Mapping[str, RateLimit] = {
    "searchOrders": RateLimit(rate=0.0056, burst=20),
    "getOrder": RateLimit(rate=0.5, burst=30),
    "confirmShipment": RateLimit(rate=2, burst=10),
    "searchListingsItems": RateLimit(rate=5, burst=5),
    "getListingsItem": RateLimit(rate=5, burst=10),
    "patchListingsItem": RateLimit(rate=5, burst=5),
    "createFeedDocument": RateLimit(rate=0.5, burst=15),
    "createFeed": RateLimit(rate=0.0083, burst=15),
    "getFeed": RateLimit(rate=2, burst=15),
    "getFeedDocument": RateLimit(rate=0.0222, burst=10),
    "createRestrictedDataToken": RateLimit(rate=1, burst=10),
    "getDestinations": RateLimit(rate=1, burst=5),
    "createDestination": RateLimit(rate=1, burst=5),
    "getSubscription": RateLimit(rate=1, burst=5),
    "createSubscription": RateLimit(rate=1, burst=5),
    # finances_2024-06-19.json and transfers_2024-06-01.json usage plans
    "listTransactions": RateLimit(rate=0.5, burst=10),
    "listPayouts": RateLimit(rate=0.5, burst=10),
}

#: Calls that are not SP-API operations (LWA token grant, pre-signed document URLs).
PLAIN_LIMITS: Mapping[str, RateLimit] = {
    "lwaToken": RateLimit(rate=1, burst=5),
    "uploadFeedDocument": RateLimit(rate=10, burst=10),
    "downloadReport": RateLimit(rate=10, burst=10),
}
