"""A UPS stand-in: OAuth client credentials (OAuthClientCredentials.yaml) + Track API
(Tracking.yaml), from contracts/carriers/ups.

- ``POST /security/v1/oauth/token``: HTTP Basic client id/secret, form ``grant_type=
  client_credentials``; answers ``tokenSuccessResponse`` (UPS sends numbers as strings).
- ``GET /api/track/v1/details/{inquiryNumber}``: bearer token (expired tokens are refused
  by the injected clock), required ``transId`` and ``transactionSrc`` headers; answers a
  ``TrackApiResponse`` whose activities appear as simulated time passes, newest first.
Packages are registered with :meth:`UpsSimulator.add_package` (tests, the warehouse
simulator's tracking numbers). Error bodies follow the spec's ``Response`` schema.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from channelhub.simulators.base import Simulator
from channelhub.simulators.clock import ManualClock, wall_clock
from channelhub.simulators.info import SimulatorInfo

Clock = Callable[[], datetime]
SIMULATOR_INFO = SimulatorInfo(
    platform="ups",
    account="my-ups",
    credentials={"client_id": "ups-client", "client_secret": "ups-secret"},  # create_app's
    served={"clock": wall_clock},
)

#: (after shipping, type, statusCode, description, city, state) — a parcel's journey.
JOURNEY: tuple[tuple[timedelta, str, str, str, str, str], ...] = (
    (
        timedelta(0),
        "M",
        "003",
        "Shipper created a label, UPS has not received the package yet.",
        "",
        "",
    ),
    (timedelta(hours=6), "P", "038", "Pickup Scan", "Cicero", "IL"),
    (timedelta(hours=20), "I", "005", "Arrived at Facility", "Hodgkins", "IL"),
    (
        timedelta(hours=20, minutes=1),
        "I",
        "005",
        "Arrived at Facility",
        "Hodgkins",
        "IL",
    ),  # re-scan
    (timedelta(days=1, hours=8), "I", "005", "Departed from Facility", "Hodgkins", "IL"),
    (timedelta(days=2, hours=2), "O", "072", "Out For Delivery Today", "Wayne", "NJ"),
    (timedelta(days=2, hours=9), "D", "011", "Delivered", "Wayne", "NJ"),
)


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(
        status_code=status, content={"response": {"errors": [{"code": code, "message": message}]}}
    )


@dataclass
class UpsSimulator:
    client_id: str
    client_secret: str
    clock: Clock
    token_ttl: timedelta = timedelta(hours=4)
    packages: dict[str, datetime] = field(default_factory=dict)  # number -> shipped at
    tokens: dict[str, datetime] = field(default_factory=dict)  # token -> expires at
    token_requests: int = 0

    def add_package(self, tracking_number: str, shipped_at: datetime | None = None) -> None:
        """Make a tracking number known; its scans unfold from ``shipped_at`` (default now)."""
        self.packages[tracking_number] = shipped_at or self.clock()

    def issue_token(self) -> dict[str, str]:
        self.token_requests += 1
        now = self.clock()
        raw = f"{self.client_id}:{self.token_requests}:{now.isoformat()}".encode()
        token = hashlib.sha256(raw).hexdigest()
        self.tokens[token] = now + self.token_ttl
        return {
            "token_type": "Bearer",
            "issued_at": str(int(now.timestamp() * 1000)),
            "client_id": self.client_id,
            "access_token": token,
            "expires_in": str(int(self.token_ttl.total_seconds()) - 1),
            "refresh_count": "0",
            "status": "approved",
        }

    def token_valid(self, header: str | None) -> bool:
        token = (header or "").removeprefix("Bearer ").strip()
        expires = self.tokens.get(token)
        return expires is not None and self.clock() < expires

    def activities(self, number: str) -> list[dict[str, object]]:
        """The scans so far, newest first (as the spec says UPS returns them)."""
        shipped = self.packages[number]
        now = self.clock()
        found: list[dict[str, object]] = []
        for after, kind, code, text, city, state in JOURNEY:
            at = shipped + after
            if at > now:
                break
            address = {"city": city, "stateProvince": state, "countryCode": "US", "country": "US"}
            found.append(
                {
                    "location": {
                        "address": address if city else {"countryCode": "US", "country": "US"}
                    },
                    "status": {"type": kind, "statusCode": code, "description": text, "code": code},
                    "date": at.strftime("%Y%m%d"),
                    "time": at.strftime("%H%M%S"),
                    "gmtDate": at.strftime("%Y%m%d"),
                    "gmtTime": at.strftime("%H%M%S"),
                    "gmtOffset": "+00:00",
                }
            )
        return list(reversed(found))

    def track(self, number: str) -> dict[str, object]:
        activity = self.activities(number)
        package: dict[str, object] = {
            "trackingNumber": number,
            "activity": activity,
            "currentStatus": activity[0]["status"] if activity else {},
            "packageCount": 1,
            "service": {"code": "003", "description": "UPS Ground"},
        }
        return {"trackResponse": {"shipment": [{"inquiryNumber": number, "package": [package]}]}}


def create_app(
    *,
    seed: int = 0,
    client_id: str = "ups-client",
    client_secret: str = "ups-secret",
    clock: Clock | None = None,
    packages: dict[str, datetime] | None = None,
    app: FastAPI | None = None,
) -> FastAPI:
    """The UPS stand-in; ``app.state.ups`` is the simulator. ``seed`` is accepted for the
    simulator convention; the journey is fixed so tests can name its steps."""
    sim = UpsSimulator(
        client_id, client_secret, clock or ManualClock(), packages=dict(packages or {})
    )
    app = app or FastAPI(title="UPS simulator", openapi_url=None, docs_url=None)
    app.state.ups = sim

    @app.post("/security/v1/oauth/token")
    async def token(request: Request) -> JSONResponse:
        expected = base64.b64encode(f"{sim.client_id}:{sim.client_secret}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return _error(401, "10401", "ClientId is Invalid")
        form = parse_qs((await request.body()).decode())  # no python-multipart needed
        if form.get("grant_type") != ["client_credentials"]:
            return _error(400, "10400", "Invalid/Missing grant_type")
        return JSONResponse(sim.issue_token())

    @app.get("/api/track/v1/details/{inquiry_number}")
    async def track(inquiry_number: str, request: Request) -> JSONResponse:
        if not sim.token_valid(request.headers.get("authorization")):
            return _error(401, "250002", "Invalid Authentication Information.")
        if not request.headers.get("transId") or not request.headers.get("transactionSrc"):
            return _error(400, "TV0001", "Missing transId or transactionSrc header")
        if not 7 <= len(inquiry_number) <= 34:
            return _error(400, "TV0002", "Invalid inquiry number")
        if inquiry_number not in sim.packages:
            return _error(404, "TW0001", "Tracking Information Not Found")
        return JSONResponse(sim.track(inquiry_number))

    return app


def create_simulator(*, seed: int = 0, in_process: bool = True, **options: Any) -> Simulator:
    """The same routes on the SDK's :class:`Simulator` (journal, switchable 5xx / latency /
    timeout faults, ``/_sim`` control API); the state is ``sim.app.state.ups``."""
    sim = Simulator(platform="ups", seed=seed, in_process=in_process)
    create_app(seed=seed, app=sim.app, **options)
    return sim
