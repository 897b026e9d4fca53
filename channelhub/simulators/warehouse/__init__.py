"""The reference warehouse: the warehouse side of the channelhub outbound protocol, as an
ASGI app in front of :class:`~channelhub.simulators.warehouse.engine.WarehouseSimulator`
(see the engine's docstring for its behaviour and faults)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import SecretStr

from channelhub.core.signing import SIGNATURE_HEADER, SignatureError
from channelhub.mappings import outbound_protocol as proto
from channelhub.simulators.base import Simulator
from channelhub.simulators.clock import SERVED_STAGE_AFTER, ManualClock, wall_clock
from channelhub.simulators.info import SimulatorInfo
from channelhub.simulators.warehouse.engine import (
    CallbackFaults,
    Clock,
    Deliver,
    SimOrder,
    WarehouseSimulator,
    error_body,
)

__all__ = [
    "DEFAULT_SECRET",
    "SIMULATOR_INFO",
    "CallbackFaults",
    "Deliver",
    "SimOrder",
    "WarehouseSimulator",
    "create_app",
    "create_simulator",
    "http_deliver",
]


DEFAULT_SECRET = "whsec_sim"
#: ``accounts add`` facts: the signing secret is shared both ways (the hub signs its requests
#: and verifies the warehouse's callbacks with it). Served for a person it runs on the wall
#: clock, moves a stage a minute and sends due callbacks every few seconds.
SIMULATOR_INFO = SimulatorInfo(
    platform="outbound_protocol",
    account="my-warehouse",
    credentials={"secret": DEFAULT_SECRET},
    callback_path="/callbacks/warehouse/{account}",
    served={"clock": wall_clock, "stage_after": SERVED_STAGE_AFTER, "pump_seconds": 2.0},
)


def http_deliver(client: httpx.AsyncClient) -> Deliver:
    """A ``deliver`` that POSTs with ``client`` (e.g. an ASGITransport client to the hub)."""

    async def deliver(url: str, headers: dict[str, str], body: bytes) -> int:
        response = await client.post(url, headers=headers, content=body)
        return response.status_code

    return deliver


def create_app(
    *,
    seed: int = 0,
    secret: str | SecretStr = DEFAULT_SECRET,
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
            sim.check_signature(
                request.headers.get(SIGNATURE_HEADER), raw, safe=request.method == "GET"
            )
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

    @app.post("/_sim/ship-now")
    async def ship_now() -> JSONResponse:
        """Control: ship every open order now and send the callbacks (a person's shortcut
        past the stage-a-minute wait; not part of the protocol)."""
        shipped = await sim.ship_now()
        undelivered = sim.pending
        return JSONResponse({"shipped": shipped, "callbacks_pending": undelivered})

    return app


def create_simulator(
    *,
    seed: int = 0,
    in_process: bool = True,
    account: str | None = None,
    pump_seconds: float | None = None,
    **options: Any,
) -> Simulator:
    """The same routes on the SDK's :class:`Simulator` (journal, switchable 5xx / latency /
    timeout faults, ``/_sim`` control API); the state is ``sim.app.state.warehouse``.

    ``account``: the hub account it reports for (its warehouse code unless ``warehouse`` is
    given). A ``hub_url`` without ``deliver`` is called over HTTP. ``pump_seconds``: while
    served, ``advance()`` runs that often (orders move on, due callbacks go out).
    """
    if account is not None:
        options.setdefault("warehouse", account)
    if "hub_url" in options and "deliver" not in options:
        options["deliver"] = http_deliver(httpx.AsyncClient(timeout=10.0))
    sim = Simulator(platform="outbound_protocol", seed=seed, in_process=in_process)
    create_app(seed=seed, app=sim.app, **options)
    if pump_seconds:
        _pump(sim.app, sim.app.state.warehouse, pump_seconds)
    return sim


def _pump(app: FastAPI, warehouse: WarehouseSimulator, every: float) -> None:
    """Advance the warehouse every ``every`` seconds while the app is served."""
    running: list[asyncio.Task[None]] = []

    async def loop() -> None:
        while True:
            await warehouse.advance()
            await asyncio.sleep(every)

    async def start() -> None:
        running.append(asyncio.create_task(loop()))

    async def stop() -> None:
        for task in running:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app.router.on_startup.append(start)
    app.router.on_shutdown.append(stop)
