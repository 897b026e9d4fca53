"""The eBay simulator's routes (see the package docstring for the contract they follow)."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import Depends, Request
from fastapi.responses import JSONResponse, Response

from channelhub.simulators.base import Simulator
from channelhub.simulators.ebay.data import EbayShop, ebay_time
from channelhub.simulators.ebay.finance import install_finance_routes
from channelhub.simulators.throttle import SimLimit

FULFILLMENT = "/sell/fulfillment/v1"
INVENTORY = "/sell/inventory/v1"
NOTIFICATION = "/commerce/notification/v1"
PUBLIC_HOST = "https://api.ebay.com"
SCOPE_FULFILLMENT = "https://api.ebay.com/oauth/api_scope/sell.fulfillment"
SCOPE_INVENTORY = "https://api.ebay.com/oauth/api_scope/sell.inventory"
SCOPE_PUBLIC = "https://api.ebay.com/oauth/api_scope"
SCOPE_FINANCES = "https://api.ebay.com/oauth/api_scope/sell.finances"
ALL_SCOPES = (SCOPE_FULFILLMENT, SCOPE_INVENTORY, SCOPE_FINANCES)
MAX_LIMIT = 200
MAX_BULK = 25
REVISIONS_PER_DAY = 250
LIMITS = {
    "token": SimLimit(rate=5, burst=10),
    "getOrders": SimLimit(rate=20, burst=40),
    "getOrder": SimLimit(rate=20, burst=40),
    "fulfillment": SimLimit(rate=20, burst=40),
    "inventory": SimLimit(rate=20, burst=40),
    "bulkUpdatePriceQuantity": SimLimit(rate=5, burst=10),
    "getPublicKey": SimLimit(rate=5, burst=10),
    "getTransactions": SimLimit(rate=5, burst=10),
    "getPayouts": SimLimit(rate=5, burst=10),
}


def error(status: int, error_id: int, message: str, **extra: Any) -> JSONResponse:
    """eBay's error body: ``{"errors": [{errorId, domain, category, message}]}``."""
    body = {"errorId": error_id, "domain": "API_SIM", "category": "REQUEST", "message": message}
    return JSONResponse({"errors": [{**body, **extra}]}, status_code=status)


def ebay_throttled(request: Request, operation: str, retry_after: float) -> Response:
    response = error(429, 2001, f"Too many requests: {operation}")
    response.headers["Retry-After"] = str(max(1, round(retry_after)))
    return response


def ebay_error_response(status: int) -> Response:
    return error(status, 10001, "System error (injected fault)", category="APPLICATION")


class AuthFailed(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def install_routes(
    sim: Simulator,
    shop: EbayShop,
    *,
    client_id: str,
    client_secret: str,
    refresh_tokens: dict[str, tuple[str, ...]],
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> None:
    app = sim.app
    tokens: dict[str, tuple[str, ...]] = {}
    expected_basic = "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()

    async def on_auth_failed(request: Request, exc: AuthFailed) -> Response:
        return exc.response

    app.add_exception_handler(AuthFailed, on_auth_failed)  # type: ignore[arg-type]

    def scope(needed: str) -> Callable[[Request], None]:
        def check(request: Request) -> None:
            header = request.headers.get("authorization", "")
            granted = (
                tokens.get(header.removeprefix("Bearer ")) if header.startswith("Bearer ") else None
            )
            if granted is None:
                raise AuthFailed(error(401, 1001, "Invalid access token", domain="OAuth"))
            if needed not in granted:
                raise AuthFailed(
                    error(
                        403,
                        1100,
                        "Insufficient permissions to fulfill the request.",
                        domain="OAuth",
                    )
                )

        return check

    @app.post("/identity/v1/oauth2/token", dependencies=[Depends(sim.limit("token"))])
    async def token(request: Request) -> Response:
        if not secrets.compare_digest(request.headers.get("authorization", ""), expected_basic):
            return JSONResponse(
                {"error": "invalid_client", "error_description": "client authentication failed"},
                401,
            )
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        grant = form.get("grant_type")
        wanted = tuple(form.get("scope", "").split())
        if grant == "client_credentials":
            allowed: tuple[str, ...] = (SCOPE_PUBLIC,)
        elif grant == "refresh_token":
            allowed = refresh_tokens.get(form.get("refresh_token", ""), ())
            if not allowed:
                return JSONResponse(
                    {
                        "error": "invalid_grant",
                        "error_description": "the provided authorization refresh token is invalid",
                    },
                    400,
                )
        else:
            return JSONResponse({"error": "unsupported_grant_type"}, 400)
        if not wanted or set(wanted) - set(allowed):
            return JSONResponse(
                {"error": "invalid_scope", "error_description": "the requested scope is invalid"},
                400,
            )
        access = f"v^1.1#sim-{secrets.token_hex(8)}"
        tokens[access] = wanted
        return JSONResponse(
            {"access_token": access, "expires_in": 7200, "token_type": "User Access Token"}
        )

    # --- fulfillment ----------------------------------------------------------------------

    @app.get(
        f"{FULFILLMENT}/order",
        dependencies=[Depends(sim.limit("getOrders")), Depends(scope(SCOPE_FULFILLMENT))],
    )
    async def get_orders(
        request: Request,
        filter: str | None = None,
        limit: int = 50,
        offset: int = 0,
        orderIds: str | None = None,
    ) -> Response:
        if not 1 <= limit <= MAX_LIMIT:
            return error(400, 30830, f"The 'limit' value {limit} is invalid (1..{MAX_LIMIT}).")
        if offset < 0:
            return error(400, 30820, "The 'offset' value is invalid.")
        orders = list(shop.orders.values())
        if orderIds:
            wanted = set(orderIds.split(","))
            orders = [o for o in orders if o["orderId"] in wanted]
        elif filter:
            window = _window(filter)
            if window is None:
                return error(400, 30800, f"The filter '{filter}' is invalid.")
            low, high = window
            orders = [
                o
                for o in orders
                if low <= o["lastModifiedDate"] and (high is None or o["lastModifiedDate"] <= high)
            ]
        orders.sort(key=lambda o: (o["lastModifiedDate"], o["orderId"]))
        page = orders[offset : offset + limit]
        base = f"{PUBLIC_HOST}{FULFILLMENT}/order?" + (f"filter={quote(filter)}&" if filter else "")
        body: dict[str, Any] = {
            "href": f"{base}limit={limit}&offset={offset}",
            "limit": limit,
            "offset": offset,
            "total": len(orders),
            "orders": page,
        }
        if offset + limit < len(orders):
            body["next"] = f"{base}limit={limit}&offset={offset + limit}"
        if offset > 0:
            body["prev"] = f"{base}limit={limit}&offset={max(0, offset - limit)}"
        return JSONResponse(body)

    @app.get(
        f"{FULFILLMENT}/order/{{order_id}}",
        dependencies=[Depends(sim.limit("getOrder")), Depends(scope(SCOPE_FULFILLMENT))],
    )
    async def get_order(order_id: str) -> Response:
        order = shop.orders.get(order_id)
        return JSONResponse(order) if order else error(404, 32100, f"Order {order_id} not found.")

    @app.get(
        f"{FULFILLMENT}/order/{{order_id}}/shipping_fulfillment",
        dependencies=[Depends(sim.limit("fulfillment")), Depends(scope(SCOPE_FULFILLMENT))],
    )
    async def get_fulfillments(order_id: str) -> Response:
        if order_id not in shop.orders:
            return error(404, 32100, f"Order {order_id} not found.")
        found = shop.fulfillments[order_id]
        return JSONResponse({"fulfillments": found, "total": len(found)})

    @app.get(
        f"{FULFILLMENT}/order/{{order_id}}/shipping_fulfillment/{{fulfillment_id}}",
        dependencies=[Depends(sim.limit("fulfillment")), Depends(scope(SCOPE_FULFILLMENT))],
    )
    async def get_fulfillment(order_id: str, fulfillment_id: str) -> Response:
        for entry in shop.fulfillments.get(order_id, []):
            if entry["fulfillmentId"] == fulfillment_id:
                return JSONResponse(entry)
        return error(404, 32110, f"Fulfillment {fulfillment_id} not found.")

    @app.post(
        f"{FULFILLMENT}/order/{{order_id}}/shipping_fulfillment",
        dependencies=[Depends(sim.limit("fulfillment")), Depends(scope(SCOPE_FULFILLMENT))],
    )
    async def create_fulfillment(order_id: str, request: Request) -> Response:
        order = shop.orders.get(order_id)
        if order is None:
            return error(404, 32100, f"Order {order_id} not found.")
        body = await _json(request)
        if (
            not isinstance(body, dict)
            or not body.get("lineItems")
            or not body.get("trackingNumber")
            or not body.get("shippingCarrierCode")
        ):
            return error(
                400, 32400, "lineItems, shippingCarrierCode and trackingNumber are required."
            )
        by_id = {line["lineItemId"]: line for line in order["lineItems"]}
        shipped: dict[str, int] = {}
        for entry in shop.fulfillments[order_id]:
            for ref in entry["lineItems"]:
                shipped[ref["lineItemId"]] = shipped.get(ref["lineItemId"], 0) + ref["quantity"]
        for ref in body["lineItems"]:
            line = by_id.get(ref.get("lineItemId"))
            if line is None:
                return error(
                    400, 32210, f"Line item {ref.get('lineItemId')} is not in order {order_id}."
                )
            if (
                shipped.get(line["lineItemId"], 0) + int(ref.get("quantity", line["quantity"]))
                > line["quantity"]
            ):
                return error(409, 32500, f"Line item {line['lineItemId']} is already fulfilled.")
        fulfillment_id = body["trackingNumber"].replace(" ", "")
        if any(e["fulfillmentId"] == fulfillment_id for e in shop.fulfillments[order_id]):
            return error(409, 32500, f"Tracking number {fulfillment_id} is already on this order.")
        stamp = ebay_time(now())
        shop.fulfillments[order_id].append(
            {
                "fulfillmentId": fulfillment_id,
                "lineItems": body["lineItems"],
                "shipmentTrackingNumber": body["trackingNumber"],
                "shippingCarrierCode": body["shippingCarrierCode"],
                "shippedDate": body.get("shippedDate", stamp),
            }
        )
        for ref in body["lineItems"]:
            shipped[ref["lineItemId"]] = shipped.get(ref["lineItemId"], 0) + int(
                ref.get("quantity", 1)
            )
        for line in order["lineItems"]:
            line["lineItemFulfillmentStatus"] = (
                "FULFILLED"
                if shipped.get(line["lineItemId"], 0) >= line["quantity"]
                else ("IN_PROGRESS" if shipped.get(line["lineItemId"]) else "NOT_STARTED")
            )
        states = {line["lineItemFulfillmentStatus"] for line in order["lineItems"]}
        order["orderFulfillmentStatus"] = "FULFILLED" if states == {"FULFILLED"} else "IN_PROGRESS"
        order["lastModifiedDate"] = stamp
        order["fulfillmentHrefs"].append(
            f"{PUBLIC_HOST}{FULFILLMENT}/order/{order_id}/shipping_fulfillment/{fulfillment_id}"
        )
        if shop.lose_next_create_answer:
            shop.lose_next_create_answer = False
            return error(
                500, 10001, "System error (the fulfillment was created; the answer was lost)"
            )
        location = (
            f"{PUBLIC_HOST}{FULFILLMENT}/order/{order_id}/shipping_fulfillment/{fulfillment_id}"
        )
        return JSONResponse({}, status_code=201, headers={"Location": location})

    # --- inventory ------------------------------------------------------------------------

    @app.get(
        f"{INVENTORY}/inventory_item",
        dependencies=[Depends(sim.limit("inventory")), Depends(scope(SCOPE_INVENTORY))],
    )
    async def get_inventory_items(limit: int = 25, offset: int = 0) -> Response:
        if not 1 <= limit <= 200:
            return error(400, 25709, "Invalid value for limit.")
        items = sorted(shop.items.values(), key=lambda i: i["sku"])
        body: dict[str, Any] = {
            "href": f"{PUBLIC_HOST}{INVENTORY}/inventory_item?limit={limit}&offset={offset}",
            "limit": limit,
            "total": len(items),
            "size": len(items[offset : offset + limit]),
            "inventoryItems": items[offset : offset + limit],
        }
        if offset + limit < len(items):
            body["next"] = (
                f"{PUBLIC_HOST}{INVENTORY}/inventory_item?limit={limit}&offset={offset + limit}"
            )
        return JSONResponse(body)

    @app.get(
        f"{INVENTORY}/offer",
        dependencies=[Depends(sim.limit("inventory")), Depends(scope(SCOPE_INVENTORY))],
    )
    async def get_offers(sku: str | None = None, limit: int = 25, offset: int = 0) -> Response:
        if not sku:
            return error(400, 25707, "The sku query parameter is required.")
        offers = [o for o in shop.offers.values() if o["sku"] == sku]
        if sku not in shop.items:
            return error(404, 25713, f"No inventory item found for sku {sku}.")
        return JSONResponse(
            {
                "href": f"{PUBLIC_HOST}{INVENTORY}/offer?sku={quote(sku)}",
                "limit": limit,
                "total": len(offers),
                "size": len(offers),
                "offers": offers[offset : offset + limit],
            }
        )

    @app.post(
        f"{INVENTORY}/bulk_update_price_quantity",
        dependencies=[
            Depends(sim.limit("bulkUpdatePriceQuantity")),
            Depends(scope(SCOPE_INVENTORY)),
        ],
    )
    async def bulk_update(request: Request) -> Response:
        body = await _json(request)
        requests = body.get("requests") if isinstance(body, dict) else None
        if not isinstance(requests, list) or not requests:
            return error(400, 25001, "The requests container is required.")
        if len(requests) > MAX_BULK:
            return error(400, 25002, f"At most {MAX_BULK} requests per call.")
        day = now().date().isoformat()
        responses = [_update_one(shop, entry, day) for entry in requests]
        all_ok = all(r["statusCode"] == 200 for r in responses)
        return JSONResponse({"responses": responses}, status_code=200 if all_ok else 207)

    # --- notification ---------------------------------------------------------------------

    @app.get(
        f"{NOTIFICATION}/public_key/{{key_id}}",
        dependencies=[Depends(sim.limit("getPublicKey")), Depends(scope(SCOPE_PUBLIC))],
    )
    async def get_public_key(key_id: str) -> Response:
        if key_id != shop.key_id:
            return error(404, 195005, f"The public key {key_id} was not found.")
        return JSONResponse({"algorithm": "ECDSA", "digest": "SHA1", "key": shop.public_key_pem()})

    install_finance_routes(sim, shop, scope, now, SCOPE_FINANCES)


def _update_one(shop: EbayShop, entry: Any, day: str) -> dict[str, Any]:
    sku = entry.get("sku") if isinstance(entry, dict) else None
    if not sku or sku not in shop.items:
        return {
            "sku": sku or "",
            "statusCode": 404,
            "errors": [{"errorId": 25713, "message": f"SKU {sku} not found"}],
        }
    quantity = (entry.get("shipToLocationAvailability") or {}).get("quantity")
    if not isinstance(quantity, int) or quantity < 0:
        return {
            "sku": sku,
            "statusCode": 400,
            "errors": [{"errorId": 25004, "message": f"Invalid quantity {quantity!r}"}],
        }
    count = shop.revisions.get((sku, day), 0)
    if count >= REVISIONS_PER_DAY:
        return {
            "sku": sku,
            "statusCode": 400,
            "errors": [
                {"errorId": 25019, "message": "The listing has reached its daily revision limit."}
            ],
        }
    shop.revisions[(sku, day)] = count + 1
    shop.items[sku]["availability"]["shipToLocationAvailability"]["quantity"] = quantity
    for offer in shop.offers.values():
        if offer["sku"] == sku:
            offer["availableQuantity"] = quantity
    return {"sku": sku, "statusCode": 200}


def _window(text: str) -> tuple[str, str | None] | None:
    """``lastmodifieddate:[a..b]`` -> (a, b or None); comparison is on the ISO text."""
    prefix = "lastmodifieddate:["
    if not text.startswith(prefix) or not text.endswith("]") or ".." not in text:
        return None
    low, _, high = text[len(prefix) : -1].partition("..")
    return (low, high or None) if low else None


async def _json(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except ValueError:
        return None
