"""The reference warehouse: the warehouse side of the channelhub outbound protocol, as an
ASGI app in front of :class:`~channelhub.simulators.warehouse.engine.WarehouseSimulator`
(see the engine's docstring for its behaviour and faults)."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import SecretStr

from channelhub.core.signing import SIGNATURE_HEADER, SignatureError
from channelhub.mappings import outbound_protocol as proto
from channelhub.simulators.base import Simulator
from channelhub.simulators.clock import ManualClock
from channelhub.simulators.warehouse.engine import (
    CallbackFaults,
    Clock,
    Deliver,
    SimOrder,
    WarehouseSimulator,
    error_body,
)

__all__ = [
    "CallbackFaults",
    "Deliver",
    "SimOrder",
    "WarehouseSimulator",
    "create_app",
    "create_simulator",
    "http_deliver",
]


def http_deliver(client: httpx.AsyncClient) -> Deliver:
    """A ``deliver`` that POSTs with ``client`` (e.g. an ASGITransport client to the hub)."""

    async def deliver(url: str, headers: dict[str, str], body: bytes) -> int:
        response = await client.post(url, headers=headers, content=body)
        return response.status_code

    return deliver


def create_app(
    *,
    seed: int = 0,
    secret: str | SecretStr = "whsec_sim",
    hub_url: str = "http://hub/callbacks/warehouse/sim-wh",
    deliver: Deliver | None = None,
    clock: Clock | None = None,
    stock: dict[str, int] | None = None,
    faults: CallbackFaults | None = None,
    app: FastAPI | None = None,
    **options: object,
) -> FastAPI:
    """The reference warehouse as an ASGI app; ``app.state.warehouse`` is the simulator."""

    async def _nowhere(url: str, headers: dict[str, str], body: bytes) -> int:
        return 503  # no hub configured: callbacks stay pending

    sim = WarehouseSimulator(
        secret=secret if isinstance(secret, SecretStr) else SecretStr(secret),
        hub_url=hub_url,
        deliver=deliver or _nowhere,
        clock=clock or ManualClock(),
        seed=seed,
        stock=dict(stock if stock is not None else {"MUG-RED": 100, "MUG-BLUE": 50, "TEE-M": 20}),
        faults=faults or CallbackFaults(),
        **options,  # type: ignore[arg-type]
    )
    app = app or FastAPI(title="channelhub reference warehouse", openapi_url=None, docs_url=None)
    app.state.warehouse = sim

    def answer(status: int, body: dict[str, object]) -> JSONResponse:
        if sim.lose_responses > 0:
            sim.lose_responses -= 1
            return JSONResponse(status_code=503, content=error_body("bad_request", "reply lost"))
        return JSONResponse(status_code=status, content=body)

    async def signed(request: Request) -> bytes | JSONResponse:
        raw = await request.body()
        try:
            sim.check_signature(request.headers.get(SIGNATURE_HEADER), raw)
        except SignatureError as exc:
            code = {"stale": "stale_signature", "replayed": "replayed"}.get(
                exc.reason, "bad_signature"
            )
            return answer(401, error_body(code, str(exc)))
        return raw

    @app.post("/outbound-orders")
    async def create_outbound(request: Request) -> JSONResponse:
        raw = await signed(request)
        if isinstance(raw, JSONResponse):
            return raw
        return answer(*sim.submit(request.headers.get(proto.IDEMPOTENCY_HEADER), raw))

    @app.get("/outbound-orders/{key}")
    async def get_outbound(key: str, request: Request) -> JSONResponse:
        raw = await signed(request)
        return raw if isinstance(raw, JSONResponse) else answer(*sim.status(key))

    @app.post("/outbound-orders/{key}/intercept")
    async def intercept(key: str, request: Request) -> JSONResponse:
        raw = await signed(request)
        return raw if isinstance(raw, JSONResponse) else answer(*sim.intercept(key, raw))

    @app.get(proto.STOCK_PATH)
    async def stock_levels(
        request: Request, cursor: str | None = None, limit: int = 100
    ) -> JSONResponse:
        raw = await signed(request)
        if isinstance(raw, JSONResponse):
            return raw
        if not 1 <= limit <= 500:
            return answer(400, error_body("bad_request", f"limit {limit} is not 1..500"))
        return answer(*sim.stock_page(cursor, limit))

    return app


def create_simulator(*, seed: int = 0, in_process: bool = True, **options: Any) -> Simulator:
    """The same routes on the SDK's :class:`Simulator` (journal, switchable 5xx / latency /
    timeout faults, ``/_sim`` control API); the state is ``sim.app.state.warehouse``."""
    sim = Simulator(platform="outbound_protocol", seed=seed, in_process=in_process)
    create_app(seed=seed, app=sim.app, **options)
    return sim
