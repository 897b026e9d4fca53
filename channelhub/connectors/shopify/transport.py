"""Shopify's HTTP conversation on the SDK client: one GraphQL endpoint, cost-based pacing.

Every call goes to ``/admin/api/{version}/graphql.json`` (version pinned per account) through
one token bucket — Shopify meters an app on a shop as a whole. Pacing is proactive: before a
call the bucket must hold the query's *requested* cost, computed the way Shopify computes it
(:mod:`channelhub.mappings.shopify.pricing`) plus one point, because Shopify reports whole
points and its clock is not ours. Each answer's ``throttleStatus`` (currentlyAvailable,
restoreRate, maximumAvailable) resets the bucket to Shopify's own figures, which then refill
over time, so the connector waits (injected sleep) instead of being refused. A ``THROTTLED``
answer — another app on the same shop spent the points — becomes a ``RateLimited`` error
whose ``retry_after`` is the time the bucket needs to refill, so the SDK's retry sleeps that
long and asks again.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import httpx

from channelhub.connectors.errors import ConnectorError, ContractViolation, RateLimited
from channelhub.connectors.http.auth import HeaderTokenAuth
from channelhub.connectors.http.client import ConnectorHttpClient
from channelhub.connectors.http.ratelimit import LimitUpdate, RateLimit, shopify_throttle_update
from channelhub.connectors.plugin import ConnectorContext, http_client_for
from channelhub.core.errors import ConfigError
from channelhub.mappings.shopify import is_throttled, query_cost, refill_wait
from channelhub.mappings.shopify.pricing import requested_cost
from channelhub.mappings.shopify.requests import GraphQLBody

OPERATION = "graphql"  # one bucket: Shopify meters the app on the shop as a whole
STANDARD_PLAN = RateLimit(rate=100.0, burst=2000.0)  # corrected by the first answer
#: Points held above the requested cost: Shopify reports whole points (rounded down) and
#: refills on its own clock, so pacing to the exact cost could arrive a hair early.
PACING_MARGIN = 1.0


def _answer(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content)
    except ValueError:
        return None


def throttle_feedback(operation: str, response: httpx.Response) -> LimitUpdate | None:
    """The bucket's real state from ``extensions.cost.throttleStatus``, and what the call was
    charged (``actualQueryCost``; absent on a refused call, whose balance then stands)."""
    answer = _answer(response)
    cost = answer.get("extensions", {}).get("cost") if isinstance(answer, dict) else None
    status = cost.get("throttleStatus") if isinstance(cost, dict) else None
    update = shopify_throttle_update(status) if isinstance(status, dict) else None
    charged = query_cost(answer)
    if update is None or charged is None or charged.actual is None:
        return update
    return replace(update, charged=charged.actual)


def inspect_answer(operation: str, response: httpx.Response) -> ConnectorError | None:
    """Errors Shopify answers with HTTP 200: THROTTLED (retry after the refill) and a
    document the API refused (a bug on our side: fatal, loud)."""
    if response.status_code != 200:
        return None
    answer = _answer(response)
    if not isinstance(answer, dict):
        return ContractViolation("the GraphQL answer is not a JSON object", status=200)
    if is_throttled(answer):
        cost = query_cost(answer)
        # one point of margin: Shopify reports whole points, the bucket refills continuously
        needed = cost.requested + 1 if cost is not None and cost.requested else None
        wait = max(refill_wait(cost, needed), 0.05) if cost is not None else 1.0
        return RateLimited("Shopify answered THROTTLED", retry_after=wait, status=200)
    errors = answer.get("errors")
    if errors and answer.get("data") is None:
        messages = "; ".join(
            str(e.get("message")) if isinstance(e, dict) else str(e)
            for e in (errors if isinstance(errors, list) else [errors])
        )
        return ContractViolation(f"Shopify refused the request: {messages}", status=200)
    return None


class ShopifyGraphQL:
    """The account's GraphQL endpoint: ``await gql.call("orders", body)`` -> answer dict."""

    def __init__(self, context: ConnectorContext) -> None:
        version = str(context.settings.get("api_version", "2025-01"))
        shop = context.settings.get("shop")
        if not shop and not context.base_url:
            raise ConfigError(
                f"shopify account {context.account!r} needs a base URL or the setting 'shop' "
                "(the name in name.myshopify.com)"
            )
        default_url = f"https://{shop}.myshopify.com"
        self.path = f"/admin/api/{version}/graphql.json"
        self.api_version = version
        self._underestimate: dict[str, float] = {}  # by document name: Shopify asked more
        self.http: ConnectorHttpClient = http_client_for(
            context,
            default_base_url=default_url,
            limits={OPERATION: STANDARD_PLAN},
            auth=HeaderTokenAuth("X-Shopify-Access-Token", context.credential("access_token")),
            limit_feedback=throttle_feedback,
            inspect_response=inspect_answer,
        )

    async def call(self, name: str, body: GraphQLBody, *, idempotent: bool = True) -> Any:
        """Send one document once the bucket holds its requested cost; queries are
        idempotent, ``fulfillmentCreate`` is not."""
        estimate = requested_cost(body["query"], body.get("variables"))
        cost = min(
            estimate + self._underestimate.get(name, 0.0) + PACING_MARGIN,
            self.http.limiter.bucket(self.http.account, OPERATION).burst,
        )
        response = await self.http.request(
            OPERATION, "POST", self.path, json=body, idempotent=idempotent, cost=cost
        )
        answer = response.json()
        told = query_cost(answer)
        if told is not None and told.requested and told.requested > estimate:
            # Shopify priced it higher than our rules (a changed schema or cost rule): pace
            # this document by Shopify's figure from now on rather than be throttled
            self._underestimate[name] = max(
                self._underestimate.get(name, 0.0), told.requested - estimate
            )
        return answer

    async def aclose(self) -> None:
        await self.http.aclose()
