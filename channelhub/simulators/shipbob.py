"""A ShipBob 2026-01 stand-in (contracts/wms/shipbob/openapi-2026-01.json).

Serves what the hub uses: create order (PAT bearer auth, ``shipbob_channel_id`` header
required), get order(s) by id or ``ReferenceIds``, cancel, shipments with tracking, tracking
by shipment ids, inventory levels, the channel list (``GET /channel``), and billing (invoices and
transactions of what it shipped, :mod:`.shipbob_billing`). Orders ship after
``stage_after`` of simulated time (``advance()``, no sleeps) with deterministic tracking
numbers from ``seed``.

Where the spec gives no wording (error texts, the duplicate ``reference_id`` refusal) the
simulator's words are its own; the shapes follow the spec's schemas.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from channelhub.simulators.base import Simulator
from channelhub.simulators.clock import SERVED_STAGE_AFTER, ManualClock, wall_clock
from channelhub.simulators.info import SimulatorInfo
from channelhub.simulators.shipbob_billing import ShipBobBilling, add_billing_routes

PREFIX = "/2026-01"
Clock = Callable[[], datetime]
SIMULATOR_INFO = SimulatorInfo(
    platform="shipbob",
    account="my-shipbob",
    credentials={"pat": "pat_sim"},  # create_app's default token
    settings={"channel_id": "101"},  # ShipBobSimulator.channel_id
    served={"clock": wall_clock, "stage_after": SERVED_STAGE_AFTER},
)


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


@dataclass
class ShipBobSimulator:
    """The state of one ShipBob account."""

    token: str
    clock: Clock
    seed: int = 0
    channel_id: int = 101
    #: what the PAT may do on its channel (``GET /channel`` shows them)
    scopes: tuple[str, ...] = (
        "orders_read",
        "orders_write",
        "fulfillments_read",
        "inventory_read",
        "channels_read",
    )
    stage_after: timedelta = timedelta(hours=2)
    inventory: dict[str, int] = field(default_factory=dict)
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    _next_id: int = 5000

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def create(self, body: dict[str, Any]) -> tuple[int, object]:
        missing = [
            k
            for k in ("reference_id", "type", "shipping_method", "recipient", "products")
            if not body.get(k)
        ]
        if missing:
            return 400, {k: [f"The {k} field is required."] for k in missing}
        dupes = [o for o in self.orders.values() if o["reference_id"] == body["reference_id"]]
        if dupes:
            return 422, {
                "errors": [
                    f"An order with reference_id {body['reference_id']} already exists "
                    f"({dupes[0]['id']})."
                ]
            }
        now = self.clock()
        order_id = self.new_id()
        products = [
            {
                "id": self.new_id(),
                "reference_id": p["reference_id"],
                "sku": p["reference_id"],
                "quantity": p["quantity"],
            }
            for p in body["products"]
        ]
        shipment = {
            "id": self.new_id(),
            "order_id": order_id,
            "reference_id": body["reference_id"],
            "status": "Processing",
            "created_date": _iso(now),
            "last_update_at": _iso(now),
            "location": {"id": 7, "name": "Cicero (IL)"},
            "products": [
                {
                    "id": p["id"],
                    "reference_id": p["reference_id"],
                    "sku": p["sku"],
                    "name": next(
                        x.get("name")
                        for x in body["products"]
                        if x["reference_id"] == p["reference_id"]
                    ),
                    "inventory_items": [
                        {
                            "id": p["id"] + 100000,
                            "quantity": p["quantity"],
                            "quantity_committed": p["quantity"],
                        }
                    ],
                }
                for p in products
            ],
            "is_tracking_uploaded": False,
        }
        order = {
            "id": order_id,
            "created_date": _iso(now),
            "purchase_date": _iso(now),
            "reference_id": body["reference_id"],
            "order_number": body.get("order_number") or body["reference_id"],
            "status": "Processing",
            "type": body["type"],
            "channel": {"id": self.channel_id, "name": "channelhub"},
            "shipping_method": body["shipping_method"],
            "recipient": body["recipient"],
            "products": products,
            "shipments": [shipment],
        }
        self.orders[order_id] = order
        return 201, order

    def cancel(self, order_id: int) -> tuple[int, object]:
        order = self.orders.get(order_id)
        if order is None:
            return 404, None
        results = []
        for shipment in order["shipments"]:
            ok = shipment["status"] in ("Processing", "None", "OnHold", "Exception")
            if ok:
                shipment["status"] = "Cancelled"
            reason = None if ok else f"Shipment is already {shipment['status']}"
            results.append(
                {
                    "action": "Cancel",
                    "is_success": ok,
                    "reason": reason,
                    "shipment_id": shipment["id"],
                }
            )
        success = all(r["is_success"] for r in results)
        if success:
            order["status"] = "Cancelled"
        status = (
            "Success"
            if success
            else ("PartialSuccess" if any(r["is_success"] for r in results) else "Failure")
        )
        return 200, {
            "order_id": order_id,
            "status": status,
            "canceled_shipment_results": results,
            "order": order,
        }

    def advance(self, by: timedelta | None = None) -> None:
        """Let time pass; ship every processing order older than ``stage_after``."""
        if by is not None:
            if not isinstance(self.clock, ManualClock):
                raise TypeError("advance(by=...) needs a ManualClock")
            self.clock.tick(by)
        now = self.clock()
        for order_id in sorted(self.orders):
            order = self.orders[order_id]
            created = datetime.fromisoformat(order["created_date"].replace("Z", "+00:00"))
            if order["status"] != "Processing" or now - created < self.stage_after:
                continue
            for shipment in order["shipments"]:
                if shipment["status"] != "Processing":
                    continue
                number = "1Z" + "".join(self._rng.choice("0123456789ABCDEF") for _ in range(16))
                shipment |= {
                    "status": "Completed",
                    "actual_fulfillment_date": _iso(now),
                    "last_update_at": _iso(now),
                    "invoice_amount": 6.85,
                    "invoice_currency_code": "USD",
                    "measurements": {
                        "total_weight_oz": 18,
                        "depth_in": 4,
                        "length_in": 10,
                        "width_in": 8,
                    },
                    "tracking": {
                        "carrier": "UPS",
                        "carrier_service": "Ground",
                        "tracking_number": number,
                        "tracking_url": f"https://www.ups.com/track?tracknum={number}",
                        "shipping_date": _iso(now),
                    },
                }
                for item in shipment["products"]:
                    units = item["inventory_items"][0]["quantity"]
                    self.inventory[item["sku"]] = self.inventory.get(item["sku"], 0) - units
            order["status"] = "Fulfilled"

    def shipment(self, shipment_id: int) -> dict[str, Any] | None:
        for order in self.orders.values():
            for shipment in order["shipments"]:
                if shipment["id"] == shipment_id:
                    return dict(shipment)
        return None

    def tracking(self, shipment_id: int) -> dict[str, Any] | None:
        shipment = self.shipment(shipment_id)
        if shipment is None or not shipment.get("tracking"):
            return None
        t = shipment["tracking"]
        return {
            "shipment_id": shipment_id,
            "carrier": t["carrier"],
            "carrier_tracking_number": t["tracking_number"],
            "tracking_id": t["tracking_number"],
            "service": t["carrier_service"],
            "status": "InTransit",
            "substatus": "DepartedFacility",
            "message": "Package has left the carrier facility",
            "last_updated": t["shipping_date"],
            "history": [
                {
                    "status": "PreTransit",
                    "message": "Label created",
                    "location": "Cicero, IL",
                    "timestamp": t["shipping_date"],
                },
                {
                    "status": "InTransit",
                    "substatus": "DepartedFacility",
                    "message": "Package has left the carrier facility",
                    "location": "Chicago, IL",
                    "timestamp": t["shipping_date"],
                },
            ],
        }

    def inventory_page(self, page_size: int, cursor: int) -> dict[str, Any]:
        skus = sorted(self.inventory)
        chunk = skus[cursor : cursor + page_size]
        items = [
            {
                "inventory_id": 900 + skus.index(sku),
                "sku": sku,
                "name": sku,
                "total_on_hand_quantity": self.inventory[sku],
                "total_fulfillable_quantity": max(self.inventory[sku] - self._committed(sku), 0),
                "total_committed_quantity": self._committed(sku),
                "total_sellable_quantity": max(self.inventory[sku] - self._committed(sku), 0),
                "total_awaiting_quantity": 0,
                "total_backordered_quantity": 0,
                "total_exception_quantity": 0,
                "total_internal_transfer_quantity": 0,
            }
            for sku in chunk
        ]
        page: dict[str, Any] = {
            "items": items,
            "first": f"{PREFIX}/inventory-level?PageSize={page_size}",
        }
        if cursor + page_size < len(skus):
            page["next"] = (
                f"{PREFIX}/inventory-level?PageSize={page_size}&Cursor={cursor + page_size}"
            )
        return page

    def _committed(self, sku: str) -> int:
        return sum(
            p["quantity"]
            for o in self.orders.values()
            if o["status"] == "Processing"
            for p in o["products"]
            if p["sku"] == sku
        )


def create_app(
    *,
    seed: int = 0,
    token: str = "pat_sim",
    clock: Clock | None = None,
    inventory: dict[str, int] | None = None,
    app: FastAPI | None = None,
    **options: Any,
) -> FastAPI:
    """The ShipBob stand-in; ``app.state.shipbob`` is the simulator."""
    sim = ShipBobSimulator(
        token=token,
        clock=clock or ManualClock(),
        seed=seed,
        inventory=dict(
            inventory if inventory is not None else {"MUG-RED": 120, "MUG-BLUE": 40, "TEE-M": 15}
        ),
        **options,
    )
    app = app or FastAPI(title="ShipBob 2026-01 simulator", openapi_url=None, docs_url=None)
    app.state.shipbob = sim
    app.state.billing = ShipBobBilling(orders=lambda: list(sim.orders.values()), clock=sim.clock)
    add_billing_routes(app, app.state.billing)

    @app.middleware("http")
    async def pat_auth(request: Request, call_next: Any) -> Response:
        control = request.url.path.startswith("/_sim")
        if not control and request.headers.get("authorization") != f"Bearer {sim.token}":
            return Response(status_code=401)
        response: Response = await call_next(request)
        return response

    def reply(status: int, body: object) -> Response:
        return (
            Response(status_code=status)
            if body is None
            else JSONResponse(status_code=status, content=body)
        )

    @app.post(f"{PREFIX}/order")
    async def create_order(request: Request) -> Response:
        channel = request.headers.get("shipbob_channel_id")
        if not channel:
            return reply(
                400, {"shipbob_channel_id": ["The shipbob_channel_id header is required."]}
            )
        if channel != str(sim.channel_id):
            return reply(403, None)
        return reply(*sim.create(await request.json()))

    @app.get(f"{PREFIX}/order")
    async def list_orders(request: Request) -> Response:
        refs = request.query_params.get("ReferenceIds")
        wanted = set(refs.split(",")) if refs else None
        found = [
            o
            for _, o in sorted(sim.orders.items())
            if wanted is None or o["reference_id"] in wanted
        ]
        return reply(200, found)

    @app.get(PREFIX + "/order/{order_id}")
    async def get_order(order_id: int) -> Response:
        order = sim.orders.get(order_id)
        return reply(200, order) if order else reply(404, None)

    @app.post(PREFIX + "/order/{order_id}:cancel")
    async def cancel_order(order_id: int) -> Response:
        return reply(*sim.cancel(order_id))

    @app.get(PREFIX + "/order/{order_id}/shipment")
    async def order_shipments(order_id: int) -> Response:
        order = sim.orders.get(order_id)
        return reply(200, order["shipments"]) if order else reply(404, None)

    @app.get(f"{PREFIX}/shipments-tracking")
    async def shipments_tracking(ShipmentIds: str = "") -> Response:
        ids = [int(x) for x in ShipmentIds.split(",") if x.strip().isdigit()]
        if not 1 <= len(ids) <= 25:
            return reply(400, "ShipmentIds takes between 1 and 25 shipment ids")
        found = [t for t in (sim.tracking(i) for i in ids) if t]
        return reply(200, found)

    @app.get(f"{PREFIX}/channel")
    async def channels(RecordsPerPage: int = 50) -> Response:
        item = {
            "id": sim.channel_id,
            "name": "channelhub",
            "application_name": "SMA",
            "scopes": list(sim.scopes),
        }
        return reply(200, {"items": [item][: max(RecordsPerPage, 1)], "next": None, "prev": None})

    @app.get(f"{PREFIX}/inventory-level")
    async def inventory_levels(PageSize: int = 50, Cursor: int = 0) -> Response:
        return reply(200, sim.inventory_page(max(1, min(PageSize, 250)), max(Cursor, 0)))

    return app


def create_simulator(*, seed: int = 0, in_process: bool = True, **options: Any) -> Simulator:
    """The same routes on the SDK's :class:`Simulator` (journal, switchable 5xx / latency /
    timeout faults, ``/_sim`` control API); the state is ``sim.app.state.shipbob``."""
    sim = Simulator(platform="shipbob", seed=seed, in_process=in_process)
    create_app(seed=seed, app=sim.app, **options)
    return sim
