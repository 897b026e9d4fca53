"""The Shopify Admin GraphQL simulator: ``POST /admin/api/{version}/graphql.json``.

Every request is authenticated (``X-Shopify-Access-Token``), parsed and validated against the
published 2025-01 schema, priced (calculated query cost, 1000-point single-query limit, a
leaky bucket answering ``THROTTLED``), then executed over the seeded shop. Each answer carries
``extensions.cost``. A journal records every request so tests can count calls; fault switches
inject ``THROTTLED`` answers; the simulator framework around it injects 5xx, timeouts and
latency before anything is applied.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from graphql import (
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    execute_sync,
    parse,
    validate,
)

from channelhub.simulators.base import Simulator
from channelhub.simulators.faults import FaultConfig
from channelhub.simulators.info import SimulatorInfo
from channelhub.simulators.shopify.bulk import BulkQueries
from channelhub.simulators.shopify.cost import (
    MAX_QUERY_COST,
    CostBucket,
    actual_cost,
    requested_cost,
)
from channelhub.simulators.shopify.finance import make_plan, payments_account
from channelhub.simulators.shopify.graph import field_resolver, query_root
from channelhub.simulators.shopify.mutations import mutation_root
from channelhub.simulators.shopify.schema import load_admin_schema
from channelhub.simulators.shopify.seed import ShopData, generate_shop
from channelhub.simulators.shopify.subscriptions import DEFAULT_SECRET, OrderWebhooks

DOCS = "https://shopify.dev/api/usage/rate-limits"
FAULT_KINDS = ("throttled",)


@dataclass(frozen=True)
class JournalEntry:
    """One request as the simulator saw it."""

    operation: str  # "query" | "mutation" | "" when it never parsed
    root_fields: tuple[str, ...]
    variables: dict[str, Any]
    status: int
    outcome: str  # ok | throttled | invalid | unauthorized | too_costly
    requested_cost: int | None = None


@dataclass
class ShopSimulator:
    """State of one simulated shop: data, cost bucket, faults and the request journal."""

    data: ShopData
    schema: GraphQLSchema
    bucket: CostBucket
    access_token: str = "shpat_simulator"
    api_version: str = "2025-01"
    throttle_rate: float = 0.0  # share of calls answered THROTTLED whatever the bucket
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    journal: list[JournalEntry] = field(default_factory=list)
    fail_next: list[str] = field(default_factory=list)  # queued faults: ["throttled"]
    webhooks: OrderWebhooks | None = None  # subscriptions and the order webhooks sent
    bulk: BulkQueries | None = None  # bulk query operations (bulk.py)

    def _payments_account(self, info: Any, **args: Any) -> dict[str, Any]:
        return payments_account(self.data)

    def calls(self, root_field: str, *, outcome: str | None = "ok") -> int:
        """How many requests asked for ``root_field`` (with the given outcome; None: any)."""
        return sum(
            1
            for entry in self.journal
            if root_field in entry.root_fields and (outcome is None or entry.outcome == outcome)
        )

    def _cost(self, requested: int | None, actual: int | None) -> dict[str, Any]:
        return {
            "cost": {
                "requestedQueryCost": requested,
                "actualQueryCost": actual,
                "throttleStatus": self.bucket.status(),
            }
        }

    def _fault(self) -> str | None:
        if self.fail_next:
            return self.fail_next.pop(0)
        if self.throttle_rate and self.rng.random() < self.throttle_rate:
            return self.rng.choice(FAULT_KINDS)
        return None

    def handle(self, version: str, token: str | None, body: Any) -> tuple[int, Any]:
        """Answer one request: (HTTP status, JSON body)."""
        if token != self.access_token:
            self.journal.append(JournalEntry("", (), {}, 401, "unauthorized"))
            return 401, {
                "errors": "[API] Invalid API key or access token "
                "(unrecognized login or wrong password)"
            }
        if version != self.api_version:
            self.journal.append(JournalEntry("", (), {}, 404, "invalid"))
            return 404, {"errors": "Not Found"}
        query = body.get("query") if isinstance(body, dict) else None
        variables = body.get("variables") if isinstance(body, dict) else None
        variables = variables if isinstance(variables, dict) else {}
        if not isinstance(query, str):
            self.journal.append(JournalEntry("", (), variables, 400, "invalid"))
            return 400, {"errors": {"query": "Required parameter missing or invalid"}}
        try:
            document = parse(query)
        except GraphQLError as exc:
            self.journal.append(JournalEntry("", (), variables, 200, "invalid"))
            return 200, {"errors": [exc.formatted]}
        problems = validate(self.schema, document)
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        name = body.get("operationName")
        operation = next(
            (o for o in operations if not name or (o.name and o.name.value == name)), None
        )
        if problems or operation is None:
            self.journal.append(JournalEntry("", (), variables, 200, "invalid"))
            errors = [e.formatted for e in problems] or [{"message": "No operation given"}]
            return 200, {"errors": errors}
        kind = operation.operation.value
        roots = tuple(
            s.name.value for s in operation.selection_set.selections if hasattr(s, "name")
        )
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        requested = requested_cost(self.schema, operation, fragments, variables)

        def record(status: int, outcome: str) -> None:
            self.journal.append(JournalEntry(kind, roots, variables, status, outcome, requested))

        fault = self._fault()
        if requested > MAX_QUERY_COST:
            record(200, "too_costly")
            message = (
                f"Query cost is {requested}, which exceeds the single query max cost "
                f"limit ({MAX_QUERY_COST})."
            )
            return 200, {
                "errors": [
                    {
                        "message": message,
                        "extensions": {
                            "code": "MAX_COST_EXCEEDED",
                            "cost": requested,
                            "maxCost": MAX_QUERY_COST,
                            "documentation": DOCS,
                        },
                    }
                ],
                "extensions": self._cost(requested, None),
            }
        if fault == "throttled" or requested > self.bucket.available():
            record(200, "throttled")
            return 200, {
                "errors": [
                    {
                        "message": "Throttled",
                        "extensions": {"code": "THROTTLED", "documentation": DOCS},
                    }
                ],
                "extensions": self._cost(requested, None),
            }
        root = (
            mutation_root(self.data, self.now)
            if operation.operation is OperationType.MUTATION
            else {**query_root(self.data), "shopifyPaymentsAccount": self._payments_account}
        )
        if self.webhooks is not None:  # webhook subscriptions (subscriptions.py)
            mutation = operation.operation is OperationType.MUTATION
            extra = self.webhooks.mutation_fields() if mutation else self.webhooks.query_fields()
            root = {**root, **extra}
        if self.bulk is not None:
            mutation = operation.operation is OperationType.MUTATION
            extra = self.bulk.mutation_fields() if mutation else self.bulk.query_fields()
            root = {**root, **extra}
        result = execute_sync(
            self.schema,
            document,
            root_value=root,
            variable_values=variables,
            operation_name=name,
            field_resolver=field_resolver,
        )
        actual = actual_cost(result.data, mutation=operation.operation is OperationType.MUTATION)
        self.bucket.charge(actual)
        record(200, "ok" if not result.errors else "invalid")
        answer: dict[str, Any] = {"data": result.data}
        if result.errors:
            answer["errors"] = [e.formatted for e in result.errors]
        answer["extensions"] = self._cost(requested, actual)
        return 200, answer


DEFAULT_ACCESS_TOKEN = "shpat_simulator"
FIRST_LOCATION_ID = "61000000000"  # generate_shop's first location (stock is set there)
SIMULATOR_INFO = SimulatorInfo(
    platform="shopify",
    account="my-shopify",
    credentials={"access_token": DEFAULT_ACCESS_TOKEN},
    settings={"location_id": FIRST_LOCATION_ID},
)


def seeded_start(anchor: datetime, orders: int) -> datetime:
    """When the seeded shop begins so its last change is still before ``anchor``: orders are
    placed ~37 minutes apart (generate_shop) and changed up to 72 hours after placing."""
    return anchor - timedelta(minutes=37 * orders + 30) - timedelta(hours=73)


def shopify_error(status: int) -> Response:
    """Shopify's body for a server-side failure (what the framework's 5xx faults answer)."""
    text = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
    return JSONResponse({"errors": text.get(status, "Error")}, status_code=status)


def create_app(
    *,
    seed: int = 0,
    orders: int = 40,
    products: int = 12,
    locations: int = 2,
    data: ShopData | None = None,
    access_token: str = DEFAULT_ACCESS_TOKEN,
    api_version: str = "2025-01",
    bucket_size: float = 2000.0,
    restore_rate: float = 100.0,
    throttle_rate: float = 0.0,
    faults: FaultConfig | None = None,
    clock: Callable[[], float] = time.monotonic,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    schema: GraphQLSchema | None = None,
    in_process: bool = True,
    webhook_secret: str = DEFAULT_SECRET,
    webhook_transport: httpx.AsyncBaseTransport | None = None,
    bulk_seconds: float = 0.0,
    base_url: str | None = None,
) -> Simulator:
    """A simulated shop as an ASGI app (the simulator framework's :class:`Simulator`).

    Seeded orders are dated before ``now()`` at creation (:func:`seeded_start`), so a first
    import with the hub's default lookback takes them all and none is in the future.

    ``sim.shop`` is the shop's state (data, cost bucket, GraphQL journal, ``fail_next``);
    ``sim.faults`` / ``sim.journal`` are the framework's HTTP faults (5xx, timeouts, latency,
    duplicate webhooks) and journal. ``throttle_rate`` answers that share of calls
    ``THROTTLED`` as an over-busy shop would. ``sim.shop.webhooks`` places and changes orders
    and sends their signed webhooks (with ``webhook_secret``) to the subscribed addresses.
    """
    shop = ShopSimulator(
        data=data
        or generate_shop(
            seed,
            orders=orders,
            products=products,
            locations=locations,
            start=seeded_start(now(), orders),
        ),
        schema=schema or load_admin_schema(),
        bucket=CostBucket(maximum=bucket_size, restore_rate=restore_rate, clock=clock),
        access_token=access_token,
        api_version=api_version,
        throttle_rate=throttle_rate,
        rng=random.Random(seed),
        now=now,
    )
    shop.data.finance_plan = make_plan(shop.data, now())  # type: ignore[attr-defined]
    shop.data.finance_extra = []  # type: ignore[attr-defined]
    sim = Simulator(
        platform="shopify",
        seed=seed,
        error_response=shopify_error,
        clock=clock,
        in_process=in_process,
    )
    if faults is not None:
        sim.faults.set(faults)
    shop.webhooks = OrderWebhooks(
        shop.data, now, secret=webhook_secret, transport=webhook_transport
    )
    shop.bulk = BulkQueries(
        shop.data,
        shop.schema,
        now,
        duration=timedelta(seconds=bulk_seconds),
        base_url=base_url,
    )
    sim.shop = shop  # type: ignore[attr-defined]
    sim.app.state.shop = shop

    @sim.app.post("/admin/api/{version}/graphql.json")
    async def graphql_endpoint(version: str, request: Request) -> JSONResponse:
        try:
            body = await request.json()
        except ValueError:
            body = None
        if base_url is None:  # the file URL is absolute, on the address the app is reached at
            bulk.base_url = str(request.base_url)
        status, answer = shop.handle(version, request.headers.get("X-Shopify-Access-Token"), body)
        headers = {
            "X-Request-Id": str(uuid.UUID(int=shop.rng.getrandbits(128))),
            "X-Shopify-API-Version": shop.api_version,
        }
        await announce_finished()
        return JSONResponse(answer, status_code=status, headers=headers)

    bulk = shop.bulk
    webhooks = shop.webhooks

    async def announce_finished() -> None:
        for payload in bulk.due():
            await webhooks.send_json("BULK_OPERATIONS_FINISH", payload)

    @sim.app.get("/storage/bulk/{number}.jsonl")
    async def bulk_file(number: str) -> Response:
        """A bulk operation's JSONL result (the signed storage link Shopify hands out)."""
        status, chunks = bulk.download(number)
        media = "application/jsonl" if status == 200 else "application/xml"
        return StreamingResponse(chunks, status_code=status, media_type=media)

    @sim.app.post("/_sim/bulk/tick")
    async def bulk_tick() -> JSONResponse:
        """Control: announce the bulk operations finished by now (``bulk_operations/finish``)."""
        due = bulk.due()
        for payload in due:
            await webhooks.send_json("BULK_OPERATIONS_FINISH", payload)
        return JSONResponse({"finished": [p["admin_graphql_api_id"] for p in due]})

    @sim.app.post("/_sim/orders")
    async def place_order() -> JSONResponse:
        """Control: a buyer places an order now (``orders/create`` goes to subscribers)."""
        return JSONResponse({"id": await webhooks.place_order()}, status_code=201)

    @sim.app.post("/_sim/orders/{order_id}/update")
    async def update_order(order_id: str) -> JSONResponse:
        """Control: the order changes now (``orders/updated`` goes to subscribers)."""
        if order_id not in shop.data.orders:
            return JSONResponse({"errors": "Not Found"}, status_code=404)
        await webhooks.update_order(order_id, note="changed")
        return JSONResponse({"id": order_id})

    return sim


def create_simulator(*, seed: int = 0, in_process: bool = True, **options: Any) -> Simulator:
    """The registry's factory (``channelhub simulate shopify``); options go to create_app."""
    return create_app(seed=seed, in_process=in_process, **options)
