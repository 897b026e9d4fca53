"""The Amazon MCF + FBA inventory simulator: the contract's paths, auth, limits and errors.

Operations (and nothing else): LWA ``POST /auth/o2/token``; fulfillmentOutbound 2020-07-01
``createFulfillmentOrder``, ``getFulfillmentOrder``, ``updateFulfillmentOrder``,
``cancelFulfillmentOrder``, ``getFulfillmentPreview``, ``getPackageTrackingDetails``; FBA
inventory v1 ``getInventorySummaries``. Every SP-API answer carries ``x-amzn-RateLimit-Limit``
and ``x-amzn-RequestId``; excess is a 429 ``QuotaExceeded`` in Amazon's error body, as in the
Amazon simulator. State and time: :mod:`.state` (``sim.state``; ``sim.state.sync()`` runs
before every answer, ``advance`` moves a manual clock on).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Depends, Request
from fastapi.responses import JSONResponse, Response

from channelhub.simulators.amazon.app import DEFAULT_CREDENTIALS, amazon_error, injected_error
from channelhub.simulators.amazon_mcf.state import McfState, SimError
from channelhub.simulators.base import Simulator
from channelhub.simulators.clock import SERVED_STAGE_AFTER, ManualClock, wall_clock
from channelhub.simulators.info import SimulatorInfo
from channelhub.simulators.throttle import SimLimit

BASE = "/fba/outbound/2020-07-01"
US = "ATVPDKIKX0DER"
_MCF = SimLimit(2, 30)
#: The models' usage plans (every MCF operation 2/s burst 30; FBA inventory 2/s burst 2).
USAGE_PLANS: Mapping[str, SimLimit] = {
    "createFulfillmentOrder": _MCF,
    "getFulfillmentOrder": _MCF,
    "updateFulfillmentOrder": _MCF,
    "cancelFulfillmentOrder": _MCF,
    "getFulfillmentPreview": _MCF,
    "getPackageTrackingDetails": _MCF,
    "getInventorySummaries": SimLimit(2, 2),
}
TOKEN_LIFETIME = timedelta(hours=1)
SIMULATOR_INFO = SimulatorInfo(
    platform="amazon_mcf",
    account="my-fba",
    credentials=DEFAULT_CREDENTIALS,
    settings={"marketplace_id": US},
    served={"clock": wall_clock, "stage": SERVED_STAGE_AFTER},
)
DEFAULT_STOCK = {"MUG-RED": 120, "MUG-BLUE": 40, "TEE-M": 15}


def create_app(
    *,
    seed: int = 0,
    clock: Callable[[], datetime] | None = None,
    inventory: Mapping[str, int] | None = None,
    marketplace_id: str = US,
    stage: timedelta = timedelta(hours=2),
    page_size: int = 50,
    credentials: Mapping[str, str] | None = None,
    limits: Mapping[str, SimLimit] | None = None,
    rate_limits: bool = True,
    error_rate: float = 0.0,
    in_process: bool = True,
) -> Simulator:
    """A seeded MCF simulator (an ASGI app); ``sim.state`` is its :class:`McfState`.

    ``clock`` is the simulator's time (default: a :class:`ManualClock`; ``sim.advance(by)``
    ticks it). ``limits`` overrides usage plans; ``rate_limits=False`` lifts them.
    """
    now = clock or ManualClock()
    state = McfState(
        clock=now,
        marketplace_id=marketplace_id,
        inventory=dict(DEFAULT_STOCK if inventory is None else inventory),
        stage=stage,
        seed=seed,
        page_size=page_size,
    )
    plans = {**USAGE_PLANS, **(limits or {})}
    unlimited = SimLimit(rate=1e9, burst=1e9)
    secrets = {**DEFAULT_CREDENTIALS, **(credentials or {})}

    def throttled(request: Request, operation: str, retry_after: float) -> Response:
        return amazon_error(
            429, "QuotaExceeded", "You exceeded your quota for the requested resource."
        )

    sim = Simulator(
        platform="amazon_mcf",
        seed=seed,
        limits=plans if rate_limits else dict.fromkeys(plans, unlimited),
        throttled=throttled,
        error_response=injected_error,
        caller_key=lambda request: "seller",
        clock=lambda: now().timestamp(),
        in_process=in_process,
    )
    sim.faults.update(error_rate=error_rate)
    sim.state = state  # type: ignore[attr-defined]
    sim.advance = _advancer(now, state)  # type: ignore[attr-defined]
    _add_routes(sim, state, plans, secrets, now)
    return sim


#: The name the simulator registry and ``channelhub simulate`` call.
create_simulator = create_app


def _advancer(clock: Callable[[], datetime], state: McfState) -> Callable[[timedelta], None]:
    def advance(by: timedelta) -> None:
        """Move a manual clock on by ``by`` and let the orders follow."""
        if not isinstance(clock, ManualClock):
            raise TypeError("advance() needs the simulator's ManualClock")
        clock.tick(by)
        state.sync()

    return advance


def _add_routes(
    sim: Simulator,
    state: McfState,
    plans: Mapping[str, SimLimit],
    secrets: Mapping[str, str],
    clock: Callable[[], datetime],
) -> None:
    app = sim.app
    tokens: dict[str, datetime] = {}

    @app.exception_handler(SimError)
    async def on_sim_error(request: Request, exc: SimError) -> Response:
        if request.url.path == "/auth/o2/token":
            return JSONResponse(
                {"error": exc.code, "error_description": exc.message}, status_code=exc.status
            )
        return amazon_error(exc.status, exc.code, exc.message)

    def ok(operation: str, body: Any) -> Response:
        headers = {
            "x-amzn-RateLimit-Limit": f"{plans[operation].rate:g}",
            "x-amzn-RequestId": "sim",
        }
        return JSONResponse(body, headers=headers)

    def auth(request: Request) -> None:
        token = request.headers.get("x-amz-access-token")
        denied = "Access to requested resource is denied."
        expires = tokens.get(token or "")
        if expires is None:
            raise SimError(403, "Unauthorized", denied)
        if clock() >= expires:
            raise SimError(
                403, "Unauthorized", f"{denied} The access token you provided has expired."
            )
        state.sync()

    async def body_of(request: Request) -> Any:
        raw = await request.body()
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            raise SimError(400, "InvalidInput", "The body is not JSON.") from None

    @app.post("/auth/o2/token")
    async def lwa_token(request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode("utf-8")))
        if form.get("grant_type") != "refresh_token":
            raise SimError(400, "unsupported_grant_type", "grant_type must be refresh_token")
        for name in ("client_id", "client_secret", "refresh_token"):
            if form.get(name) != secrets[name]:
                code = "invalid_grant" if name == "refresh_token" else "invalid_client"
                raise SimError(400, code, f"the {name} is not valid")
        token = f"Atza|mcf-sim-{len(tokens) + 1}"
        tokens[token] = clock() + TOKEN_LIFETIME
        return JSONResponse({"access_token": token, "token_type": "bearer", "expires_in": 3600})

    @app.post(
        f"{BASE}/fulfillmentOrders/preview",
        dependencies=[Depends(sim.limit("getFulfillmentPreview"))],
    )
    async def preview(request: Request) -> Response:
        auth(request)
        return ok("getFulfillmentPreview", state.preview(await body_of(request)))

    @app.post(
        f"{BASE}/fulfillmentOrders", dependencies=[Depends(sim.limit("createFulfillmentOrder"))]
    )
    async def create(request: Request) -> Response:
        auth(request)
        state.create(await body_of(request))
        return ok("createFulfillmentOrder", {})

    @app.get(
        BASE + "/fulfillmentOrders/{order_id}",
        dependencies=[Depends(sim.limit("getFulfillmentOrder"))],
    )
    async def get_order(order_id: str, request: Request) -> Response:
        auth(request)
        return ok("getFulfillmentOrder", state.order_view(order_id))

    @app.put(
        BASE + "/fulfillmentOrders/{order_id}",
        dependencies=[Depends(sim.limit("updateFulfillmentOrder"))],
    )
    async def update(order_id: str, request: Request) -> Response:
        auth(request)
        state.update(order_id, await body_of(request))
        return ok("updateFulfillmentOrder", {})

    @app.put(
        BASE + "/fulfillmentOrders/{order_id}/cancel",
        dependencies=[Depends(sim.limit("cancelFulfillmentOrder"))],
    )
    async def cancel(order_id: str, request: Request) -> Response:
        auth(request)
        state.cancel(order_id)
        return ok("cancelFulfillmentOrder", {})

    @app.get(f"{BASE}/tracking", dependencies=[Depends(sim.limit("getPackageTrackingDetails"))])
    async def tracking(request: Request) -> Response:
        auth(request)
        raw = request.query_params.get("packageNumber", "")
        if not raw.lstrip("-").isdigit():
            raise SimError(400, "InvalidInput", "packageNumber is required (an integer).")
        return ok("getPackageTrackingDetails", state.tracking(int(raw)))

    @app.get(
        "/fba/inventory/v1/summaries", dependencies=[Depends(sim.limit("getInventorySummaries"))]
    )
    async def summaries(request: Request) -> Response:
        auth(request)
        query: dict[str, list[str]] = {}
        for key, value in request.query_params.multi_items():
            query.setdefault(key, []).extend(value.split(","))
        return ok("getInventorySummaries", state.summaries(query))
