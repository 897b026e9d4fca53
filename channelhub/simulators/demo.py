"""A tiny example platform ("demo") showing how a simulator is built on :class:`Simulator`.

Not a real platform: it exists for the framework's own tests and as a template. Orders page
with a next token; a quantity push is rate limited at 1 request/s, burst 2, and a throttled
call gets this platform's ``QuotaExceeded`` body with ``Retry-After``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse, Response

from channelhub.simulators.base import Simulator
from channelhub.simulators.throttle import SimLimit

PAGE_SIZE = 5
LIMITS = {"listOrders": SimLimit(rate=2, burst=5), "pushQuantity": SimLimit(rate=1, burst=2)}


def demo_throttled(request: Request, operation: str, retry_after: float) -> Response:
    return JSONResponse(
        {"errors": [{"code": "QuotaExceeded", "message": f"quota exceeded for {operation}"}]},
        status_code=429,
        headers={"Retry-After": f"{retry_after:.3f}", "x-demo-ratelimit-limit": "1"},
    )


def create_simulator(*, seed: int = 0, in_process: bool = True, **options: Any) -> Simulator:
    sim = Simulator(
        platform="demo",
        seed=seed,
        limits=LIMITS,
        throttled=demo_throttled,
        caller_key=lambda request: request.headers.get("x-demo-token", "-"),
        in_process=in_process,
        **options,
    )
    data = sim.data.fork("orders")
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 31, tzinfo=UTC)
    orders: list[dict[str, Any]] = [
        {
            "id": data.identifier("D-", 8),
            "updated_at": data.instant(start, end).isoformat(),
            "total": str(data.amount("5", "250")),
            "currency": "USD",
            "ship_to": data.address("US"),
        }
        for _ in range(12)
    ]
    orders.sort(key=lambda o: o["updated_at"])

    @sim.app.get("/orders", dependencies=[Depends(sim.limit("listOrders"))])
    async def list_orders(next_token: str | None = None) -> dict[str, Any]:
        offset = int(next_token) if next_token else 0
        page = orders[offset : offset + PAGE_SIZE]
        more = offset + PAGE_SIZE < len(orders)
        return {"orders": page, "next_token": str(offset + PAGE_SIZE) if more else None}

    @sim.app.put("/quantities/{sku}", dependencies=[Depends(sim.limit("pushQuantity"))])
    async def push_quantity(sku: str, body: dict[str, int]) -> dict[str, Any]:
        return {"sku": sku, "quantity": body.get("quantity"), "accepted": True}

    return sim
