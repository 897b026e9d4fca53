"""The Goodcang 谷仓 simulator (contract unverified): the operations the connector uses, in
Goodcang's envelopes, with its two auth headers.

Built from the vendored references (``contracts/wms/goodcang/``): every operation is
``POST`` with a JSON body, ``app-key`` / ``app-token`` headers. V1 operations answer
``{"ask": "Success", "message": "Success", ...}`` or ``{"ask": "Failure", "Error":
{"errCode", "errMessage"}}`` with HTTP 200; ``batch_query_tracking_status`` (V2) answers
``{"code": 0, "message": "success", "data": [...]}``. The error codes are guessed
(:mod:`channelhub.mappings.goodcang.errors`). Paths are relative to the base URL
(``https://oms.goodcang.net/public_open`` in production). State: :mod:`.state`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse, Response

from channelhub.mappings.goodcang import errors as gc
from channelhub.simulators.base import Simulator
from channelhub.simulators.clock import SERVED_STAGE_AFTER, ManualClock, wall_clock
from channelhub.simulators.goodcang.state import GcState, SimError
from channelhub.simulators.info import SimulatorInfo
from channelhub.simulators.throttle import SimLimit

DEFAULT_CREDENTIALS = {"app_key": "gc-sim-key", "app_token": "gc-sim-token"}
#: Goodcang warehouse_code -> shipping methods offered there
DEFAULT_METHODS: Mapping[str, frozenset[str]] = {
    "DEWH": frozenset({"DHL-DE-PARCEL", "GLS-DE"}),
    "USEA": frozenset({"USPS-PRIORITY", "FEDEX-SMALLPARCEL"}),
}
DEFAULT_STOCK = {
    ("DEWH", "MUG-RED"): 40,
    ("DEWH", "TEE-M"): 25,
    ("USEA", "MUG-RED"): 10,
}
OPERATIONS = (
    "create_order",
    "get_order_by_ref_code",
    "get_order_by_code",
    "cancel_order",
    "batch_query_tracking_status",
    "get_product_inventory",
)
SIMULATOR_INFO = SimulatorInfo(
    platform="goodcang",
    account="my-goodcang",
    credentials=DEFAULT_CREDENTIALS,
    settings={
        "warehouses": "GC-DE:DEWH,GC-US:USEA",
        "shipping_methods": "GC-DE/default:DHL-DE-PARCEL,GC-US/default:USPS-PRIORITY",
    },
    served={"clock": wall_clock, "stage": SERVED_STAGE_AFTER},
)


def create_app(
    *,
    seed: int = 0,
    clock: Callable[[], datetime] | None = None,
    stock: Mapping[tuple[str, str], int] | None = None,
    methods: Mapping[str, frozenset[str]] | None = None,
    stage: timedelta = timedelta(hours=2),
    credentials: Mapping[str, str] | None = None,
    limit: SimLimit = SimLimit(10, 20),
    error_rate: float = 0.0,
    in_process: bool = True,
) -> Simulator:
    """A Goodcang simulator (ASGI app); ``sim.state`` is its :class:`GcState`,
    ``sim.advance(by)`` ticks its manual clock."""
    now = clock or ManualClock()
    state = GcState(
        clock=now,
        sellable=dict(DEFAULT_STOCK if stock is None else stock),
        methods=dict(DEFAULT_METHODS if methods is None else methods),
        stage=stage,
    )
    secrets = {**DEFAULT_CREDENTIALS, **(credentials or {})}

    def throttled(request: Request, operation: str, retry_after: float) -> Response:
        return JSONResponse(gc.v1_failure(gc.TOO_FREQUENT, "request too frequent (请求过于频繁)"))

    def injected(status: int) -> Response:
        return JSONResponse(gc.v1_failure(gc.SYSTEM_BUSY, "system busy"), status_code=status)

    sim = Simulator(
        platform="goodcang",
        seed=seed,
        limits=dict.fromkeys(OPERATIONS, limit),
        throttled=throttled,
        error_response=injected,
        caller_key=lambda request: request.headers.get("app-key", "-"),
        clock=lambda: now().timestamp(),
        in_process=in_process,
    )
    sim.faults.update(error_rate=error_rate)
    sim.state = state  # type: ignore[attr-defined]

    def advance(by: timedelta) -> None:
        if not isinstance(now, ManualClock):
            raise TypeError("advance() needs the simulator's ManualClock")
        now.tick(by)
        state.sync()

    sim.advance = advance  # type: ignore[attr-defined]
    _add_routes(sim, state, secrets)
    return sim


#: The name the simulator registry and ``channelhub simulate`` call.
create_simulator = create_app


def _add_routes(sim: Simulator, state: GcState, secrets: Mapping[str, str]) -> None:
    app = sim.app

    @app.exception_handler(SimError)
    async def on_sim_error(request: Request, exc: SimError) -> Response:
        if request.url.path.endswith("/batch_query_tracking_status"):
            return JSONResponse({"code": int(exc.code), "message": exc.message, "data": []})
        return JSONResponse(gc.v1_failure(exc.code, exc.message))

    async def body_of(request: Request) -> dict[str, Any]:
        if (
            request.headers.get("app-key") != secrets["app_key"]
            or request.headers.get("app-token") != secrets["app_token"]
        ):
            raise SimError(gc.AUTH_FAILED, "app-key or app-token is invalid (授权验证失败)")
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            raise SimError(gc.INVALID_PARAMETER, "the body is not JSON") from None
        if not isinstance(body, dict):
            raise SimError(gc.INVALID_PARAMETER, "the body must be a JSON object")
        state.sync()
        return body

    def ok(**extra: Any) -> Response:
        return JSONResponse({"ask": "Success", "message": "Success", **extra})

    @app.post("/order/create_order", dependencies=[Depends(sim.limit("create_order"))])
    async def create_order(request: Request) -> Response:
        order = state.create(await body_of(request))
        return ok(order_code=order.code)

    @app.post(
        "/order/get_order_by_ref_code", dependencies=[Depends(sim.limit("get_order_by_ref_code"))]
    )
    async def by_reference(request: Request) -> Response:
        body = await body_of(request)
        return ok(data=state.order_view(state.by_reference(str(body.get("reference_no", "")))))

    @app.post("/order/get_order_by_code", dependencies=[Depends(sim.limit("get_order_by_code"))])
    async def by_code(request: Request) -> Response:
        body = await body_of(request)
        return ok(data=state.order_view(state.by_code(str(body.get("order_code", "")))))

    @app.post("/order/cancel_order", dependencies=[Depends(sim.limit("cancel_order"))])
    async def cancel_order(request: Request) -> Response:
        body = await body_of(request)
        code = str(body.get("order_code", ""))
        return ok(order_code=code, cancel_status=state.cancel(code))

    @app.post(
        "/order/batch_query_tracking_status",
        dependencies=[Depends(sim.limit("batch_query_tracking_status"))],
    )
    async def tracking(request: Request) -> Response:
        body = await body_of(request)
        values = body.get("value_list")
        kind = body.get("code_type")
        if not isinstance(values, list) or not values or len(values) > 50:
            raise SimError(gc.INVALID_PARAMETER, "value_list must hold 1 to 50 values")
        if kind not in ("order_code", "reference_no", "tracking_number"):
            raise SimError(gc.INVALID_PARAMETER, f"code_type {kind!r} is not known")
        data = state.tracking(str(kind), [str(v) for v in values])
        return JSONResponse({"code": 0, "message": "success", "data": data})

    @app.post(
        "/inventory/get_product_inventory",
        dependencies=[Depends(sim.limit("get_product_inventory"))],
    )
    async def inventory(request: Request) -> Response:
        rows, count = state.inventory(await body_of(request))
        return ok(count=str(count), data=rows)
