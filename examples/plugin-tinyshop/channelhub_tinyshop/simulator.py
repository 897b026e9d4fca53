"""A Tinyshop stand-in: seeded orders and stock, its published rate limits, signed webhooks.

Built on channelhub's simulator framework (:class:`~channelhub.simulators.base.Simulator`):
every request is journaled, faults (5xx, 429, timeouts) are switched on by tests, and each
route takes a token of its operation's bucket or answers 429 with ``Retry-After``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse

from channelhub.simulators.base import Simulator
from channelhub.simulators.throttle import SimLimit

API_KEY = "tiny_key_0123456789abcdef"
WEBHOOK_SECRET = "tiny_whsec_0123456789abcdef"
LIMITS = {
    "listOrders": SimLimit(5, 10),
    "getOrder": SimLimit(5, 10),
    "setInventory": SimLimit(2, 5),
    "shipments": SimLimit(5, 10),
}
MAX_BATCH = 50


@dataclass
class TinyshopState:
    """The shop: orders by id, stock by SKU, shipments by order id."""

    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    stock: dict[str, int] = field(default_factory=dict)
    shipments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def touch(self, order_id: str, at: datetime) -> None:
        """A change on the platform: the order's ``updated_at`` becomes ``at``."""
        self.orders[order_id]["updated_at"] = at.isoformat()


def seed_state(seed: int, orders: int, now: datetime) -> TinyshopState:
    rng = random.Random(seed)
    state = TinyshopState(stock={f"TINY-{n:03d}": rng.randint(0, 40) for n in range(200)})
    skus = sorted(state.stock)
    for n in range(orders):
        created = now - timedelta(days=rng.uniform(1, 20))
        order_id = f"T{seed:02d}{n:05d}"
        lines = [
            {
                "id": f"{order_id}-{i}",
                "sku": rng.choice(skus),
                "quantity": rng.randint(1, 3),
                "price": f"{rng.randint(5, 90)}.00",
            }
            for i in range(rng.randint(1, 3))
        ]
        total = sum(int(line["price"][:-3]) * line["quantity"] for line in lines)
        state.orders[order_id] = {
            "id": order_id,
            "status": "paid",
            "currency": "USD",
            "total": f"{total}.00",
            "created_at": created.isoformat(),
            "updated_at": (created + timedelta(minutes=rng.randint(0, 600))).isoformat(),
            "lines": lines,
        }
        state.shipments[order_id] = []
    return state


def sign(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    """``X-Tinyshop-Signature``: base64 HMAC-SHA256 of the raw body."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def webhook(
    state: TinyshopState, order_id: str, event_id: str, sent_at: datetime
) -> tuple[dict[str, str], bytes]:
    """A signed ``order/updated`` delivery as Tinyshop sends it."""
    body = json.dumps(state.orders[order_id], separators=(",", ":")).encode()
    headers = {
        "X-Tinyshop-Topic": "order/updated",
        "X-Tinyshop-Event-Id": event_id,
        "X-Tinyshop-Sent-At": sent_at.isoformat(),
        "X-Tinyshop-Signature": sign(body),
    }
    return headers, body


def create_simulator(
    *,
    seed: int = 0,
    in_process: bool = True,
    orders: int = 40,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] | None = None,
) -> Simulator:
    """The simulator; ``sim.state`` is its :class:`TinyshopState`."""
    options: dict[str, Any] = {"sleep": sleep} if sleep is not None else {}
    sim = Simulator(
        platform="tinyshop",
        seed=seed,
        limits=LIMITS,
        clock=clock,
        in_process=in_process,
        **options,
    )
    state = seed_state(seed, orders, now())
    sim.state = state  # type: ignore[attr-defined]
    app = sim.app

    def authorised(x_api_key: str = Header(default="")) -> None:
        if not hmac.compare_digest(x_api_key, API_KEY):
            raise _Refused(401, "bad api key")

    @app.exception_handler(Exception)
    async def refused(request: Request, exc: Exception) -> JSONResponse:
        if isinstance(exc, _Refused):
            return JSONResponse({"error": exc.text}, status_code=exc.status)
        raise exc

    @app.get("/api/orders", dependencies=[Depends(authorised), Depends(sim.limit("listOrders"))])
    async def list_orders(updated_after: str, after_id: str = "", limit: int = 50) -> Any:
        after = (datetime.fromisoformat(updated_after), after_id)
        ranked = sorted(
            (datetime.fromisoformat(o["updated_at"]), o["id"]) for o in state.orders.values()
        )
        keys = [k for k in ranked if k > after and k[0] <= now()]
        page = [state.orders[i] for _, i in keys[: min(limit, 100)]]
        return {"orders": page, "has_more": len(keys) > len(page)}

    @app.get(
        "/api/orders/{order_id}", dependencies=[Depends(authorised), Depends(sim.limit("getOrder"))]
    )
    async def get_order(order_id: str) -> Any:
        if order_id not in state.orders:
            raise _Refused(404, f"no order {order_id}")
        return state.orders[order_id]

    @app.post(
        "/api/inventory", dependencies=[Depends(authorised), Depends(sim.limit("setInventory"))]
    )
    async def set_inventory(request: Request) -> Any:
        items = (await request.json()).get("items")
        if not isinstance(items, list) or not 0 < len(items) <= MAX_BATCH:
            raise _Refused(400, f"items: 1 to {MAX_BATCH} per call")
        results = []
        for item in items:
            if item.get("sku") not in state.stock:
                results.append({"sku": item.get("sku"), "ok": False, "error": "unknown sku"})
            elif not isinstance(item.get("quantity"), int) or item["quantity"] < 0:
                results.append({"sku": item["sku"], "ok": False, "error": "bad quantity"})
            else:
                state.stock[item["sku"]] = item["quantity"]
                results.append({"sku": item["sku"], "ok": True})
        return {"results": results}

    shipments_deps = [Depends(authorised), Depends(sim.limit("shipments"))]

    @app.get("/api/orders/{order_id}/shipments", dependencies=shipments_deps)
    async def list_shipments(order_id: str) -> Any:
        if order_id not in state.orders:
            raise _Refused(404, f"no order {order_id}")
        return {"shipments": state.shipments[order_id]}

    @app.post("/api/orders/{order_id}/shipments", dependencies=shipments_deps, status_code=201)
    async def create_shipment(order_id: str, request: Request) -> Any:
        if order_id not in state.orders:
            raise _Refused(404, f"no order {order_id}")
        body = await request.json()
        if not body.get("tracking_number") or not body.get("carrier"):
            raise _Refused(422, "tracking_number and carrier are required")
        shipment = {
            "id": f"S-{order_id}-{len(state.shipments[order_id]) + 1}",
            "tracking_number": body["tracking_number"],
            "carrier": body["carrier"],
        }
        state.shipments[order_id].append(shipment)  # no idempotency key: a repeat adds one
        state.orders[order_id]["status"] = "shipped"
        state.orders[order_id]["updated_at"] = now().isoformat()
        return {"id": shipment["id"]}

    return sim


class _Refused(Exception):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text
