"""The Amazon SP-API simulator app: the contract's paths, auth, rate limits and error bodies.

Operations (and nothing else): LWA ``POST /auth/o2/token``; tokens ``createRestrictedDataToken``;
orders 2026-01-01 ``searchOrders`` / ``getOrder``; orders v0 ``confirmShipment`` (204); listings
2021-08-01 ``searchListingsItems`` / ``getListingsItem`` / ``patchListingsItem``; feeds 2021-06-30
``createFeedDocument`` -> upload (``PUT /_upload/{id}``, a stand-in for the pre-signed URL) ->
``createFeed`` -> ``getFeed`` -> ``getFeedDocument`` -> download (``GET /_download/{id}``);
notifications v1 ``getDestinations`` / ``createDestination`` / ``getSubscription`` /
``createSubscription``, ORDER_CHANGE sent to the destination's SQS queue (:mod:`.notifications`);
finances 2024-06-19 ``listTransactions`` and transfers 2024-06-01 ``listPayouts`` (:mod:`.finance`).
Every SP-API answer carries ``x-amzn-RateLimit-Limit`` and ``x-amzn-RequestId``; excess is a
429 ``QuotaExceeded`` in Amazon's error body.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Depends, Request
from fastapi.responses import JSONResponse, Response

from channelhub.simulators.amazon import listings as lst
from channelhub.simulators.amazon.catalog import MARKETPLACES, Marketplace
from channelhub.simulators.amazon.finance import add_finance_routes
from channelhub.simulators.amazon.notifications import Deliver, NotificationError, sqs_deliver
from channelhub.simulators.amazon.shipments import confirm_shipment as confirm
from channelhub.simulators.amazon.state import AmazonState, SimError
from channelhub.simulators.base import Simulator
from channelhub.simulators.info import SimulatorInfo
from channelhub.simulators.throttle import SimLimit

#: Default usage plans (rate/s, burst). From the contract README where it lists them;
#: createFeedDocument, getFeedDocument, searchListingsItems and createRestrictedDataToken are
#: Amazon's published defaults for those operations (not in the README).
USAGE_PLANS: Mapping[str, SimLimit] = {
    "searchOrders": SimLimit(0.0056, 20),
    "getOrder": SimLimit(0.5, 30),
    "confirmShipment": SimLimit(2, 10),
    "searchListingsItems": SimLimit(5, 5),
    "getListingsItem": SimLimit(5, 10),
    "patchListingsItem": SimLimit(5, 5),
    "createFeedDocument": SimLimit(0.5, 15),
    "createFeed": SimLimit(0.0083, 15),
    "getFeed": SimLimit(2, 15),
    "getFeedDocument": SimLimit(0.0222, 10),
    "createRestrictedDataToken": SimLimit(1, 10),
    "getDestinations": SimLimit(1, 5),
    "createDestination": SimLimit(1, 5),
    "getSubscription": SimLimit(1, 5),
    "createSubscription": SimLimit(1, 5),
    # finances 2024-06-19 listTransactions and transfers 2024-06-01 listPayouts: 0.5/s, burst 10
    "listTransactions": SimLimit(0.5, 10),
    "listPayouts": SimLimit(0.5, 10),
}
DEFAULT_CREDENTIALS = {
    "client_id": "amzn1.application-oa2-client.sim",
    "client_secret": "sim-client-secret",
    "refresh_token": "Atzr|sim-refresh-token",
}
DEFAULT_SELLER_ID = "A1SIMSELLER"
#: ``accounts add`` facts. LWA tokens come from the simulator too, not from api.amazon.com: the
#: connector asks ``{base_url}/auth/o2/token`` for any base URL that is not Amazon's own.
SIMULATOR_INFO = SimulatorInfo(
    platform="amazon",
    account="my-amazon",
    credentials=DEFAULT_CREDENTIALS,
    settings={
        "seller_id": DEFAULT_SELLER_ID,
        "marketplace_ids": ",".join(m.marketplace_id for m in MARKETPLACES),
    },
)
_ERRORS = {
    429: ("QuotaExceeded", "You exceeded your quota for the requested resource."),
    500: ("InternalFailure", "We encountered an internal error. Please try again."),
    503: ("ServiceUnavailable", "Service temporarily unavailable. Please try again."),
}


def amazon_error(
    status: int, code: str, message: str, details: str = "", **headers: str
) -> Response:
    return JSONResponse(
        {"errors": [{"code": code, "message": message, "details": details}]},
        status_code=status,
        headers={"x-amzn-RequestId": "sim-error", **headers},
    )


def injected_error(status: int) -> Response:
    code, message = _ERRORS.get(status, ("InternalFailure", "injected fault"))
    return amazon_error(status, code, message)


def create_app(
    *,
    seed: int = 0,
    order_count: int = 200,
    listing_count: int = 40,
    seller_id: str = DEFAULT_SELLER_ID,
    marketplaces: Sequence[Marketplace] = MARKETPLACES,
    now: Callable[[], datetime] | None = None,
    start: datetime | None = None,
    days: int = 14,
    limits: Mapping[str, SimLimit] | None = None,
    rate_limits: bool = True,
    credentials: Mapping[str, str] | None = None,
    feed_polls_to_done: int = 3,
    error_rate: float = 0.0,
    error_statuses: tuple[int, ...] = (429, 500, 503),
    in_process: bool = True,
    sqs_endpoint_url: str | None = None,
    deliver: Deliver | None = None,
    notification_duplicate_rate: float = 0.0,
) -> Simulator:
    """A seeded Amazon simulator (an ASGI app); ``sim.state`` holds its orders and listings.

    ``now`` is the simulator's clock (default: wall clock, UTC); orders are created in the
    ``days`` before ``now()`` at creation unless ``start`` is given. ``limits`` overrides
    usage plans (the advertised ``x-amzn-RateLimit-Limit`` follows). ``error_rate`` fails a
    seeded share of requests with ``error_statuses`` (see also ``sim.faults.update``).
    ORDER_CHANGE notifications go through ``deliver(queue_arn, body)``, or to the SQS server at
    ``sqs_endpoint_url`` (see :mod:`.notifications`); ``sim.state.place_order()`` (or
    ``POST /_sim/orders``) places an order now.
    """
    clock = now or (lambda: datetime.now(UTC))
    first = clock()
    begin = start or first - timedelta(days=days)
    plans = {**USAGE_PLANS, **(limits or {})}
    state = AmazonState(
        seed=seed,
        order_count=order_count,
        listing_count=listing_count,
        seller_id=seller_id,
        marketplaces=marketplaces,
        now=clock,
        start=begin,
        end=min(begin + timedelta(days=days), first - timedelta(minutes=5)),
        credentials={**DEFAULT_CREDENTIALS, **(credentials or {})},
        feed_polls_to_done=feed_polls_to_done,
    )

    def throttled(request: Request, operation: str, retry_after: float) -> Response:
        code, message = _ERRORS[429]
        return amazon_error(429, code, message)

    unlimited = SimLimit(rate=1e9, burst=1e9)
    sim = Simulator(
        platform="amazon",
        seed=seed,
        limits=plans if rate_limits else dict.fromkeys(plans, unlimited),
        throttled=throttled,
        error_response=injected_error,
        caller_key=lambda request: seller_id,
        clock=lambda: clock().timestamp(),
        in_process=in_process,
    )
    sim.faults.update(error_rate=error_rate, error_statuses=error_statuses)
    state.notifications.deliver = deliver or (
        sqs_deliver(sqs_endpoint_url) if sqs_endpoint_url else None
    )
    state.notifications.duplicate_rate = notification_duplicate_rate
    sim.state = state  # type: ignore[attr-defined]
    _add_routes(sim, state, plans)
    return sim


#: The name the simulator registry and ``channelhub simulate`` call.
create_simulator = create_app


def _ok(operation: str, plans: Mapping[str, SimLimit], body: Any, status: int = 200) -> Response:
    headers = {"x-amzn-RateLimit-Limit": f"{plans[operation].rate:g}", "x-amzn-RequestId": "sim"}
    if body is None:
        return Response(status_code=status, headers=headers)
    return JSONResponse(body, status_code=status, headers=headers)


async def _json(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise SimError(400, "InvalidInput", "the body is not JSON") from None


def _add_routes(sim: Simulator, state: AmazonState, plans: Mapping[str, SimLimit]) -> None:
    app = sim.app

    @app.exception_handler(SimError)
    async def on_sim_error(request: Request, exc: SimError) -> Response:
        if request.url.path == "/auth/o2/token":  # LWA speaks OAuth, not SP-API
            return JSONResponse(
                {"error": exc.code, "error_description": exc.message}, status_code=exc.status
            )
        return amazon_error(exc.status, exc.code, exc.message, exc.details)

    def auth(request: Request) -> bool:
        return state.authorize(
            request.headers.get("x-amz-access-token"), request.method, request.url.path
        )

    def query(request: Request) -> dict[str, str]:
        return dict(request.query_params)

    def base(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    @app.exception_handler(NotificationError)
    async def on_notification_error(request: Request, exc: NotificationError) -> Response:
        return amazon_error(exc.status, exc.code, exc.message)

    @app.post("/auth/o2/token")
    async def lwa_token(request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode("utf-8")))
        return JSONResponse(state.lwa_grant(form))

    @app.post(
        "/tokens/2021-03-01/restrictedDataToken",
        dependencies=[Depends(sim.limit("createRestrictedDataToken"))],
    )
    async def create_rdt(request: Request) -> Response:
        auth(request)
        return _ok("createRestrictedDataToken", plans, state.create_rdt(await _json(request)))

    @app.get("/orders/2026-01-01/orders", dependencies=[Depends(sim.limit("searchOrders"))])
    async def search_orders(request: Request) -> Response:
        restricted = auth(request)
        return _ok("searchOrders", plans, state.search_orders(query(request), restricted))

    @app.get("/orders/2026-01-01/orders/{order_id}", dependencies=[Depends(sim.limit("getOrder"))])
    async def get_order(order_id: str, request: Request) -> Response:
        restricted = auth(request)
        body = state.get_order(order_id, request.query_params.get("includedData"), restricted)
        return _ok("getOrder", plans, body)

    @app.post(
        "/orders/v0/orders/{order_id}/shipmentConfirmation",
        dependencies=[Depends(sim.limit("confirmShipment"))],
    )
    async def confirm_shipment(order_id: str, request: Request) -> Response:
        auth(request)
        confirm(state, order_id, await _json(request))
        return _ok("confirmShipment", plans, None, status=204)

    @app.get(
        "/listings/2021-08-01/items/{seller}",
        dependencies=[Depends(sim.limit("searchListingsItems"))],
    )
    async def search_listings(seller: str, request: Request) -> Response:
        auth(request)
        return _ok("searchListingsItems", plans, lst.search_listings(state, seller, query(request)))

    @app.get(
        "/listings/2021-08-01/items/{seller}/{sku}",
        dependencies=[Depends(sim.limit("getListingsItem"))],
    )
    async def get_listing(seller: str, sku: str, request: Request) -> Response:
        auth(request)
        return _ok("getListingsItem", plans, lst.get_listing(state, seller, sku, query(request)))

    @app.patch(
        "/listings/2021-08-01/items/{seller}/{sku}",
        dependencies=[Depends(sim.limit("patchListingsItem"))],
    )
    async def patch_listing(seller: str, sku: str, request: Request) -> Response:
        auth(request)
        body = lst.patch_listing(state, seller, sku, query(request), await _json(request))
        return _ok("patchListingsItem", plans, body)

    @app.post(
        "/feeds/2021-06-30/documents", dependencies=[Depends(sim.limit("createFeedDocument"))]
    )
    async def create_feed_document(request: Request) -> Response:
        auth(request)
        body = lst.create_feed_document(state, await _json(request), base(request))
        return _ok("createFeedDocument", plans, body, status=201)

    @app.put("/_upload/{document_id}")
    async def upload(document_id: str, request: Request) -> Response:
        lst.upload(state, document_id, await request.body(), request.headers)
        return Response(status_code=200)

    @app.post("/feeds/2021-06-30/feeds", dependencies=[Depends(sim.limit("createFeed"))])
    async def create_feed(request: Request) -> Response:
        auth(request)
        return _ok("createFeed", plans, lst.create_feed(state, await _json(request)), status=202)

    @app.get("/feeds/2021-06-30/feeds/{feed_id}", dependencies=[Depends(sim.limit("getFeed"))])
    async def get_feed(feed_id: str, request: Request) -> Response:
        auth(request)
        return _ok("getFeed", plans, lst.get_feed(state, feed_id))

    @app.get(
        "/feeds/2021-06-30/documents/{document_id}",
        dependencies=[Depends(sim.limit("getFeedDocument"))],
    )
    async def get_feed_document(document_id: str, request: Request) -> Response:
        auth(request)
        return _ok(
            "getFeedDocument", plans, lst.get_feed_document(state, document_id, base(request))
        )

    @app.get("/_download/{document_id}")
    async def download(document_id: str) -> Response:
        return Response(lst.download(state, document_id), media_type="application/json")

    _add_notification_routes(sim, state, plans, auth)
    add_finance_routes(sim, state, lambda operation, body: _ok(operation, plans, body), auth)


def _add_notification_routes(
    sim: Simulator, state: AmazonState, plans: Mapping[str, SimLimit], auth: Any
) -> None:
    app = sim.app
    destinations = "/notifications/v1/destinations"
    subscription = "/notifications/v1/subscriptions/{notification_type}"

    @app.get(destinations, dependencies=[Depends(sim.limit("getDestinations"))])
    async def get_destinations(request: Request) -> Response:
        auth(request)
        return _ok("getDestinations", plans, state.notifications.get_destinations())

    @app.post(destinations, dependencies=[Depends(sim.limit("createDestination"))])
    async def create_destination(request: Request) -> Response:
        auth(request)
        body = state.notifications.create_destination(await _json(request))
        return _ok("createDestination", plans, body)

    @app.get(subscription, dependencies=[Depends(sim.limit("getSubscription"))])
    async def get_subscription(notification_type: str, request: Request) -> Response:
        auth(request)
        body = state.notifications.get_subscription(notification_type)
        return _ok("getSubscription", plans, body)

    @app.post(subscription, dependencies=[Depends(sim.limit("createSubscription"))])
    async def create_subscription(notification_type: str, request: Request) -> Response:
        auth(request)
        body = state.notifications.create_subscription(notification_type, await _json(request))
        return _ok("createSubscription", plans, body)

    @app.post("/_sim/orders")
    async def place_order() -> Response:
        """Control: a buyer places an order now (its ORDER_CHANGE is sent)."""
        return JSONResponse({"orderId": state.place_order()}, status_code=201)
