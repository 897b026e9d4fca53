"""The reference warehouse: the warehouse side of the channelhub outbound protocol.

It is what a 3PL integrator can read to see the protocol done right, and what the hub's tests
and demo ship orders to: it verifies signatures (replay window + seen signatures), accepts
idempotently (same key -> same id, no second order; same key + other body -> 409), rejects
with reasons a seller can act on, moves each order accepted -> picking -> packed -> shipped
as the injected clock passes (``advance()``, never a sleep), ships with tracking numbers and
calls the hub back through an injected async ``deliver(url, headers, body) -> status``.
Intercepts succeed before packing and answer ``too_late`` after. Callbacks can be duplicated,
held back and reordered, deterministically from ``seed``; a refused delivery is retried on
the next ``advance()`` (at-least-once).
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import httpx
from pydantic import SecretStr

from channelhub.core.errors import InvalidInput
from channelhub.core.fulfilment import OutboundOrder, Package, PackageLine, Shipment
from channelhub.core.money import Money
from channelhub.core.signing import SIGNATURE_HEADER, sign, verify
from channelhub.core.warehouse_reports import (
    InterceptOutcome,
    InterceptResult,
    StockLevel,
    StockSnapshot,
)
from channelhub.mappings import outbound_protocol as proto
from channelhub.simulators.clock import ManualClock

Deliver = Callable[[str, dict[str, str], bytes], Awaitable[int]]
Clock = Callable[[], datetime]
STAGES = ("accepted", "picking", "packed", "shipped")


@dataclass(frozen=True)
class CallbackFaults:
    """Switchable callback misbehaviour; every draw comes from the simulator's seeded rng."""

    duplicate: float = 0.0  # chance a delivered callback is sent again on the next advance
    delay: float = 0.0  # chance a callback is held back ``delay_steps`` advances
    delay_steps: int = 2
    reorder: bool = False  # shuffle each batch of callbacks before sending


@dataclass
class SimOrder:
    order: OutboundOrder
    fingerprint: str
    warehouse_order_id: str
    accepted_at: datetime
    state: str = "accepted"
    updated_at: datetime | None = None
    intercept: InterceptResult | None = None
    shipment: Shipment | None = None


@dataclass
class _Pending:
    due: int
    event: dict[str, object]


@dataclass
class WarehouseSimulator:
    """The warehouse's state and behaviour; :func:`create_app` puts HTTP in front of it."""

    secret: SecretStr
    hub_url: str
    deliver: Deliver
    clock: Clock
    warehouse: str = "sim-wh"
    seed: int = 0
    stock: dict[str, int] = field(default_factory=dict)
    faults: CallbackFaults = field(default_factory=CallbackFaults)
    stage_after: timedelta = timedelta(hours=1)  # accepted -> picking -> packed -> shipped
    lines_per_package: int = 0  # 0: one package per order
    default_carrier: str = "ups"
    unsupported_countries: frozenset[str] = frozenset()
    lose_responses: int = 0  # fault: process the next N requests, then answer 503 (lost reply)
    orders: dict[str, SimOrder] = field(default_factory=dict)
    rejections: dict[str, dict[str, object]] = field(default_factory=dict)
    reserved: dict[str, int] = field(default_factory=dict)
    #: test hook: SKU -> what its ``GET /stock`` level reports as on_hand instead of its
    #: count (a level the hub cannot read, as a WMS with a bug would send)
    garbled: dict[str, object] = field(default_factory=dict)
    sent: list[tuple[str, str, int]] = field(default_factory=list)  # event id, type, status
    _pending: list[_Pending] = field(default_factory=list)
    _seen: set[str] = field(default_factory=set)
    _tick: int = 0
    _counter: int = 0
    _last_stamp: int = 0
    _advancing: asyncio.Lock = field(default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    # ---- requests -------------------------------------------------------------------------

    def check_signature(self, header: str | None, body: bytes, *, safe: bool = False) -> None:
        """Raise SignatureError unless the request is signed, fresh and not a replay.

        ``safe`` (a GET): checked for freshness but not for replay. A GET signs the empty body,
        so two reads in the same second (``stock pull`` beside the scheduler's reconcile) carry
        the same signature; refusing the second as a replay would fail a harmless read, and a
        replayed read changes nothing.
        """

        def seen(signature: str) -> bool:
            if signature in self._seen:
                return True
            self._seen.add(signature)
            return False

        verify(self.secret, header, body, now=self.clock(), seen=None if safe else seen)

    def _next(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}-{self.seed}-{self._counter:06d}"

    def _reasons(self, order: OutboundOrder) -> list[proto.RejectReason]:
        reasons = [
            proto.RejectReason(
                code="address_incomplete",
                message=f"the ship-to {part} is empty",
                field=f"ship_to.{part}",
            )
            for part in order.ship_to.missing_parts()
        ]
        if order.ship_to.country in self.unsupported_countries:
            reasons.append(
                proto.RejectReason(
                    code="unsupported_country",
                    message=f"this warehouse does not ship to {order.ship_to.country}",
                    field="ship_to.country",
                )
            )
        for index, line in enumerate(order.lines):
            where = f"lines[{index}]"
            if line.sku not in self.stock:
                reasons.append(
                    proto.RejectReason(
                        code="unknown_sku",
                        message=f"SKU {line.sku!r} is not stocked here",
                        field=f"{where}.sku",
                    )
                )
            elif self.available(line.sku) < line.quantity:
                reasons.append(
                    proto.RejectReason(
                        code="insufficient_stock",
                        message=(
                            f"{line.quantity} x {line.sku} wanted, "
                            f"{self.available(line.sku)} available"
                        ),
                        field=f"{where}.quantity",
                    )
                )
        return reasons

    def available(self, sku: str) -> int:
        return self.stock.get(sku, 0) - self.reserved.get(sku, 0)

    def submit(self, key: str | None, raw: bytes) -> tuple[int, dict[str, object]]:
        """``POST /outbound-orders`` after the signature check: (status, body)."""
        try:
            body = json.loads(raw)
        except ValueError:
            return 400, error_body("bad_request", "the body is not JSON")
        if not key or not isinstance(body, dict) or body.get("idempotency_key") != key:
            return 400, error_body(
                "idempotency_key_mismatch", "Idempotency-Key must equal idempotency_key"
            )
        fingerprint = json.dumps(body, sort_keys=True)
        if key in self.orders:
            known = self.orders[key]
            if known.fingerprint != fingerprint:
                return 409, error_body(
                    "idempotency_key_reused", f"{key} was used with another body"
                )
            return 200, proto.accepted_body(key, known.warehouse_order_id, known.accepted_at)
        if key in self.rejections:
            return 422, self.rejections[key]
        try:
            order = proto.parse_outbound_order(body)
        except InvalidInput as exc:
            reasons = [_reason_from_problem(p) for p in exc.problems]
            return 422, proto.rejected_body(key, reasons)
        reasons = self._reasons(order)
        if reasons:
            self.rejections[key] = proto.rejected_body(key, reasons)
            return 422, self.rejections[key]
        now = self.clock()
        for line in order.lines:
            self.reserved[line.sku] = self.reserved.get(line.sku, 0) + line.quantity
        sim = SimOrder(order, fingerprint, self._next("WO"), now, updated_at=now)
        self.orders[key] = sim
        return 201, proto.accepted_body(key, sim.warehouse_order_id, now)

    def intercept(self, key: str, raw: bytes) -> tuple[int, dict[str, object]]:
        """``POST /outbound-orders/{key}/intercept`` after the signature check."""
        sim = self.orders.get(key)
        if sim is None:
            return 404, error_body("not_found", f"no outbound order {key}")
        self._progress(self.clock())
        if sim.intercept is None:
            packed = sim.state in ("packed", "shipped")
            outcome = InterceptOutcome.TOO_LATE if packed else InterceptOutcome.SUCCEEDED
            if sim.state in ("accepted", "picking"):
                self._release(sim)
                sim.state, sim.updated_at = "cancelled", self.clock()
            sim.intercept = InterceptResult(
                outbound_key=key,
                warehouse=self.warehouse,
                warehouse_order_id=sim.warehouse_order_id,
                outcome=outcome,
                message="stopped before packing" if not packed else f"already {sim.state}",
                decided_at=self.clock(),
            )
            self._queue(
                proto.intercept_result_event(
                    sim.intercept, event_id=self._next("evt"), occurred_at=self.clock()
                )
            )
        return 200, proto.intercept_result_body(sim.intercept)

    def status(self, key: str) -> tuple[int, dict[str, object]]:
        """``GET /outbound-orders/{key}``."""
        sim = self.orders.get(key)
        if sim is None:
            return 404, error_body("not_found", f"no outbound order {key}")
        self._progress(self.clock())
        updated = (sim.updated_at or sim.accepted_at).isoformat().replace("+00:00", "Z")
        return 200, {
            "idempotency_key": key,
            "warehouse_order_id": sim.warehouse_order_id,
            "state": sim.state,
            "updated_at": updated,
        }

    # ---- the warehouse working ------------------------------------------------------------

    def _release(self, sim: SimOrder) -> None:
        for line in sim.order.lines:
            self.reserved[line.sku] -= line.quantity

    def _ship(self, sim: SimOrder, at: datetime) -> Shipment:
        lines = list(sim.order.lines)
        size = self.lines_per_package or len(lines)
        packages = []
        for start in range(0, len(lines), size):
            chunk = lines[start : start + size]
            carrier = sim.order.carrier or self.default_carrier
            number = ("1Z" if carrier == "ups" else "SIM") + "".join(
                self._rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(16)
            )
            packages.append(
                Package(
                    package_id=self._next("PKG"),
                    tracking_number=number,
                    carrier=carrier,
                    service=sim.order.shipping_service,
                    lines=tuple(
                        PackageLine(sku=x.sku, quantity=x.quantity, order_line_id=x.order_line_id)
                        for x in chunk
                    ),
                    weight_grams=250 * sum(x.quantity for x in chunk),
                )
            )
        for line in lines:
            self.stock[line.sku] -= line.quantity
        self._release(sim)
        units = sum(x.quantity for x in lines)
        return Shipment(
            outbound_key=sim.order.idempotency_key,
            warehouse=self.warehouse,
            warehouse_order_id=sim.warehouse_order_id,
            shipment_id=self._next("SHP"),
            shipped_at=at,
            packages=tuple(packages),
            costs=(
                Money(amount=Decimal("4.50") + Decimal("0.75") * units, currency="USD"),
                Money(amount=Decimal("1.20") * len(packages), currency="USD"),
            ),
        )

    def _progress(self, now: datetime) -> None:
        for key in sorted(self.orders):
            sim = self.orders[key]
            if sim.state not in STAGES or sim.state == "shipped":
                continue
            reached = min(int((now - sim.accepted_at) / self.stage_after), len(STAGES) - 1)
            if reached <= STAGES.index(sim.state):
                continue
            sim.state, sim.updated_at = STAGES[reached], now
            if sim.state == "shipped":
                sim.shipment = self._ship(sim, sim.accepted_at + self.stage_after * 3)
                event = proto.shipment_confirmed_event(
                    sim.shipment,
                    event_id=self._next("evt"),
                    occurred_at=now,
                    cost_kinds=("shipping", "fulfilment"),
                )
                self._queue(event)

    def stock_page(self, cursor: str | None, limit: int) -> tuple[int, dict[str, object]]:
        """``GET /stock``: every SKU held, ``limit`` per page; the cursor is an offset."""
        skus = sorted(self.stock)
        start = int(cursor) if cursor is not None and cursor.isdigit() else None
        if cursor is not None and (start is None or start >= len(skus)):
            return 400, error_body("bad_request", f"cursor {cursor!r} was not issued here")
        start = start or 0
        end = start + limit
        levels = [
            (
                self.warehouse,
                StockLevel(sku=sku, on_hand=qty, available=max(self.available(sku), 0)),
            )
            for sku, qty in ((sku, self.stock[sku]) for sku in skus[start:end])
        ]
        following = str(end) if end < len(skus) else None
        body = proto.stock_page_body(levels, taken_at=self.clock(), next_cursor=following)
        for level in body["levels"] if isinstance(body["levels"], list) else []:
            if level["sku"] in self.garbled:
                level["on_hand"] = self.garbled[level["sku"]]
        return 200, body

    async def ship_now(self) -> int:
        """Skip the picking and packing wait: every open order ships at once and its callback
        goes out now, signed at the real time (time travel would make the hub refuse the
        signature as stale). Returns how many orders shipped."""
        now = self.clock()
        waiting = [sim for sim in self.orders.values() if sim.state in STAGES[:-1]]
        for sim in waiting:
            sim.accepted_at = min(sim.accepted_at, now - self.stage_after * (len(STAGES) - 1))
        await self.advance()
        return len(waiting)

    def emit_stock_snapshot(self) -> StockSnapshot:
        """Queue a complete ``stock.snapshot`` of every SKU; returns it."""
        now = self.clock()
        snapshot = StockSnapshot(
            warehouse=self.warehouse,
            snapshot_id=self._next("SNAP"),
            taken_at=now,
            complete=True,
            levels=tuple(
                StockLevel(sku=sku, on_hand=qty, available=max(self.available(sku), 0))
                for sku, qty in sorted(self.stock.items())
            ),
        )
        self._queue(
            proto.stock_snapshot_event(snapshot, event_id=self._next("evt"), occurred_at=now)
        )
        return snapshot

    def cancel_by_warehouse(self, key: str, code: str, message: str) -> None:
        """The warehouse cancels an unpacked order on its own (queues ``outbound.cancelled``)."""
        sim = self.orders[key]
        if sim.state not in ("accepted", "picking"):
            raise ValueError(f"{key} is already {sim.state}")
        self._release(sim)
        sim.state, sim.updated_at = "cancelled", self.clock()
        result = InterceptResult(
            outbound_key=key,
            warehouse=self.warehouse,
            warehouse_order_id=sim.warehouse_order_id,
            outcome=InterceptOutcome.SUCCEEDED,
            initiated_by="warehouse",
            reason_code=code,
            message=message,
            decided_at=self.clock(),
        )
        self._queue(
            proto.outbound_cancelled_event(
                result, event_id=self._next("evt"), occurred_at=self.clock()
            )
        )

    # ---- callbacks ------------------------------------------------------------------------

    def _queue(self, event: dict[str, object]) -> None:
        held = self._rng.random() < self.faults.delay
        self._pending.append(_Pending(self._tick + (self.faults.delay_steps if held else 0), event))

    def _stamp(self) -> int:
        """Signing time, strictly increasing: a resend never repeats a signature (a receiver
        would refuse it as a replay) even when the clock has not moved."""
        self._last_stamp = max(int(self.clock().timestamp()), self._last_stamp + 1)
        return self._last_stamp

    @property
    def pending(self) -> int:
        """Callbacks not yet delivered (held back or refused)."""
        return len(self._pending)

    async def advance(self, by: timedelta | None = None) -> None:
        """Let time pass (``by`` ticks a ManualClock), progress orders, send due callbacks.

        One advance at a time: served, a timer advances while ``/_sim/ship-now`` may too, and
        two passes over the same pending callbacks would send (and drop) one twice."""
        async with self._advancing:
            await self._advance(by)

    async def _advance(self, by: timedelta | None) -> None:
        if by is not None:
            if not isinstance(self.clock, ManualClock):
                raise TypeError("advance(by=...) needs a ManualClock; move your own clock instead")
            self.clock.tick(by)
        self._tick += 1
        self._progress(self.clock())
        due = [p for p in self._pending if p.due <= self._tick]
        if self.faults.reorder:
            self._rng.shuffle(due)
        for item in due:
            self._pending.remove(item)
            raw = json.dumps(item.event, separators=(",", ":")).encode()
            headers = {
                "Content-Type": "application/json",
                SIGNATURE_HEADER: sign(self.secret, self._stamp(), raw),
            }
            try:
                status = await self.deliver(self.hub_url, headers, raw)
            except (OSError, httpx.HTTPError):
                status = 0
            self.sent.append((str(item.event["event_id"]), str(item.event["type"]), status))
            if not 200 <= status < 300:
                self._pending.append(_Pending(self._tick + 1, item.event))  # retry next advance
            elif self._rng.random() < self.faults.duplicate:
                self._pending.append(_Pending(self._tick + 1, item.event))


def error_body(code: str, message: str) -> dict[str, object]:
    return {"error": {"code": code, "message": message}}


def _reason_from_problem(problem: str) -> proto.RejectReason:
    field, sep, _ = problem.partition(":")
    path = field.split(" ")[0] if sep or " is missing" in problem else None
    return proto.RejectReason(code="invalid_field", message=problem, field=path)
