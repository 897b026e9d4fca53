"""A tiny carrier (quotes, labels, tracking) to prove the carrier checks on: the built-in
carriers only track so far. ``dedupe=False`` makes a carrier that sells a second label for a
repeated reference, which the label check must catch."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from channelhub.connectors.http.ratelimit import RateLimit
from channelhub.connectors.plugin import ConnectorContext, ConnectorPlugin, http_client_for
from channelhub.connectors.results import Label, LabelRequest, Parcel, RateQuote, RateRequest
from channelhub.connectors.roles import Capability, Role
from channelhub.core.errors import InvalidInput
from channelhub.core.fulfilment import TrackingEvent, TrackingStatus
from channelhub.core.money import Money
from channelhub.core.parties import Address
from channelhub.simulators.base import Simulator
from channelhub.testing import CarrierHarness, FakeTime, LossyTransport, Rig

SERVED = {"US", "CA"}
CODES = {"PU": TrackingStatus.INFO_RECEIVED, "IT": TrackingStatus.IN_TRANSIT}


@dataclass
class StubState:
    dedupe: bool = True
    labels: list[dict[str, Any]] = field(default_factory=list)


def create_simulator(*, seed: int, now: Any, dedupe: bool = True) -> Simulator:
    sim = Simulator(platform="stubcarrier", seed=seed)
    state = StubState(dedupe)
    sim.state = state  # type: ignore[attr-defined]

    @sim.app.post("/rates")
    async def rates(request: Request) -> JSONResponse:
        body = await request.json()
        if body["to"] not in SERVED:
            return JSONResponse({"error": f"no service to {body['to']}"}, status_code=422)
        grams = body["grams"]
        return JSONResponse(
            {"rates": [{"service": "ground", "price": f"{4 + grams / 1000:.2f}", "days": 4}]}
        )

    @sim.app.post("/labels")
    async def labels(request: Request) -> JSONResponse:
        body = await request.json()
        found = [lb for lb in state.labels if lb["reference"] == body["reference"]]
        if found and state.dedupe:
            return JSONResponse(found[0])
        label = {"reference": body["reference"], "number": f"STUB{len(state.labels):06d}"}
        state.labels.append(label)
        return JSONResponse(label, status_code=201)

    @sim.app.get("/track/{number}")
    async def track(number: str) -> JSONResponse:
        at = now() - timedelta(days=1)
        scans = [
            {"code": c, "at": (at + timedelta(hours=i)).isoformat()} for i, c in enumerate(CODES)
        ]
        return JSONResponse({"scans": scans if number.startswith("STUB") else []})

    return sim


class StubCarrier:
    platform = "stubcarrier"
    capabilities = frozenset({Capability.RATE_QUOTE, Capability.CREATE_LABEL, Capability.TRACK})

    def __init__(self, context: ConnectorContext) -> None:
        self.account = context.account
        self._http = http_client_for(
            context,
            default_base_url="http://stub",
            limits={},
            default_limit=RateLimit(rate=10, burst=20),
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def quote(self, request: RateRequest) -> list[RateQuote]:
        grams = sum(p.weight_grams for p in request.parcels)
        body = {"to": request.ship_to.country, "grams": grams}
        response = await self._http.request(
            "rates", "POST", "/rates", json=body, expected={200, 422}, idempotent=True
        )
        if response.status == 422:
            raise InvalidInput.field("ship_to.country", request.ship_to.country, "is not served")
        return [
            RateQuote("stub", r["service"], Money.of(r["price"], "USD"), r["days"])
            for r in response.json()["rates"]
        ]

    async def create_label(self, request: LabelRequest) -> Label:
        body = {"reference": request.reference, "service": request.service}
        response = await self._http.request(
            "labels",
            "POST",
            "/labels",
            json=body,
            idempotent=True,  # deduped on reference
        )
        number = response.json()["number"]
        return Label("stub", request.service, number, "ZPL", f"^XA{number}^XZ".encode())

    async def track(self, tracking_number: str) -> list[TrackingEvent]:
        if not tracking_number:
            raise InvalidInput.field("tracking_number", tracking_number, "is empty")
        response = await self._http.request("track", "GET", f"/track/{tracking_number}")
        return [
            TrackingEvent(
                tracking_number=tracking_number,
                carrier="stub",
                status=CODES[s["code"]],
                raw_code=s["code"],
                occurred_at=datetime.fromisoformat(s["at"]),
            )
            for s in response.json()["scans"]
        ]


PLUGIN = ConnectorPlugin(
    platform="stubcarrier",
    roles=frozenset({Role.CARRIER}),
    create=StubCarrier,
    capabilities=StubCarrier.capabilities,
)
HOME = Address(name="Shop", line1="1 Dock Rd", city="Austin", postal_code="78701", country="US")


class StubCarrierHarness(CarrierHarness):
    plugin = PLUGIN
    label_path = "/labels"
    dedupe = True

    def rig(self, *, seed: int) -> Rig:
        time = FakeTime()
        sim = create_simulator(seed=seed, now=time.now, dedupe=self.dedupe)
        transport = LossyTransport.to(sim)

        def connect() -> StubCarrier:
            context = ConnectorContext(
                platform="stubcarrier",
                account="main",
                transport=transport,
                clock=time.monotonic,
                sleep=time.sleep,
                now=time.now,
            )
            return StubCarrier(context)

        return Rig(sim, time, connect, state=sim.state, transport=transport)  # type: ignore[attr-defined]

    def tracking_number(self, rig: Rig) -> str:
        return "STUB000001"

    def expected_statuses(self, rig: Rig, tracking_number: str) -> set[TrackingStatus]:
        return {TrackingStatus.IN_TRANSIT}

    def unknown_tracking_number(self, rig: Rig) -> str | None:
        return "NOPE1"

    def rate_request(self, rig: Rig) -> RateRequest:
        to = HOME.model_copy(update={"country": "CA"})
        return RateRequest(HOME, to, (Parcel(weight_grams=1200),))

    def bad_rate_request(self, rig: Rig) -> RateRequest:
        to = HOME.model_copy(update={"country": "AQ"})
        return RateRequest(HOME, to, (Parcel(weight_grams=1200),))

    def label_request(self, rig: Rig, n: int) -> LabelRequest:
        return LabelRequest(f"ref-{n}", HOME, HOME, (Parcel(weight_grams=500),), "ground")

    def labels_on_platform(self, rig: Rig, reference: str) -> int:
        return sum(1 for label in rig.state.labels if label["reference"] == reference)


__all__ = ["PLUGIN", "StubCarrierHarness"]
