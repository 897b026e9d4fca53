"""The reference warehouse simulator speaks the published outbound protocol."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest

from channelhub.core.fulfilment import Shipment
from channelhub.core.signing import SIGNATURE_HEADER, SignatureError, sign, verify
from channelhub.core.warehouse_reports import InterceptOutcome, InterceptResult
from channelhub.jobs.fulfilment.callbacks import read_snapshot
from channelhub.mappings import outbound_protocol as proto
from channelhub.mappings.warehouse_stock import SnapshotRows
from channelhub.simulators.clock import ManualClock
from channelhub.simulators.warehouse import CallbackFaults, WarehouseSimulator, create_app
from tests.logistics.conformance import check_exchange, openapi
from tests.logistics.specs import schema_errors
from tests.logistics.test_outbound_protocol import document, outbound_order

SECRET = "whsec_test"
HOST = "https://wms.example.com"
PREFIX = "/channelhub"


@dataclass
class FakeHub:
    """The hub's callback endpoint, as the real one must behave: verify, dedupe, store."""

    clock: ManualClock
    events: dict[str, proto.WarehouseCallback] = field(default_factory=dict)
    arrivals: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    fail_next: int = 0

    async def deliver(self, url: str, headers: dict[str, str], body: bytes) -> int:
        assert schema_errors(document(), "Callback", json.loads(body)) == []
        if self.fail_next:
            self.fail_next -= 1
            return 503
        try:
            verify(
                SECRET,
                headers.get(SIGNATURE_HEADER),
                body,
                now=self.clock(),
                seen=lambda s: s in self.seen or self.seen.add(s) is not None,
            )
        except SignatureError as exc:
            self.refused.append(exc.reason)
            return 401
        callback = proto.parse_callback(json.loads(body))
        self.arrivals.append(callback.event_id)
        self.events.setdefault(callback.event_id, callback)
        return 200

    def of(self, kind: type) -> list[Any]:
        return [e.payload for e in self.events.values() if isinstance(e.payload, kind)]


@dataclass
class Rig:
    clock: ManualClock
    hub: FakeHub
    sim: WarehouseSimulator
    client: httpx.AsyncClient
    spec: Any

    async def send(
        self,
        method: str,
        path: str,
        body: object | None = None,
        *,
        key: str | None = None,
        secret: str = SECRET,
        t_offset: int = 0,
        check: bool = True,
    ) -> httpx.Response:
        raw = json.dumps(body).encode() if body is not None else b""
        headers = {
            SIGNATURE_HEADER: sign(secret, int(self.clock().timestamp()) + t_offset, raw),
            "content-type": "application/json",
        }
        if key is not None:
            headers["Idempotency-Key"] = key
        response = await self.client.request(method, path, content=raw, headers=headers)
        if check:
            check_exchange(self.spec, response, HOST, PREFIX)
        return response


async def _rig(
    faults: CallbackFaults | None = None, seed: int = 7, **options: Any
) -> AsyncIterator[Rig]:
    clock = ManualClock()
    hub = FakeHub(clock)
    app = create_app(
        seed=seed, secret=SECRET, deliver=hub.deliver, clock=clock, faults=faults, **options
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=HOST) as client:
        yield Rig(clock, hub, app.state.warehouse, client, openapi(document()))


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    async for value in _rig():
        yield value


def _body(**changes: Any) -> dict[str, Any]:
    return proto.outbound_order_body(outbound_order(**changes))


@pytest.mark.anyio
async def test_accept_is_idempotent_and_ships_with_tracking(rig: Rig) -> None:
    body = _body()
    first = await rig.send("POST", "/outbound-orders", body, key=body["idempotency_key"])
    assert first.status_code == 201
    rig.clock.tick(timedelta(seconds=2))  # a retry is signed at its own time
    again = await rig.send("POST", "/outbound-orders", body, key=body["idempotency_key"])
    assert again.status_code == 200
    assert again.json()["warehouse_order_id"] == first.json()["warehouse_order_id"]
    assert len(rig.sim.orders) == 1

    states = []
    for _ in range(3):
        await rig.sim.advance(timedelta(hours=1))
        status = await rig.send("GET", proto.order_path(body["idempotency_key"]))
        states.append(status.json()["state"])
    assert states == ["picking", "packed", "shipped"]
    (shipment,) = rig.hub.of(Shipment)
    assert shipment.outbound_key == body["idempotency_key"]
    assert shipment.packages[0].tracking_number.startswith("1Z") is False  # aramex -> SIM prefix
    assert shipment.packages[0].carrier == "aramex"
    assert sum(line.quantity for p in shipment.packages for line in p.lines) == 2
    assert rig.sim.stock["MUG-RED"] == 98 and rig.sim.reserved["MUG-RED"] == 0


@pytest.mark.anyio
async def test_same_key_with_other_body_is_409(rig: Rig) -> None:
    body = _body()
    await rig.send("POST", "/outbound-orders", body, key=body["idempotency_key"])
    rig.clock.tick(timedelta(seconds=1))
    changed = {**body, "remarks": "gift wrap"}
    response = await rig.send("POST", "/outbound-orders", changed, key=body["idempotency_key"])
    assert response.status_code == 409 and len(rig.sim.orders) == 1


@pytest.mark.anyio
async def test_rejects_with_reasons_a_seller_can_act_on(rig: Rig) -> None:
    from channelhub.core.fulfilment import OutboundLine
    from channelhub.core.parties import Address

    body = _body(
        ship_to=Address(name="A", city="Riyadh", country="SA"),
        lines=(OutboundLine(sku="NOPE", quantity=1), OutboundLine(sku="TEE-M", quantity=500)),
    )
    response = await rig.send("POST", "/outbound-orders", body, key=body["idempotency_key"])
    assert response.status_code == 422
    reasons = {(r["code"], r["field"]) for r in response.json()["reasons"]}
    assert reasons == {
        ("address_incomplete", "ship_to.line1"),
        ("unknown_sku", "lines[0].sku"),
        ("insufficient_stock", "lines[1].quantity"),
    }
    assert rig.sim.orders == {}
    bad = {**_body(), "part": 0, "idempotency_key": "k-bad"}
    response = await rig.send(
        "POST", "/outbound-orders", bad, key=bad["idempotency_key"], check=False
    )
    assert response.status_code == 422
    assert response.json()["reasons"][0]["field"] == "part"


@pytest.mark.anyio
async def test_bad_signatures_are_refused(rig: Rig) -> None:
    body = _body()
    key = body["idempotency_key"]
    wrong = await rig.send("POST", "/outbound-orders", body, key=key, secret="nope")
    stale = await rig.send("POST", "/outbound-orders", body, key=key, t_offset=-301)
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (401, "bad_signature")
    assert (stale.status_code, stale.json()["error"]["code"]) == (401, "stale_signature")
    ok = await rig.send("POST", "/outbound-orders", body, key=key)
    replay = await rig.client.send(ok.request)
    assert ok.status_code == 201
    assert (replay.status_code, replay.json()["error"]["code"]) == (401, "replayed")
    rig.clock.tick(timedelta(seconds=1))
    mismatch = await rig.send("POST", "/outbound-orders", body, key="other-key")
    assert mismatch.json()["error"]["code"] == "idempotency_key_mismatch"
    assert rig.sim.orders.keys() == {key}


@pytest.mark.anyio
async def test_intercept_before_packing_succeeds_after_is_too_late(rig: Rig) -> None:
    early, late = (
        _body(),
        _body(order_key="shopify:acme:5002", idempotency_key="shopify:acme:5002#p1r1"),
    )
    for body in (early, late):
        await rig.send("POST", "/outbound-orders", body, key=body["idempotency_key"])
    await rig.sim.advance(timedelta(hours=1))  # both picking
    stopped = await rig.send(
        "POST",
        proto.order_path(early["idempotency_key"], "intercept"),
        proto.intercept_request_body("buyer cancelled", rig.clock()),
    )
    assert stopped.json()["outcome"] == "succeeded"
    await rig.sim.advance(timedelta(hours=1))  # late is packed
    refused = await rig.send(
        "POST",
        proto.order_path(late["idempotency_key"], "intercept"),
        proto.intercept_request_body("buyer cancelled", rig.clock()),
    )
    assert refused.json()["outcome"] == "too_late"
    await rig.sim.advance(timedelta(hours=5))
    results = {r.outbound_key: r.outcome for r in rig.hub.of(InterceptResult)}
    assert results == {
        early["idempotency_key"]: InterceptOutcome.SUCCEEDED,
        late["idempotency_key"]: InterceptOutcome.TOO_LATE,
    }
    shipped = [s.outbound_key for s in rig.hub.of(Shipment)]
    assert shipped == [late["idempotency_key"]]  # the intercepted one never ships
    assert rig.sim.reserved["MUG-RED"] == 0 and rig.sim.stock["MUG-RED"] == 98
    missing = await rig.send(
        "POST", "/outbound-orders/nope/intercept", proto.intercept_request_body("x", rig.clock())
    )
    assert missing.status_code == 404


@pytest.mark.anyio
async def test_stock_snapshot_and_warehouse_cancellation(rig: Rig) -> None:
    body = _body()
    await rig.send("POST", "/outbound-orders", body, key=body["idempotency_key"])
    rig.sim.cancel_by_warehouse(body["idempotency_key"], "stock_lost", "2 units damaged in count")
    snapshot = rig.sim.emit_stock_snapshot()
    await rig.sim.advance()
    (received,) = rig.hub.of(SnapshotRows)
    assert read_snapshot(received, now=rig.clock()) == (snapshot, []) and snapshot.complete
    (cancelled,) = rig.hub.of(InterceptResult)
    assert cancelled.initiated_by == "warehouse" and cancelled.reason_code == "stock_lost"


@pytest.mark.anyio
async def test_refused_callbacks_are_retried(rig: Rig) -> None:
    rig.sim.emit_stock_snapshot()
    rig.hub.fail_next = 2
    await rig.sim.advance()
    await rig.sim.advance()
    assert rig.hub.events == {} and rig.sim.pending == 1
    await rig.sim.advance()
    assert len(rig.hub.events) == 1 and rig.sim.pending == 0


async def _run_with_faults(seed: int) -> tuple[list[str], list[tuple[str, str, int]], FakeHub]:
    faults = CallbackFaults(duplicate=0.5, delay=0.5, delay_steps=2, reorder=True)
    async for rig in _rig(faults, seed=seed):
        for n in range(6):
            body = _body(order_key=f"shopify:acme:{n}", idempotency_key=f"shopify:acme:{n}#p1r1")
            await rig.send("POST", "/outbound-orders", body, key=body["idempotency_key"])
            rig.sim.emit_stock_snapshot()
        for _ in range(10):
            await rig.sim.advance(timedelta(hours=1))
        return rig.hub.arrivals, rig.sim.sent, rig.hub
    raise AssertionError


@pytest.mark.anyio
async def test_faults_duplicate_delay_reorder_deterministically() -> None:
    arrivals, sent, hub = await _run_with_faults(3)
    again, sent_again, _ = await _run_with_faults(3)
    assert arrivals == again and sent == sent_again  # same seed, same story
    assert len(arrivals) > len(set(arrivals))  # some duplicated
    assert len(hub.of(Shipment)) == 6  # deduped by event id: one shipment per order
    created = sorted(hub.events, key=lambda e: int(e.rsplit("-", 1)[1]))
    assert arrivals[: len(created)] != created  # not in creation order


@pytest.mark.anyio
async def test_a_resend_without_the_clock_moving_is_not_a_replay() -> None:
    async for rig in _rig(CallbackFaults(duplicate=1.0)):
        rig.sim.emit_stock_snapshot()
        for _ in range(3):
            await rig.sim.advance()  # the clock never moves
        assert rig.hub.refused == []
        assert len(rig.hub.arrivals) == 3 and len(set(rig.hub.arrivals)) == 1
