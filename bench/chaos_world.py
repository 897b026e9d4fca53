"""The chaos suite's world: simulators on loopback, a hub home, and real worker processes
that are killed with SIGKILL at seeded points.

The simulators (Amazon, Shopify, two reference warehouses) run in this process on loopback
ports, so their state and request journals are the ground truth the suite checks: every
order imported once, every warehouse order created once, every fulfilment pushed once,
every listing's last quantity applied. The hub's jobs run as real ``channelhub jobs run``
processes against the same database (SQLite or PostgreSQL).

A kill is placed by request count, not by time: a :class:`Tripwire` on every simulator's
journal SIGKILLs the worker when the simulator receives its N-th request (N seeded). The
request is then still handled by the simulator, so the kill lands exactly in the window
that matters (the platform changed, the hub never heard). Resuming, the suite moves the
outbox's claim and retry times into the past, standing in for the minutes a real restart
waits; it never touches leases: a killed holder's lease must be taken over at once.

Shared by ``tests/chaos`` (small sizes, in CI) and ``python -m bench.run chaos`` (larger).
The checks raise AssertionError naming what was lost or doubled; the bench prints it.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bench.hub_processes import channelhub
from channelhub.core.stock import MovementKind, StockMovement
from channelhub.demo import flow
from channelhub.demo.channels import AMAZON_MARKETS, SELLER_ID, SHOP_LOCATION, seed_amazon
from channelhub.demo.channels import shop_data as demo_shop_data
from channelhub.demo.home import add_demo_account, prepare_home, seed_catalogue
from channelhub.demo.scenario import (
    AMAZON_ACCOUNT,
    OPENING_STOCK,
    SHOPIFY_ACCOUNT,
    WAREHOUSES,
    build_scenario,
)
from channelhub.demo.summary import DemoSummary
from channelhub.demo.world import AMAZON_ACCOUNT_CREDENTIALS, SHOPIFY_TOKEN, DemoClock, World
from channelhub.jobs import JobKind
from channelhub.jobs.engine.runner import JobOptions, run_job
from channelhub.jobs.fulfilment.outbound import FULFILMENT
from channelhub.jobs.orders.pipeline import OUTBOUND_CREATE
from channelhub.simulators import amazon, shopify
from channelhub.simulators import warehouse as reference_warehouse
from channelhub.simulators.serve import serving
from channelhub.store.crypto import load_vault
from channelhub.store.db import make_engine, make_session_factory, upgrade
from channelhub.store.repos.stock import record_movement
from channelhub.store.repos.stock_sync import latest_pushes
from channelhub.store.tables.fulfilment import OutboundOrderRow
from channelhub.store.tables.orders import OrderRow
from channelhub.store.tables.outbox import OutboxMessage, OutboxState

CHANNELS = (AMAZON_ACCOUNT, SHOPIFY_ACCOUNT)
WAREHOUSE_ACCOUNTS = tuple(sorted({account for account, _ in WAREHOUSES.values()}))
#: simulator of each account (whose journal the tripwire watches)
SIM_OF = {AMAZON_ACCOUNT: "amazon", SHOPIFY_ACCOUNT: "shopify"} | {
    account: code for code, (account, _) in WAREHOUSES.items()
}
#: A worker that neither finishes nor is killed within this is a hang, not a slow run.
WORKER_TIMEOUT = 120.0


@dataclass(frozen=True)
class Sizes:
    """How big a chaos run is: ordinary orders per channel (the scenario adds 9 special
    ones), kills per (stage, account), whether every account of a stage is put under chaos
    (else one, seeded; the others run in process), and the seed."""

    orders: int
    kills: int
    every_account: bool = True
    seed: int = 7


@dataclass
class Kill:
    stage: str
    account: str
    at_request: int
    request: str  # "METHOD path" the simulator was receiving


@dataclass
class Report:
    """What one chaos run did, for the test's asserts and the bench's printout."""

    workers: int = 0
    kills: list[Kill] = field(default_factory=list)
    missed: int = 0  # workers that finished before their tripwire (the run was shorter)
    counts: dict[str, int] = field(default_factory=dict)
    repeats: dict[str, int] = field(default_factory=dict)  # requests the platform deduped
    worker_seconds: list[float] = field(default_factory=list)
    log: list[str] = field(default_factory=list)


class Tripwire:
    """SIGKILL a worker process when a simulator receives its N-th request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.pid: int | None = None
        self.target = 0
        self.seen = 0
        self.fired: str | None = None

    def arm(self, pid: int, target: int) -> None:
        with self._lock:
            self.pid, self.target, self.seen, self.fired = pid, target, 0, None

    def disarm(self) -> None:
        with self._lock:
            self.pid = None

    def observe(self, method: str, path: str) -> None:
        with self._lock:
            if self.pid is None:
                return
            self.seen += 1
            if self.seen == self.target:
                os.kill(self.pid, signal.SIGKILL)
                self.fired = f"{method} {path}"
                self.pid = None


def _watch(sim: Any, wire: Tripwire) -> None:
    """Route the simulator's journal through the tripwire (before the request is handled)."""
    record = sim.journal.record

    def observed(entry: Any) -> None:
        record(entry)
        wire.observe(entry.method, entry.path)

    sim.journal.record = observed


@dataclass
class Chaos:
    """The running world and the hub home the workers use."""

    home: Path
    database_url: str
    sessions: sessionmaker[Session]
    hub: flow.Hub
    world: World
    warehouse_clock: DemoClock
    wire: Tripwire
    rng: random.Random
    sizes: Sizes
    report: Report = field(default_factory=Report)

    # --- workers ---------------------------------------------------------------------------

    def _spawn(self, kind: JobKind, account: str) -> subprocess.Popen[str]:
        argv = ("jobs", "run", kind.value, account, "--wait", "0")
        return channelhub(self.home, self.database_url, *argv)

    async def _finish(self, process: subprocess.Popen[str]) -> tuple[int, str]:
        started = time.monotonic()
        out, _ = await asyncio.to_thread(process.communicate, timeout=WORKER_TIMEOUT)
        self.report.worker_seconds.append(round(time.monotonic() - started, 1))
        return process.returncode, out

    async def killed_worker(self, stage: str, kind: JobKind, account: str, budget: int) -> None:
        """A worker killed at its seeded n-th request (1..budget) to the account's platform."""
        target = self.rng.randint(1, budget)
        self.fast_forward()  # every message counted in the budget is due for this worker
        process = self._spawn(kind, account)
        self.wire.arm(process.pid, target)
        self.report.log.append(f"kill {stage} {account} at request {target}")
        self.report.workers += 1
        code, out = await self._finish(process)
        fired = self.wire.fired
        self.wire.disarm()
        if code == -signal.SIGKILL and fired is not None:
            self.report.kills.append(Kill(stage, account, target, fired))
        else:
            assert code in (0, 1), f"{kind.value} {account} ended {code}:\n{out}"
            self.report.missed += 1

    async def worker_until_done(self, kind: JobKind, account: str, *, rounds: int = 8) -> str:
        """Resume: run the job in fresh processes until a run ends with nothing left."""
        out = ""
        for _ in range(rounds):
            self.fast_forward()
            process = self._spawn(kind, account)
            self.report.workers += 1
            self.report.log.append(f"resume {kind.value} {account}")
            code, out = await self._finish(process)
            assert code == 0, f"{kind.value} {account} failed on resume ({code}):\n{out}"
            assert "still running elsewhere" not in out
            if "more work is waiting" not in out and not self._due(kind, account):
                return out
        raise AssertionError(f"{kind.value} {account} never finished:\n{out}")

    async def chaos_stage(self, stage: str, kind: JobKind, accounts: tuple[str, ...]) -> None:
        """Each chosen account: killed ``kills`` times at seeded requests, then resumed."""
        chosen = accounts if self.sizes.every_account else (self.rng.choice(accounts),)
        for account in accounts:
            if account not in chosen:
                await self.in_process(kind, account)
                continue
            for _ in range(self.sizes.kills):
                await self.killed_worker(stage, kind, account, self._budget(kind, account))
            await self.worker_until_done(kind, account)

    # --- `channelhub run` processes -------------------------------------------------------

    def runner(self, **every: int) -> subprocess.Popen[str]:
        """A ``channelhub run`` process (HTTP on any port) whose jobs run every ``every``
        seconds by kind; every other job is off."""
        intervals = {kind.value: 0 for kind in JobKind} | every
        env = {f"CHANNELHUB_JOBS__EVERY__{k.upper()}": str(v) for k, v in intervals.items()}
        self.report.workers += 1
        return channelhub(self.home, self.database_url, "run", "--port", "0", env=env)

    async def drained(self, kind: str, *, within: float = 90.0) -> None:
        """Wait until every outbox message of ``kind`` is sent (polling the database: the
        work is done by other processes, whose progress has no event to wait on)."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            self.fast_forward()
            with self.sessions() as session:
                open_ = session.scalar(
                    select(OutboxMessage.id).where(
                        OutboxMessage.kind == kind,
                        OutboxMessage.state != OutboxState.SENT.value,
                    )
                )
            if open_ is None:
                return
            await asyncio.sleep(0.2)
        raise AssertionError(f"{kind} messages still unsent after {within:g} s")

    # --- time, standing in for a restart's waiting ---------------------------------------

    def fast_forward(self) -> None:
        """Claims and retry backoffs lapse (what minutes of real waiting would do), and
        messages the in-process hub enqueued on its own clock (a few seconds ahead of the
        workers' real time) are due: otherwise how many a worker finds depends on how fast
        it started, and a seeded kill point may lie past the requests it makes."""
        past = datetime.now(UTC) - timedelta(seconds=1)
        waiting = [OutboxState.PENDING.value, OutboxState.SENDING.value, OutboxState.FAILED.value]
        with self.sessions.begin() as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.state.in_(waiting), OutboxMessage.next_attempt_at > past)
                .values(next_attempt_at=past)
            )

    def _targets(self, kind: JobKind, account: str) -> list[str]:
        if kind is JobKind.DISPATCH_OUTBOX:
            return [f"warehouse:{code}" for code, (a, _) in WAREHOUSES.items() if a == account]
        if kind is JobKind.PUSH_TRACKING:
            return [f"channel:{self._platform(account)}:{account}"]
        return []

    def _due(self, kind: JobKind, account: str) -> bool:
        """Messages of this job still waiting (the outbox jobs only)."""
        targets = self._targets(kind, account)
        if not targets:
            return False
        with self.sessions() as session:
            return (
                session.scalar(
                    select(OutboxMessage.id).where(
                        OutboxMessage.target.in_(targets),
                        OutboxMessage.state.in_(
                            [
                                OutboxState.PENDING.value,
                                OutboxState.SENDING.value,
                                OutboxState.FAILED.value,
                            ]
                        ),
                    )
                )
                is not None
            )

    def _budget(self, kind: JobKind, account: str) -> int:
        """About how many requests a whole run makes (the kill lands among them): the
        outbox jobs one call per message (a push and its read-back for tracking); a pull or
        a stock push a token and a call or two."""
        if kind in (JobKind.DISPATCH_OUTBOX, JobKind.PUSH_TRACKING):
            with self.sessions() as session:
                due = len(session.scalars(select(OutboxMessage.id).where(
                    OutboxMessage.target.in_(self._targets(kind, account)),
                    OutboxMessage.state != OutboxState.SENT.value,
                )).all())  # fmt: skip
            return max(1, due * (2 if kind is JobKind.PUSH_TRACKING else 1))
        return 3 if account == AMAZON_ACCOUNT else 2

    @staticmethod
    def _platform(account: str) -> str:
        return "amazon" if account == AMAZON_ACCOUNT else "shopify"

    # --- stages that are not under chaos (run in process) ---------------------------------

    async def in_process(self, kind: JobKind, account: str) -> None:
        while True:
            result = await run_job(
                self.sessions,
                account,
                kind,
                connector_factory=self.hub.factory(),
                now=self.hub.now,
                options=JobOptions(home=self.home),
            )
            assert result.error is None, result.error
            if not result.more:
                return

    async def ship(self) -> None:
        """The warehouses pick, pack and ship, and call the hub back (in process)."""
        for _ in range(7):
            for code in sorted(self.world.warehouses):
                await self.world.warehouses[code].advance()
        assert not self.hub.callback_errors, self.hub.callback_errors

    def receive_stock(self, sku: str, quantity: int, warehouse: str, reference: str) -> None:
        """New stock arrives (dated a minute back: past the push's debounce window)."""
        at = datetime.now(UTC) - timedelta(minutes=1)
        movement = StockMovement(
            warehouse=warehouse,
            sku=sku,
            kind=MovementKind.RECEIVE,
            quantity=quantity,
            reason="chaos restock",
            reference=reference,
            at=at,
        )
        with self.sessions.begin() as session:
            record_movement(session, movement, now=at, dedupe_key=reference)

    # --- ground truth ---------------------------------------------------------------------

    def check_imports(self) -> None:
        with self.sessions() as session:
            rows = session.execute(select(OrderRow.account, OrderRow.external_id)).all()
        hub = Counter((account, external_id) for account, external_id in rows)
        assert all(n == 1 for n in hub.values())
        amazon_ids = set(self.world.amazon.orders)
        shop_ids = {str(o["legacyResourceId"]) for o in self.world.shop.data.orders.values()}
        assert {e for a, e in hub if a == AMAZON_ACCOUNT} == amazon_ids
        assert {e for a, e in hub if a == SHOPIFY_ACCOUNT} == shop_ids
        self.report.counts["orders imported"] = len(hub)

    def check_dispatch(self) -> None:
        with self.sessions() as session:
            creates = session.execute(
                select(
                    OutboxMessage.idempotency_key, OutboxMessage.state, OutboxMessage.last_error
                ).where(OutboxMessage.kind == OUTBOUND_CREATE)
            ).all()
            sent = {key for key, state, _ in creates if state == OutboxState.SENT.value}
            assert {state for _, state, _ in creates} <= {OutboxState.SENT.value}, creates
            rows = session.execute(
                select(OutboundOrderRow.idempotency_key, OutboundOrderRow.warehouse_order_id)
            ).all()
        hub_ids = {key: warehouse_id for key, warehouse_id in rows if key in sent}
        at_warehouses: dict[str, str] = {}
        for sim in self.world.warehouses.values():
            for key, order in sim.orders.items():
                assert key not in at_warehouses, f"{key} created at two warehouses"
                at_warehouses[key] = order.warehouse_order_id
        # every sent outbound is at exactly one warehouse, under the id the hub recorded
        assert at_warehouses == {key: hub_ids[key] for key in sent}
        creates_sent = Counter(
            entry.json().get("idempotency_key")
            for name, sim in self.world.sims.items()
            if name in WAREHOUSES
            for entry in sim.journal.matching("POST")
            if entry.path.endswith("/outbound-orders") and entry.body
        )
        self.report.repeats["warehouse creates repeated (deduped)"] = sum(
            n - 1 for n in creates_sent.values() if n > 1
        )
        self.report.counts["warehouse orders"] = len(at_warehouses)

    def check_tracking(self) -> None:
        with self.sessions() as session:
            pushes = session.execute(
                select(OutboxMessage.payload, OutboxMessage.state).where(
                    OutboxMessage.kind == FULFILMENT
                )
            ).all()
        assert {state for _, state in pushes} <= {OutboxState.SENT.value}, pushes
        wanted = Counter(str((p.get("package") or {}).get("tracking_number")) for p, _ in pushes)
        on_amazon = Counter(
            package["trackingNumber"]
            for packages in self.world.amazon.packages.values()
            for package in packages.values()
        )
        on_shop = Counter(
            info["number"]
            for order in self.world.shop.data.orders.values()
            for fulfilment in order["fulfillments"]
            for info in fulfilment.get("trackingInfo") or []
            if info.get("number")
        )
        landed = on_amazon + on_shop
        doubled = {number: n for number, n in landed.items() if n > 1}
        assert not doubled, f"fulfilments pushed twice: {doubled}"
        assert set(wanted) <= set(landed), set(wanted) - set(landed)
        self.report.counts["fulfilments pushed"] = sum(wanted.values())

    def check_stock(self) -> None:
        """Every listing's last pushed quantity is confirmed and is what the channel shows."""
        with self.sessions() as session:
            shown = {
                **self._amazon_quantities(),
                **self._shop_quantities(),
            }
            checked = 0
            for account in CHANNELS:
                platform = self._platform(account)
                latest = latest_pushes(session, channel=platform, account=account)
                for key, record in latest.items():
                    assert record.state.value == "confirmed", (key, record)
                    listing = key.variation_id or key.listing_id
                    if listing in shown[account]:
                        assert shown[account][listing] == record.quantity, (key, record)
                        checked += 1
        assert checked > 0
        self.report.counts["listing quantities checked"] = checked

    def _amazon_quantities(self) -> dict[str, dict[str, int]]:
        found = {}
        for sku, listing in self.world.amazon.listings.items():
            for entry in listing.get("fulfillmentAvailability") or []:
                if "quantity" in entry:
                    found[sku] = int(entry["quantity"])
        return {AMAZON_ACCOUNT: found}

    def _shop_quantities(self) -> dict[str, dict[str, int]]:
        data = self.world.shop.data
        found = {}
        for variant in data.variants():
            number = str(variant["id"]).rsplit("/", 1)[-1]
            found[number] = int(variant.get("inventoryQuantity") or 0)
        return {SHOPIFY_ACCOUNT: found}


def _accounts(chaos_world: World, sessions: sessionmaker[Session], vault: Any) -> None:
    now = datetime.now(UTC)
    with sessions.begin() as session:
        add_demo_account(
            session, vault, platform="amazon", name=AMAZON_ACCOUNT,
            base_url=chaos_world.urls["amazon"], credentials=AMAZON_ACCOUNT_CREDENTIALS,
            settings={
                "seller_id": SELLER_ID,
                "marketplace_ids": [m.marketplace_id for m in AMAZON_MARKETS],
                "lwa_url": f"{chaos_world.urls['amazon']}/auth/o2/token",
                "initial_lookback_days": 2,
                "jobs": {"push_stock": True},
            },
            now=now,
        )  # fmt: skip
        add_demo_account(
            session, vault, platform="shopify", name=SHOPIFY_ACCOUNT,
            base_url=chaos_world.urls["shopify"],
            credentials={"access_token": SHOPIFY_TOKEN, "api_secret": "chaos-app-secret"},
            settings={
                "api_version": "2025-01",
                "location_id": str(SHOP_LOCATION),
                "jobs": {"push_stock": True},
            },
            now=now,
        )  # fmt: skip
        for code, (account, _) in WAREHOUSES.items():
            add_demo_account(
                session, vault, platform="outbound_protocol", name=account,
                base_url=chaos_world.urls[code],
                credentials={"secret": chaos_world.secrets[code]},
                settings={"warehouse": code}, now=now,
            )  # fmt: skip
        seed_catalogue(session, now=now)


@contextmanager
def chaos_world(home: Path, database_url: str, sizes: Sizes) -> Iterator[Chaos]:
    """Simulators on loopback, a migrated hub home on ``database_url``, accounts and stock."""
    settings = prepare_home(home)
    upgrade(database_url)
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    vault = load_vault(settings.secret_key, settings.secret_key_path)
    scenario = build_scenario(sizes.orders, seed=sizes.seed)
    now = datetime.now(UTC).replace(microsecond=0)
    # the channels' time: the wall clock (a few seconds ahead, as a platform's clock may be:
    # Amazon refuses a lastUpdatedBefore less than two minutes before its own now)
    clock = DemoClock(datetime.now(UTC) + timedelta(seconds=5), speed=1.0)
    warehouse_clock = DemoClock(datetime.now(UTC), speed=1.0)  # signatures: real time
    # the last order placed ten minutes ago (the scenario spaces them five minutes apart)
    start = now + timedelta(hours=6) - timedelta(minutes=5 * (scenario.total + 2))
    world = World(clock=clock)
    wire = Tripwire()
    hub_ref: list[flow.Hub] = []

    def deliver(code: str) -> Any:
        async def send(url: str, headers: dict[str, str], body: bytes) -> int:
            return await hub_ref[0].callback_handler(code)(url, headers, body)

        return send

    with ExitStack() as stack:

        def serve(name: str, sim: Any) -> None:
            _watch(sim, wire)
            port = stack.enter_context(serving(sim, port=0))
            world.urls[name] = f"http://127.0.0.1:{port}"
            world.sims[name] = sim

        amazon_sim = amazon.create_app(
            seed=1, order_count=0, listing_count=0, seller_id=SELLER_ID,
            marketplaces=AMAZON_MARKETS, now=clock, in_process=False, rate_limits=False,
            feed_polls_to_done=1,
        )  # fmt: skip
        world.amazon = amazon_sim.state  # type: ignore[attr-defined]
        seed_amazon(world.amazon, scenario, start)
        serve("amazon", amazon_sim)
        shop_sim = shopify.create_app(
            seed=1, data=demo_shop_data(scenario, start), access_token=SHOPIFY_TOKEN,
            now=clock, in_process=False,
        )  # fmt: skip
        world.shop = shop_sim.shop  # type: ignore[attr-defined]
        serve("shopify", shop_sim)
        for index, code in enumerate(WAREHOUSES):
            secret = f"whsec_chaos_{code.lower()}"
            sim = reference_warehouse.create_simulator(
                seed=index + 1, in_process=False, secret=secret,
                hub_url=f"http://hub/callbacks/warehouse/{WAREHOUSES[code][0]}",
                deliver=deliver(code), clock=warehouse_clock,
                stock=dict(OPENING_STOCK[code]), warehouse=code,
                stage_after=timedelta(microseconds=1),  # shipped at the next advance
            )  # fmt: skip
            world.warehouses[code] = sim.app.state.warehouse
            world.secrets[code] = secret
            serve(code, sim)
        hub = flow.Hub(
            sessions=sessions, vault=vault, home=settings.home, world=world,
            summary=DemoSummary(), progress=lambda message: None,
        )  # fmt: skip
        hub_ref.append(hub)
        _accounts(world, sessions, vault)
        chaos = Chaos(
            home=settings.home, database_url=database_url, sessions=sessions, hub=hub,
            world=world, warehouse_clock=warehouse_clock, wire=wire,
            rng=random.Random(sizes.seed), sizes=sizes,
        )  # fmt: skip
        try:
            yield chaos
        finally:
            engine.dispose()


async def run_chaos(chaos: Chaos) -> Report:
    """Import, dispatch, tracking push and stock push, each under kill -9 and resumed; the
    simulators' state checked after each stage."""
    try:
        await _stages(chaos)
    finally:
        await chaos.hub.aclose()
    return chaos.report


async def _stages(chaos: Chaos) -> None:
    for account in CHANNELS:
        await chaos.in_process(JobKind.PULL_LISTINGS, account)
    await chaos.chaos_stage("import", JobKind.PULL_ORDERS, CHANNELS)
    chaos.check_imports()
    await flow.plan_orders(chaos.hub)
    await chaos.chaos_stage("dispatch", JobKind.DISPATCH_OUTBOX, WAREHOUSE_ACCOUNTS)
    chaos.check_dispatch()
    await chaos.ship()
    await chaos.chaos_stage("tracking", JobKind.PUSH_TRACKING, CHANNELS)
    chaos.check_tracking()
    for account in CHANNELS:  # the first push (a full sweep of every listing)
        await chaos.in_process(JobKind.PUSH_STOCK, account)
    for index, (sku, quantity) in enumerate((("MUG-RED", 7), ("TEE-M", 5), ("MUG-BLUE", 3))):
        chaos.receive_stock(sku, quantity, "US-EAST", f"chaos-restock-{index}")
    await chaos.chaos_stage("stock push", JobKind.PUSH_STOCK, CHANNELS)
    chaos.check_stock()
