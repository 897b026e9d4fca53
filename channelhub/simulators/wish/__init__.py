"""Wish Merchant API v3 simulator (CONTRACT UNVERIFIED: shaped on a third-party SDK's classes).

Refresh-token OAuth (``GET /api/v3/oauth/refresh_token``), Bearer tokens, the
``{"code", "message", "data"}`` envelope, orders filtered by ``states`` and an
``updated_at_min``/``updated_at_max`` window sorted by ``updated_at`` (the connector's keyset
paging), ShipOrder (``PUT /api/v3/orders/{id}/tracking`` with query parameters; an order
ships once), products by ``created_at_min``, getProduct with variations and updateProduct
setting variation inventories per warehouse. What real Wish does beyond the SDK's names is
guessed alike in the connector and here: the simulator proves the connector consistent with
the guesses, not with Wish.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse, Response

from channelhub.simulators.base import Simulator
from channelhub.simulators.info import SimulatorInfo
from channelhub.simulators.seeded import SeededData
from channelhub.simulators.throttle import SimLimit

DEFAULT_CLIENT_ID = "sim-wish-client"
DEFAULT_CLIENT_SECRET = "sim-wish-secret"
DEFAULT_REFRESH_TOKEN = "sim-wish-refresh"
WAREHOUSE_ID = "SIMWH00000001"
SIMULATOR_INFO = SimulatorInfo(
    platform="wish",
    account="my-wish",
    credentials={
        "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET,
        "refresh_token": DEFAULT_REFRESH_TOKEN,
    },
    settings={"warehouse_id": WAREHOUSE_ID},
)
LIMITS = {"token": SimLimit(rate=2, burst=10), "api": SimLimit(rate=20, burst=60)}


def wish_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def envelope(data: Any, status: int = 200, code: int = 0, message: str = "") -> JSONResponse:
    return JSONResponse({"code": code, "message": message, "data": data}, status_code=status)


def wish_throttled(request: Request, operation: str, retry_after: float) -> Response:
    response = envelope(None, 429, 1029, f"rate limited: {operation}")
    response.headers["Retry-After"] = str(max(1, round(retry_after)))
    return response


def wish_error(status: int) -> Response:
    return envelope(None, status, 9999, "injected fault")


@dataclass
class WishShop:
    products: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> with variations
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)


def build_shop(seed: int, *, order_count: int, anchor: datetime) -> WishShop:
    data = SeededData(seed)
    shop = WishShop()
    catalog = data.fork("catalog")
    for index in range(6):
        pid = catalog.identifier("5f", 22)
        created = anchor - timedelta(days=60, hours=index)
        variations = []
        for v in range(2):
            variations.append(
                {
                    "id": catalog.identifier("6a", 22),
                    "product_id": pid,
                    "sku": f"WI-{index:02d}-{v}",
                    "status": "ENABLED",
                    "price": {"amount": float(catalog.amount("3", "40")), "currency_code": "USD"},
                    "inventories": [
                        {"warehouse_id": WAREHOUSE_ID, "inventory": catalog.integer(0, 50)}
                    ],
                }
            )
        shop.products[pid] = {
            "id": pid,
            "name": f"Sim Wish product {index}",
            "parent_sku": f"WI-{index:02d}",
            "status": "ENABLED",
            "created_at": wish_time(created),
            "updated_at": wish_time(created),
            "variations": variations,
        }
    stream = data.fork("orders")
    all_variations = [v for p in shop.products.values() for v in p["variations"]]
    for _ in range(order_count):
        variation = stream.choice(all_variations)
        product = shop.products[variation["product_id"]]
        released = stream.instant(anchor - timedelta(days=15), anchor - timedelta(hours=1))
        quantity = stream.integer(1, 3)
        price = variation["price"]["amount"]
        address = stream.address(stream.choice(("US", "DE", "FR")))
        oid = stream.identifier("64", 22)
        shop.orders[oid] = {
            "id": oid,
            "state": "APPROVED",
            "released_at": wish_time(released),
            "updated_at": wish_time(released),
            "product_information": {
                "id": product["id"],
                "variation_id": variation["id"],
                "sku": variation["sku"],
                "name": product["name"],
            },
            "order_payment": {
                "general_payment_details": {
                    "product_quantity": quantity,
                    "product_price": {"amount": price, "currency_code": "USD"},
                    "product_shipping_price": {"amount": 2.5, "currency_code": "USD"},
                    "payment_total": {
                        "amount": round(price * quantity + 2.5, 2),
                        "currency_code": "USD",
                    },
                }
            },
            "full_address": {
                "shipping_detail": {
                    "name": address["name"],
                    "street_address1": address["line1"],
                    "city": address["city"],
                    "state": address["region"],
                    "zipcode": address["postal_code"],
                    "country_code": address["country"],
                    "phone_number": {"number": address["phone"], "country_code": "1"},
                }
            },
            "tracking_information": [],
        }
    return shop


def create_simulator(
    *,
    seed: int = 0,
    in_process: bool = True,
    order_count: int = 40,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    **options: Any,
) -> Simulator:
    """A Wish merchant with ``order_count`` APPROVED (unfulfilled) orders before ``now()``."""
    sim = Simulator(
        platform="wish",
        seed=seed,
        limits=LIMITS,
        throttled=wish_throttled,
        error_response=wish_error,
        caller_key=lambda request: request.headers.get("authorization", "-"),
        in_process=in_process,
        **options,
    )
    shop = build_shop(seed, order_count=order_count, anchor=now())
    _install(sim, shop, now)
    sim.shop = shop  # type: ignore[attr-defined]
    return sim


create_app = create_simulator


class _Refused(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def _install(sim: Simulator, shop: WishShop, now: Callable[[], datetime]) -> None:
    app = sim.app
    tokens: set[str] = set()

    async def refused(request: Request, exc: _Refused) -> Response:
        return exc.response

    app.add_exception_handler(_Refused, refused)  # type: ignore[arg-type]

    def bearer(request: Request) -> None:
        header = request.headers.get("authorization", "")
        if header.removeprefix("Bearer ") not in tokens:
            raise _Refused(envelope(None, 401, 1016, "access token is invalid or expired"))

    api = [Depends(sim.limit("api")), Depends(bearer)]

    @app.get("/api/v3/oauth/refresh_token", dependencies=[Depends(sim.limit("token"))])
    async def refresh(
        client_id: str = "", client_secret: str = "", refresh_token: str = "", grant_type: str = ""
    ) -> Response:
        if (client_id, client_secret) != (DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET):
            return envelope(None, 401, 4000, "invalid client")
        if refresh_token != DEFAULT_REFRESH_TOKEN or grant_type != "refresh_token":
            return envelope(None, 400, 4001, "invalid refresh token")
        access = f"sim-wish-{secrets.token_hex(10)}"
        tokens.add(access)
        expiry = wish_time(now() + timedelta(days=30))
        return envelope(
            {
                "access_token": access,
                "expiry_time": expiry,
                "refresh_token": refresh_token,
                "merchant_id": "sim-merchant",
                "scopes": ["orders:read", "orders:write", "products:read", "products:write"],
            }
        )

    @app.get("/api/v3/orders", dependencies=api)
    async def list_orders(
        states: str = "",
        updated_at_min: str = "",
        updated_at_max: str = "",
        limit: int = 50,
        sort_by: str = "updated_at.asc",
    ) -> Response:
        if not 1 <= limit <= 100 or sort_by != "updated_at.asc":
            return envelope(None, 400, 1000, "limit is 1..100 and sort_by updated_at.asc")
        wanted = set(states.split(",")) if states else None
        found = sorted(
            (
                o
                for o in shop.orders.values()
                if (wanted is None or o["state"] in wanted)
                and (not updated_at_min or o["updated_at"] >= updated_at_min)
                and (not updated_at_max or o["updated_at"] <= updated_at_max)
            ),
            key=lambda o: (o["updated_at"], o["id"]),
        )
        return envelope(found[:limit])

    @app.get("/api/v3/orders/{oid}", dependencies=api)
    async def get_order(oid: str) -> Response:
        order = shop.orders.get(oid)
        return envelope(order) if order else envelope(None, 404, 1004, "order not found")

    @app.put("/api/v3/orders/{oid}/tracking", dependencies=api)
    async def ship(
        oid: str, tracking_number: str = "", shipping_provider: str = "", origin_country: str = ""
    ) -> Response:
        order = shop.orders.get(oid)
        if order is None:
            return envelope(None, 404, 1004, "order not found")
        if not tracking_number or not shipping_provider or not origin_country:
            return envelope(None, 400, 1000, "tracking_number, shipping_provider, origin_country")
        if order["state"] != "APPROVED":
            return envelope(None, 400, 1008, f"order is {order['state']}, not shippable")
        order["state"] = "SHIPPED"
        order["tracking_information"] = [
            {
                "tracking_number": tracking_number,
                "shipping_provider": {"name": shipping_provider},
                "origin_country": origin_country,
            }
        ]
        order["updated_at"] = wish_time(now())
        return envelope(order)

    @app.get("/api/v3/products", dependencies=api)
    async def list_products(
        limit: int = 50, created_at_min: str = "", sort_by: str = "created_at.asc"
    ) -> Response:
        found = sorted(
            (p for p in shop.products.values() if p["created_at"] >= created_at_min),
            key=lambda p: (p["created_at"], p["id"]),
        )
        return envelope([{k: v for k, v in p.items() if k != "variations"} for p in found[:limit]])

    @app.get("/api/v3/products/{pid}", dependencies=api)
    async def get_product(pid: str) -> Response:
        product = shop.products.get(pid)
        return envelope(product) if product else envelope(None, 404, 1004, "product not found")

    @app.put("/api/v3/products/{pid}", dependencies=api)
    async def update_product(pid: str, request: Request) -> Response:
        product = shop.products.get(pid)
        if product is None:
            return envelope(None, 404, 1004, "product not found")
        body = await request.json()
        by_id = {v["id"]: v for v in product["variations"]}
        rows = body.get("variations") if isinstance(body, dict) else None
        if not isinstance(rows, list) or any(r.get("id") not in by_id for r in rows):
            return envelope(None, 400, 1000, "unknown variation")
        for row in rows:
            by_id[row["id"]]["inventories"] = row["inventories"]
        product["updated_at"] = wish_time(now())
        return envelope(product)
