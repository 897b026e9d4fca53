"""An EasyPost stand-in for trackers and their webhooks (contracts/carriers/easypost).

EasyPost publishes example responses, not a spec: objects here are shaped like those
examples. ``/v2/trackers`` create, retrieve and list, with HTTP Basic auth (API key as the
user name). Test tracking codes behave like EasyPost's documented ones (``EZ1000000001``
pre_transit ... ``EZ4000000004`` delivered, ``EZ7000000007`` unknown); any other code walks
pre_transit -> in_transit -> out_for_delivery -> delivered as simulated time passes.
``advance()`` sends a ``tracker.updated`` Event, signed ``X-Hmac-Signature:
hmac-sha256-hex=...``, for each tracker that changed, through an injected ``deliver``.
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from channelhub.mappings.easypost import SIGNATURE_HEADER, webhook_signature
from channelhub.simulators.base import Simulator
from channelhub.simulators.clock import ManualClock, wall_clock
from channelhub.simulators.info import SimulatorInfo

Clock = Callable[[], datetime]
SIMULATOR_INFO = SimulatorInfo(
    platform="easypost",
    account="my-easypost",
    # create_app's defaults; the webhook secret signs the tracker events it sends
    credentials={"api_key": "EZTK_sim", "webhook_secret": "easypost-webhook-secret"},
    served={"clock": wall_clock},
)
Deliver = Callable[[str, dict[str, str], bytes], Awaitable[int]]

TEST_CODES: dict[str, str] = {
    "EZ1000000001": "pre_transit",
    "EZ2000000002": "in_transit",
    "EZ3000000003": "out_for_delivery",
    "EZ4000000004": "delivered",
    "EZ5000000005": "return_to_sender",
    "EZ6000000006": "failure",
    "EZ7000000007": "unknown",
}
#: (after creation, status, status_detail, message, city, state)
JOURNEY: tuple[tuple[timedelta, str, str, str, str | None, str | None], ...] = (
    (timedelta(0), "pre_transit", "label_created", "Shipping Label Created", "HOUSTON", "TX"),
    (
        timedelta(hours=8),
        "in_transit",
        "arrived_at_facility",
        "Arrived at USPS Facility",
        "HOUSTON",
        "TX",
    ),
    (
        timedelta(days=2),
        "out_for_delivery",
        "out_for_delivery",
        "Out for Delivery",
        "CHARLESTON",
        "SC",
    ),
    (
        timedelta(days=2, hours=6),
        "delivered",
        "arrived_at_destination",
        "Delivered",
        "CHARLESTON",
        "SC",
    ),
)


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


@dataclass
class EasyPostSimulator:
    api_key: str
    clock: Clock
    seed: int = 0
    webhook_url: str | None = None
    webhook_secret: str = "easypost-webhook-secret"
    deliver: Deliver | None = None
    trackers: dict[str, dict[str, Any]] = field(default_factory=dict)
    _last_sent: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def _hex(self) -> str:
        return "".join(self._rng.choice("0123456789abcdef") for _ in range(32))

    def create(self, tracking_code: str, carrier: str | None) -> dict[str, Any]:
        for tracker in self.trackers.values():
            if tracker["tracking_code"] == tracking_code:
                return self.render(tracker["id"])  # EasyPost returns the existing tracker
        tracker_id = f"trk_{self._hex()}"
        self.trackers[tracker_id] = {
            "id": tracker_id,
            "tracking_code": tracking_code,
            "carrier": (carrier or "USPS").upper(),
            "created": self.clock(),
        }
        return self.render(tracker_id)

    def _details(self, tracker: dict[str, Any]) -> list[dict[str, Any]]:
        created: datetime = tracker["created"]
        fixed = TEST_CODES.get(tracker["tracking_code"])
        steps = [s for s in JOURNEY if created + s[0] <= self.clock()]
        if fixed is not None:
            steps = [(timedelta(0), fixed, "status_update", f"Test tracker: {fixed}", None, None)]
        return [
            {
                "object": "TrackingDetail",
                "message": message,
                "description": "",
                "status": status,
                "status_detail": detail,
                "datetime": _iso(created + after),
                "source": tracker["carrier"],
                "carrier_code": "",
                "tracking_location": {
                    "object": "TrackingLocation",
                    "city": city,
                    "state": state,
                    "country": None,
                    "zip": None,
                },
                "est_delivery_date": None,
            }
            for after, status, detail, message, city, state in steps
        ]

    def render(self, tracker_id: str) -> dict[str, Any]:
        tracker = self.trackers[tracker_id]
        details = self._details(tracker)
        last = (
            details[-1]
            if details
            else {
                "status": "unknown",
                "status_detail": "unknown",
                "datetime": _iso(tracker["created"]),
            }
        )
        return {
            "id": tracker_id,
            "object": "Tracker",
            "mode": "test",
            "tracking_code": tracker["tracking_code"],
            "status": last["status"],
            "status_detail": last["status_detail"],
            "created_at": _iso(tracker["created"]),
            "updated_at": last["datetime"],
            "signed_by": None,
            "weight": None,
            "est_delivery_date": None,
            "shipment_id": None,
            "carrier": tracker["carrier"],
            "tracking_details": details,
            "fees": [],
            "carrier_detail": None,
            "public_url": f"https://track.easypost.com/{tracker_id}",
        }

    async def advance(self, by: timedelta | None = None) -> list[int]:
        """Let time pass; send ``tracker.updated`` for every tracker whose status changed."""
        if by is not None:
            if not isinstance(self.clock, ManualClock):
                raise TypeError("advance(by=...) needs a ManualClock")
            self.clock.tick(by)
        statuses: list[int] = []
        for tracker_id in sorted(self.trackers):
            rendered = self.render(tracker_id)
            if (
                self._last_sent.get(tracker_id) == rendered["status"]
                or not self.webhook_url
                or not self.deliver
            ):
                continue
            event = {
                "object": "Event",
                "id": f"evt_{self._hex()}",
                "mode": "test",
                "description": "tracker.updated",
                "status": "pending",
                "created_at": _iso(self.clock()),
                "updated_at": _iso(self.clock()),
                "previous_attributes": {"status": self._last_sent.get(tracker_id)},
                "pending_urls": [self.webhook_url],
                "completed_urls": [],
                "result": rendered,
            }
            body = json.dumps(event, separators=(",", ":")).encode()
            headers = {
                "Content-Type": "application/json",
                SIGNATURE_HEADER: webhook_signature(self.webhook_secret, body),
            }
            status = await self.deliver(self.webhook_url, headers, body)
            statuses.append(status)
            if 200 <= status < 300:
                self._last_sent[tracker_id] = rendered["status"]
        return statuses


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(
        status_code=status, content={"error": {"code": code, "message": message, "errors": []}}
    )


def create_app(
    *,
    seed: int = 0,
    api_key: str = "EZTK_sim",
    clock: Clock | None = None,
    webhook_url: str | None = None,
    webhook_secret: str = "easypost-webhook-secret",
    deliver: Deliver | None = None,
    app: FastAPI | None = None,
) -> FastAPI:
    """The EasyPost stand-in; ``app.state.easypost`` is the simulator."""
    sim = EasyPostSimulator(
        api_key, clock or ManualClock(), seed, webhook_url, webhook_secret, deliver
    )
    app = app or FastAPI(title="EasyPost simulator", openapi_url=None, docs_url=None)
    app.state.easypost = sim

    def authorised(request: Request) -> bool:
        expected = base64.b64encode(f"{sim.api_key}:".encode()).decode()
        return request.headers.get("authorization") == f"Basic {expected}"

    @app.post("/v2/trackers")
    async def create_tracker(request: Request) -> JSONResponse:
        if not authorised(request):
            return _error(401, "APIKEY.INVALID", "The API key provided is invalid.")
        body = await request.json()
        tracker = body.get("tracker") if isinstance(body, dict) else None
        if not isinstance(tracker, dict) or not isinstance(tracker.get("tracking_code"), str):
            return _error(422, "TRACKER.TRACKING_CODE.INVALID", "tracker.tracking_code is required")
        created = sim.create(tracker["tracking_code"], tracker.get("carrier"))
        return JSONResponse(status_code=201, content=created)

    @app.get("/v2/trackers/{tracker_id}")
    async def get_tracker(tracker_id: str, request: Request) -> JSONResponse:
        if not authorised(request):
            return _error(401, "APIKEY.INVALID", "The API key provided is invalid.")
        if tracker_id not in sim.trackers:
            return _error(404, "NOT_FOUND", "The requested resource could not be found.")
        return JSONResponse(sim.render(tracker_id))

    @app.get("/v2/trackers")
    async def list_trackers(request: Request) -> JSONResponse:
        if not authorised(request):
            return _error(401, "APIKEY.INVALID", "The API key provided is invalid.")
        trackers = [sim.render(t) for t in sorted(sim.trackers)]
        return JSONResponse({"trackers": trackers, "has_more": False})

    return app


def create_simulator(*, seed: int = 0, in_process: bool = True, **options: Any) -> Simulator:
    """The same routes on the SDK's :class:`Simulator` (journal, switchable 5xx / latency /
    timeout faults, ``/_sim`` control API); the state is ``sim.app.state.easypost``."""
    sim = Simulator(platform="easypost", seed=seed, in_process=in_process)
    create_app(seed=seed, app=sim.app, **options)
    return sim
