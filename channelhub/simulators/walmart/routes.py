"""The Walmart simulator's routes (see the package docstring for the contract they follow)."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

from fastapi import Depends, Request
from fastapi.responses import JSONResponse, Response

from channelhub.simulators.base import Simulator
from channelhub.simulators.throttle import SimLimit
from channelhub.simulators.walmart.data import WalmartShop, last_modified, ms

MAX_LIMIT = 200
DAY_MS = 86_400_000
ITEMS_PAGE = 10
LIMITS = {
    "token": SimLimit(rate=5, burst=20),
    "orders": SimLimit(rate=20, burst=60),
    "orderActions": SimLimit(rate=20, burst=60),
    "items": SimLimit(rate=10, burst=20),
    "inventory": SimLimit(rate=20, burst=60),
    "feeds": SimLimit(rate=5, burst=10),
}
REQUIRED_HEADERS = ("wm_qos.correlation_id", "wm_svc.name")


def error(status: int, code: str, description: str) -> JSONResponse:
    """Walmart's error body: ``{"errors": {"error": [{code, description, ...}]}}``."""
    body = {"code": code, "description": description, "severity": "ERROR", "category": "DATA"}
    return JSONResponse({"errors": {"error": [body]}}, status_code=status)


def walmart_throttled(request: Request, operation: str, retry_after: float) -> Response:
    response = error(429, "REQUEST_THRESHOLD_VIOLATED.GMP_GATEWAY_API", f"{operation} throttled")
    response.headers["Retry-After"] = str(max(1, round(retry_after)))
    return response


def walmart_error_response(status: int) -> Response:
    return error(status, "SYSTEM_ERROR.GMP_GATEWAY_API", "injected fault")


class AuthFailed(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def _parse_time(text: str) -> int:
    """A date filter as epoch ms (ISO 8601 with ``Z`` or a bare date)."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return ms(value)


def _statuses(line: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = line["orderLineStatuses"]["orderLineStatus"]
    return found


def _move(line: dict[str, Any], quantity: int, to: dict[str, Any]) -> bool:
    """Move ``quantity`` of a line from Created/Acknowledged to the status ``to``."""
    open_rows = [s for s in _statuses(line) if s["status"] in ("Created", "Acknowledged")]
    available = sum(int(s["statusQuantity"]["amount"]) for s in open_rows)
    if quantity > available:
        return False
    left = quantity
    for row in open_rows:
        take = min(left, int(row["statusQuantity"]["amount"]))
        row["statusQuantity"]["amount"] = str(int(row["statusQuantity"]["amount"]) - take)
        left -= take
    line["orderLineStatuses"]["orderLineStatus"] = [
        s
        for s in _statuses(line)
        if s["status"] not in ("Created", "Acknowledged") or int(s["statusQuantity"]["amount"]) > 0
    ] + [{**to, "statusQuantity": {"unitOfMeasurement": "EACH", "amount": str(quantity)}}]
    return True


def install_routes(
    sim: Simulator,
    shop: WalmartShop,
    *,
    client_id: str,
    client_secret: str,
    now: Callable[[], datetime],
) -> None:
    app = sim.app
    tokens: set[str] = set()
    expected_basic = "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()

    async def on_auth_failed(request: Request, exc: AuthFailed) -> Response:
        return exc.response

    app.add_exception_handler(AuthFailed, on_auth_failed)  # type: ignore[arg-type]

    def headers_present(request: Request) -> None:
        missing = [h for h in REQUIRED_HEADERS if not request.headers.get(h)]
        if missing:
            raise AuthFailed(error(400, "MISSING_HEADER", f"missing header(s) {missing}"))

    def authorised(request: Request) -> None:
        headers_present(request)
        if request.headers.get("wm_sec.access_token", "") not in tokens:
            raise AuthFailed(error(401, "UNAUTHORIZED.GMP_GATEWAY_API", "Unauthorized"))

    def stamp(order: dict[str, Any]) -> None:
        for line in order["orderLines"]["orderLine"]:
            line["statusDate"] = ms(now())

    @app.post("/v3/token", dependencies=[Depends(sim.limit("token"))])
    async def token(request: Request) -> Response:
        headers_present(request)
        if not secrets.compare_digest(request.headers.get("authorization", ""), expected_basic):
            return error(401, "UNAUTHORIZED.GMP_GATEWAY_API", "invalid client credentials")
        form = parse_qs((await request.body()).decode())
        if form.get("grant_type") != ["client_credentials"]:
            return error(400, "INVALID_REQUEST", "grant_type must be client_credentials")
        access = f"sim-wm-{secrets.token_hex(12)}"
        tokens.add(access)
        return JSONResponse({"access_token": access, "token_type": "Bearer", "expires_in": 900})

    guard = [Depends(sim.limit("orders")), Depends(authorised)]
    act = [Depends(sim.limit("orderActions")), Depends(authorised)]

    @app.get("/v3/orders/released", dependencies=guard)
    async def released(
        createdStartDate: str | None = None,
        createdEndDate: str | None = None,
        limit: int = 100,
        after: str | None = None,
    ) -> Response:
        if not 1 <= limit <= MAX_LIMIT:
            return error(400, "INVALID_REQUEST_PARAM", f"limit {limit} is not 1..{MAX_LIMIT}")
        try:
            low = _parse_time(createdStartDate) if createdStartDate else 0
            high = _parse_time(createdEndDate) if createdEndDate else ms(now())
        except ValueError:
            return error(400, "INVALID_REQUEST_PARAM", "a date filter is not ISO 8601")
        found = sorted(
            (
                o
                for o in shop.orders.values()
                if low <= o["orderDate"] <= high
                and any(
                    s["status"] == "Created"
                    for line in o["orderLines"]["orderLine"]
                    for s in _statuses(line)
                )
            ),
            key=lambda o: (o["orderDate"], o["purchaseOrderId"]),
        )
        if after:  # keyset paging: acknowledging earlier orders never shifts the pages
            date, _, po = after.partition(":")
            found = [o for o in found if (o["orderDate"], o["purchaseOrderId"]) > (int(date), po)]
        page = found[:limit]
        if not page and shop.empty_as_404:
            return error(404, "CONTENT_NOT_FOUND.GMP_ORDER_API", "No orders found")
        meta: dict[str, Any] = {"totalCount": len(found), "limit": limit}
        if len(found) > limit:
            last = page[-1]
            meta["nextCursor"] = (
                f"?limit={limit}&hasMoreElements=true"
                f"&createdStartDate={quote(createdStartDate or '')}"
                f"&createdEndDate={quote(createdEndDate or '')}"
                f"&after={last['orderDate']}:{last['purchaseOrderId']}"
            )
        return JSONResponse({"list": {"meta": meta, "elements": {"order": page}}})

    @app.get("/v3/orders", dependencies=guard)
    async def all_orders(
        createdStartDate: str | None = None,
        createdEndDate: str | None = None,
        lastModifiedStartDate: str | None = None,
        lastModifiedEndDate: str | None = None,
        limit: str = "100",
        after: str | None = None,
    ) -> Response:
        """getAllOrders: created in the last 7 days unless ``createdStartDate`` says otherwise
        (180 at most), narrowed by the modified window; keyset pages like the released read."""
        if not limit.isdigit() or not 1 <= int(limit) <= MAX_LIMIT:
            return error(400, "INVALID_REQUEST_PARAM", f"limit {limit} is not 1..{MAX_LIMIT}")
        size = int(limit)
        now_ms = ms(now())
        try:
            low = _parse_time(createdStartDate) if createdStartDate else now_ms - 7 * DAY_MS
            high = _parse_time(createdEndDate) if createdEndDate else now_ms
            mod_low = _parse_time(lastModifiedStartDate) if lastModifiedStartDate else 0
            mod_high = _parse_time(lastModifiedEndDate) if lastModifiedEndDate else now_ms
        except ValueError:
            return error(400, "INVALID_REQUEST_PARAM", "a date filter is not ISO 8601")
        if low < now_ms - 180 * DAY_MS:
            return error(400, "INVALID_REQUEST_PARAM", "only orders of the last 180 days")
        found = sorted(
            (
                o
                for o in shop.orders.values()
                if low <= o["orderDate"] <= high and mod_low <= last_modified(o) <= mod_high
            ),
            key=lambda o: (o["orderDate"], o["purchaseOrderId"]),
        )
        if after:
            date, _, po = after.partition(":")
            found = [o for o in found if (o["orderDate"], o["purchaseOrderId"]) > (int(date), po)]
        page = found[:size]
        if not page and shop.empty_as_404:
            return error(404, "CONTENT_NOT_FOUND.GMP_ORDER_API", "No orders found")
        meta: dict[str, Any] = {"totalCount": len(found), "limit": size}
        if len(found) > size:
            last = page[-1]
            query = {
                "limit": str(size),
                "hasMoreElements": "true",
                "createdStartDate": createdStartDate,
                "createdEndDate": createdEndDate,
                "lastModifiedStartDate": lastModifiedStartDate,
                "lastModifiedEndDate": lastModifiedEndDate,
                "after": f"{last['orderDate']}:{last['purchaseOrderId']}",
            }
            meta["nextCursor"] = "?" + urlencode({k: v for k, v in query.items() if v})
        return JSONResponse({"list": {"meta": meta, "elements": {"order": page}}})

    @app.get("/v3/orders/{po}", dependencies=guard)
    async def get_order(po: str) -> Response:
        order = shop.orders.get(po)
        if order is None:
            return error(404, "CONTENT_NOT_FOUND.GMP_ORDER_API", f"order {po} not found")
        return JSONResponse(order)

    @app.post("/v3/orders/{po}/acknowledge", dependencies=act)
    async def acknowledge(po: str) -> Response:
        order = shop.orders.get(po)
        if order is None:
            return error(404, "CONTENT_NOT_FOUND.GMP_ORDER_API", f"order {po} not found")
        for line in order["orderLines"]["orderLine"]:
            for row in _statuses(line):
                if row["status"] == "Created":
                    row["status"] = "Acknowledged"
        stamp(order)
        return JSONResponse({"order": order})

    async def _lines(request: Request, key: str) -> list[dict[str, Any]] | None:
        try:
            body = json.loads(await request.body())
            lines = body[key]["orderLines"]["orderLine"]
        except (ValueError, KeyError, TypeError):
            return None
        return lines if isinstance(lines, list) and lines else None

    @app.post("/v3/orders/{po}/shipping", dependencies=act)
    async def ship(po: str, request: Request) -> Response:
        order = shop.orders.get(po)
        if order is None:
            return error(404, "CONTENT_NOT_FOUND.GMP_ORDER_API", f"order {po} not found")
        lines = await _lines(request, "orderShipment")
        if lines is None:
            return error(400, "INVALID_REQUEST_CONTENT", "orderShipment.orderLines is required")
        by_number = {line["lineNumber"]: line for line in order["orderLines"]["orderLine"]}
        for entry in lines:
            line = by_number.get(entry.get("lineNumber"))
            if line is None:
                return error(400, "INVALID_REQUEST_CONTENT", f"no line {entry.get('lineNumber')}")
            for status in entry["orderLineStatuses"]["orderLineStatus"]:
                tracking = status.get("trackingInfo") or {}
                if not tracking.get("trackingNumber") or not tracking.get("carrierName"):
                    return error(400, "INVALID_REQUEST_CONTENT", "trackingInfo is incomplete")
                wanted = int(status["statusQuantity"]["amount"])
                if not _move(line, wanted, {"status": "Shipped", "trackingInfo": tracking}):
                    return error(
                        400, "INVALID_REQUEST_CONTENT", f"line {line['lineNumber']} is not open"
                    )
        stamp(order)
        if shop.lose_next_ship_answer:
            shop.lose_next_ship_answer = False
            return walmart_error_response(500)
        return JSONResponse({"order": order})

    @app.post("/v3/orders/{po}/cancel", dependencies=act)
    async def cancel(po: str, request: Request) -> Response:
        order = shop.orders.get(po)
        if order is None:
            return error(404, "CONTENT_NOT_FOUND.GMP_ORDER_API", f"order {po} not found")
        lines = await _lines(request, "orderCancellation")
        if lines is None:
            return error(400, "INVALID_REQUEST_CONTENT", "orderCancellation is required")
        by_number = {line["lineNumber"]: line for line in order["orderLines"]["orderLine"]}
        for entry in lines:
            line = by_number.get(entry.get("lineNumber"))
            status = entry["orderLineStatuses"]["orderLineStatus"][0]
            quantity = int(status["statusQuantity"]["amount"])
            reason = status.get("cancellationReason")
            if line is None or not _move(
                line, quantity, {"status": "Cancelled", "cancellationReason": reason}
            ):
                return error(400, "INVALID_REQUEST_CONTENT", "the line cannot be cancelled")
        stamp(order)
        return JSONResponse({"order": order})

    @app.get("/v3/items", dependencies=[Depends(sim.limit("items")), Depends(authorised)])
    async def get_items(nextCursor: str = "*") -> Response:
        skus = sorted(shop.items)
        offset = 0 if nextCursor == "*" else int(nextCursor.removeprefix("sim-items-") or 0)
        page = [shop.items[s] for s in skus[offset : offset + ITEMS_PAGE]]
        body: dict[str, Any] = {"ItemResponse": page, "totalItems": len(skus)}
        if offset + ITEMS_PAGE < len(skus):
            body["nextCursor"] = f"sim-items-{offset + ITEMS_PAGE}"
        return JSONResponse(body)

    @app.put("/v3/inventory", dependencies=[Depends(sim.limit("inventory")), Depends(authorised)])
    async def put_inventory(request: Request, sku: str) -> Response:
        try:
            body = json.loads(await request.body())
            amount = body["quantity"]["amount"]
        except (ValueError, KeyError, TypeError):
            return error(400, "INVALID_REQUEST_CONTENT", "sku and quantity are required")
        if sku not in shop.items or body.get("sku") != sku:
            return error(404, "CONTENT_NOT_FOUND.GMP_INVENTORY_API", f"sku {sku} not found")
        if not isinstance(amount, int) or amount < 0:
            return error(400, "INVALID_REQUEST_CONTENT", "quantity.amount is not a count")
        shop.inventory[sku] = amount
        return JSONResponse({"sku": sku, "quantity": {"unit": "EACH", "amount": amount}})

    @app.post("/v3/feeds", dependencies=[Depends(sim.limit("feeds")), Depends(authorised)])
    async def post_feed(request: Request, feedType: str) -> Response:
        if feedType != "inventory":
            return error(400, "INVALID_REQUEST_PARAM", f"feedType {feedType} not simulated")
        feed = _feed_file(await request.body(), request.headers.get("content-type", ""))
        if feed is None:
            return error(400, "INVALID_REQUEST_CONTENT", "no JSON file part in the feed")
        feed_id = f"SIM{len(shop.feeds):08d}@AQMB"
        results = []
        for index, row in enumerate(feed.get("Inventory") or []):
            sku = row.get("sku")
            ok = sku in shop.items
            if ok:
                shop.inventory[sku] = int(row["quantity"]["amount"])
            entry: dict[str, Any] = {"sku": sku, "index": index}
            entry["ingestionStatus"] = "SUCCESS" if ok else "DATA_ERROR"
            if not ok:
                entry["ingestionErrors"] = {
                    "ingestionError": [
                        {"type": "DATA_ERROR", "code": "ERR_PDI_0001", "description": "unknown sku"}
                    ]
                }
            results.append(entry)
        failed = sum(1 for r in results if r["ingestionStatus"] != "SUCCESS")
        shop.feeds[feed_id] = {
            "feedId": feed_id,
            "feedStatus": "PROCESSED",
            "itemsReceived": len(results),
            "itemsSucceeded": len(results) - failed,
            "itemsFailed": failed,
            "itemsProcessing": 0,
            "itemDetails": {"itemIngestionStatus": results},
        }
        shop.feed_polls[feed_id] = 0
        return JSONResponse({"feedId": feed_id})

    @app.get("/v3/feeds/{feed_id}", dependencies=[Depends(sim.limit("feeds")), Depends(authorised)])
    async def get_feed(feed_id: str) -> Response:
        status = shop.feeds.get(feed_id)
        if status is None:
            return error(404, "CONTENT_NOT_FOUND.GMP_FEED_API", f"feed {feed_id} not found")
        shop.feed_polls[feed_id] += 1
        if shop.feed_polls[feed_id] == 1:  # the first look finds it still being processed
            return JSONResponse({"feedId": feed_id, "feedStatus": "INPROGRESS"})
        return JSONResponse(status)


def _feed_file(body: bytes, content_type: str) -> dict[str, Any] | None:
    """The JSON of the multipart body's ``file`` part."""
    _, _, boundary = content_type.partition("boundary=")
    if not boundary:
        return None
    for part in body.split(b"--" + boundary.encode()):
        head, sep, content = part.partition(b"\r\n\r\n")
        if sep and b'name="file"' in head:
            try:
                found = json.loads(content.rstrip(b"\r\n-"))
            except ValueError:
                return None
            return found if isinstance(found, dict) else None
    return None
