"""The engine bench's hub: a home on PostgreSQL whose accounts are the sellers of
:mod:`bench.engine_sims` (a shop and a warehouse each), the real ``channelhub run`` and
``channelhub worker`` processes on it, and the checks that every order went through once.

Shared by ``python -m bench.run engine`` and its smoke test (tests/distributed). The checks
read the platforms' own state (the simulators process) and the hub's tables; they raise
AssertionError naming what was lost or doubled, so the bench never reports speed for wrong
work.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bench.engine_sims import OPENING, SHOP_TOKEN, SINGLES, Seller
from bench.hub_processes import channelhub
from channelhub.cli.home import vault_for
from channelhub.cli.runtime import connector_factory_for, job_options
from channelhub.core.bindings import Binding, Scope
from channelhub.core.products import Sku
from channelhub.core.stock import MovementKind, StockMovement, Warehouse
from channelhub.demo.channels import SHOP_LOCATION
from channelhub.demo.home import add_demo_account, prepare_home, receive_opening_stock
from channelhub.jobs.distributed.defer import defer_unit
from channelhub.jobs.engine.kinds import JobKind
from channelhub.jobs.engine.runner import run_job
from channelhub.settings import Settings, load_settings
from channelhub.store.db import make_engine, make_session_factory, upgrade
from channelhub.store.repos.pairings import save_binding
from channelhub.store.repos.products import upsert_sku
from channelhub.store.repos.stock import record_movement, upsert_warehouse
from channelhub.store.tables.orders import OrderRow
from channelhub.store.tables.outbox import OutboxMessage, OutboxState

ROOT = Path(__file__).resolve().parents[1]
#: the flow's jobs; every other job is off. The embedded engine runs them on these timers
#: (the stock push is woken by the ledger, its timer a safety net); the workers get the
#: pull from the bench and the rest from the events their commits defer.
EMBEDDED_EVERY = {
    JobKind.PULL_ORDERS: 3600,
    JobKind.DISPATCH_OUTBOX: 2,
    JobKind.PUSH_TRACKING: 2,
    JobKind.PUSH_STOCK: 3600,
}
DISTRIBUTED_EVERY = {JobKind.PUSH_STOCK: 86400}  # on, so a ledger change wakes its push


@dataclass
class Served:
    """The simulators process and where its platforms listen."""

    process: subprocess.Popen[str]
    control: str
    shops: list[str]
    warehouses: list[str]

    def get(self, path: str) -> Any:
        response = httpx.get(f"{self.control}{path}", timeout=30)
        response.raise_for_status()
        return response.json()


@dataclass
class Hub:
    """A hub home on a PostgreSQL database with every seller's accounts."""

    home: Path
    database_url: str
    sellers: list[Seller]
    orders: int
    served: Served
    hub_port: int
    engine: Engine = field(init=False)
    sessions: sessionmaker[Session] = field(init=False)

    def __post_init__(self) -> None:
        self.engine = make_engine(self.database_url)
        self.sessions = make_session_factory(self.engine)

    def env(self, kind: str, *, debounce: float) -> dict[str, str]:
        """The processes' settings: the engine, the flow's jobs, the stock push's debounce."""
        every = EMBEDDED_EVERY if kind == "embedded" else DISTRIBUTED_EVERY
        return {
            "CHANNELHUB_DATABASE_URL": self.database_url,
            "CHANNELHUB_ENGINE__KIND": kind,
            "CHANNELHUB_ENGINE__SCHEDULE_SECONDS": "3600",
            "CHANNELHUB_STOCK__DEBOUNCE_SECONDS": str(debounce),
            "CHANNELHUB_LOG_LEVEL": "WARNING",
            **{f"CHANNELHUB_JOBS__EVERY__{k.value.upper()}": str(every.get(k, 0)) for k in JobKind},
        }

    def settings(self, kind: str, *, debounce: float) -> Settings:
        return load_settings(self.home, env=self.env(kind, debounce=debounce))

    def process(self, kind: str, *argv: str, debounce: float, log: Path) -> subprocess.Popen[str]:
        env = self.env(kind, debounce=debounce)
        return channelhub(self.home, self.database_url, *argv, env=env, log=log)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def platforms(sellers: int, orders: int, latency: float, hub_url: str) -> Iterator[Served]:
    """The simulators process (fresh state), stopped on exit."""
    argv = [str(sellers), str(orders), str(latency), hub_url]
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.engine_sims", *argv],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        ports = json.loads(process.stdout.readline())
        url = "http://127.0.0.1:{}".format
        yield Served(process, url(ports["control"]), [url(p) for p in ports["shops"]],
                     [url(p) for p in ports["warehouses"]])  # fmt: skip
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(30)


@contextmanager
def hub_home(
    home: Path, database_url: str, sellers: int, orders: int, latency: float
) -> Iterator[Hub]:
    """Platforms served, a home migrated on ``database_url``, each seller's shop and
    warehouse accounts, SKUs, warehouse and opening stock."""
    port = free_port()
    with platforms(sellers, orders, latency, f"http://127.0.0.1:{port}") as served:
        prepare_home(home)
        upgrade(database_url)
        hub = Hub(home, database_url, [Seller(k) for k in range(sellers)], orders, served, port)
        _accounts(hub)
        try:
            yield hub
        finally:
            hub.engine.dispose()


def _accounts(hub: Hub) -> None:
    vault = vault_for(hub.settings("embedded", debounce=0))
    now = datetime.now(UTC)
    with hub.sessions.begin() as session:
        for seller, shop, wh in zip(
            hub.sellers, hub.served.shops, hub.served.warehouses, strict=True
        ):
            add_demo_account(
                session, vault, platform="shopify", name=seller.account, base_url=shop,
                credentials={"access_token": SHOP_TOKEN, "api_secret": "enginebench-secret"},
                settings={"api_version": "2025-01", "location_id": str(SHOP_LOCATION),
                          "jobs": {"push_stock": True}},
                now=now,
            )  # fmt: skip
            add_demo_account(
                session, vault, platform="outbound_protocol", name=seller.warehouse_account,
                base_url=wh, credentials={"secret": seller.secret},
                settings={"warehouse": seller.warehouse}, now=now,
            )  # fmt: skip
            for plain in SINGLES:  # the seller's SKUs, each listing bound to its SKU
                upsert_sku(session, Sku(code=seller.sku(plain), title=plain), now=now)
                binding = Binding(scope=Scope.ACCOUNT, channel="shopify", account=seller.account,
                                  channel_sku=seller.sku(plain), sku=seller.sku(plain))  # fmt: skip
                save_binding(session, binding, now=now, actor="seller")
            upsert_warehouse(
                session,
                Warehouse(code=seller.warehouse, name=f"Warehouse of {seller.account}",
                          country="DE", account=seller.warehouse_account),
                now=now,
            )  # fmt: skip
        opening = {s.warehouse: {s.sku(p): OPENING for p in SINGLES} for s in hub.sellers}
        receive_opening_stock(session, opening, now=now)


async def prime(hub: Hub) -> None:
    """Before the clock starts: each shop's listings imported and their first push (a full
    sweep); then the platforms' journals cleared, so they count the flow's requests only."""
    settings = hub.settings("embedded", debounce=0)
    factory, options = connector_factory_for(settings), job_options(settings)
    gate = asyncio.Semaphore(16)

    async def run(account: str, kind: JobKind) -> None:
        async with gate:
            result = await run_job(hub.sessions, account, kind, connector_factory=factory,
                                   now=lambda: datetime.now(UTC), options=options)  # fmt: skip
        assert result.error is None, f"{kind.value} {account}: {result.error}"

    for kind in (JobKind.PULL_LISTINGS, JobKind.PUSH_STOCK):
        await asyncio.gather(*(run(seller.account, kind) for seller in hub.sellers))
    httpx.delete(f"{hub.served.control}/journals", timeout=30).raise_for_status()


def defer_imports(hub: Hub) -> None:
    """Queue every shop's order import at once (the workers' trigger)."""
    with hub.sessions.begin() as session:
        for seller in hub.sellers:
            defer_unit(session, seller.account, JobKind.PULL_ORDERS)


def wait_done(hub: Hub, *, within: float, processes: list[subprocess.Popen[str]]) -> float:
    """The time (``time.time()``) every seller's flow was seen finished at the platforms and
    recorded by the hub;
    polls them (the work runs in other processes). A process that died fails at once."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        progress = hub.served.get("/progress")
        if progress["done"] == progress["sellers"] and not _unsent(hub):
            return time.time()  # the platforms have it all and the hub heard them answer
        dead = [p for p in processes if p.poll() is not None]
        if dead:
            raise AssertionError(f"a hub process ended:\n{dead[0].communicate()[0]}")
        time.sleep(0.1)
    raise AssertionError(f"not done in {within:g} s: {hub.served.get('/progress')}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a live process used so far (Linux /proc; 0 elsewhere)."""
    stat = Path(f"/proc/{pid}/stat")
    if not stat.exists():
        return 0.0
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _unsent(hub: Hub) -> int:
    with hub.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.state != OutboxState.SENT.value)) or 0)  # fmt: skip


def stop(processes: list[subprocess.Popen[str]]) -> list[str]:
    """SIGTERM each, wait; their outputs."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    return [process.communicate(timeout=60)[0] for process in processes]


@dataclass(frozen=True)
class Checked:
    """What a run did, once proven right."""

    orders: int
    requests: int  # to the platforms, during the flow
    busiest: int  # requests of the seller that made the most
    throttled: int  # requests a platform refused for its rate limit
    repeated_creates: int  # warehouse creates sent again (the warehouse deduped them)


def check(hub: Hub) -> Checked:
    """Every order imported once, created once at its seller's warehouse, its fulfilment
    pushed once, every quantity final: from the platforms' state and the hub's tables."""
    state = hub.served.get("/state")["sellers"]
    with hub.sessions() as session:
        imported = Counter(session.execute(select(OrderRow.account, OrderRow.external_id)).all())
    assert not [k for k, n in imported.items() if n > 1], "an order imported twice"
    unsent = _unsent(hub)
    assert not unsent, f"{unsent} outbox messages unsent"
    orders = requests = busiest = throttled = repeated = 0
    for seller in state:
        name, shop_orders = seller["account"], seller["orders"]
        assert {e for a, e in imported if a == name} == set(shop_orders), f"{name}: imports"
        assert len(seller["warehouse_orders"]) == len(shop_orders), f"{name}: warehouse orders"
        assert all(len(tracking) == 1 for tracking in shop_orders.values()), f"{name}: pushes"
        assert seller["quantities"] == seller["expected"], f"{name}: quantities"
        orders += len(shop_orders)
        calls = seller["requests"]["shop"] + seller["requests"]["warehouse"]
        requests += calls
        busiest = max(busiest, calls)
        throttled += seller["throttled"]
        repeated += sum(n - 1 for n in seller["creates"].values())
    return Checked(orders, requests, busiest, throttled, repeated)


def change_stock(hub: Hub, seller: Seller, sku: str, quantity: int, reference: str) -> float:
    """A receipt committed (as the console or a warehouse callback would); its time."""
    at = datetime.now(UTC)
    movement = StockMovement(warehouse=seller.warehouse, sku=sku, kind=MovementKind.RECEIVE,
                             quantity=quantity, reason="bench restock", reference=reference,
                             at=at)  # fmt: skip
    with hub.sessions.begin() as session:
        record_movement(session, movement, now=at, dedupe_key=reference)
    return time.time()


def seen_at(hub: Hub, seller: Seller, sku: str, quantity: int, *, within: float) -> float:
    """When the shop first showed ``quantity`` for ``sku`` (polled every 10 ms)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        answer = hub.served.get(f"/quantity/{seller.index}/{sku}")
        if answer["quantity"] == quantity:
            return float(answer["at"])
        time.sleep(0.01)
    raise AssertionError(f"{seller.account} {sku} never showed {quantity}")


def start(
    hub: Hub, kind: str, *, workers: int, concurrency: int, logs: Path, debounce: float
) -> list[subprocess.Popen[str]]:
    """``channelhub run`` (embedded: it runs the jobs; procrastinate: HTTP only, for the
    warehouses' callbacks) and ``workers`` ``channelhub worker`` processes, once all are up."""
    logs.mkdir(parents=True, exist_ok=True)
    run = hub.process(kind, "run", "--port", str(hub.hub_port), debounce=debounce,
                      log=logs / f"{kind}-run.log")  # fmt: skip
    started = [run]
    for n in range(workers):
        log = logs / f"worker-{n}.log"
        started.append(hub.process(kind, "worker", "--concurrency", str(concurrency),
                                   debounce=debounce, log=log))  # fmt: skip
    deadline = time.monotonic() + 120
    # each says so once it serves (the embedded one's jobs start then: too busy for /health)
    waiting = {logs / f"{kind}-run.log": "channelhub running"} | {
        logs / f"worker-{n}.log": "job(s) at once" for n in range(workers)
    }
    while time.monotonic() < deadline:
        dead = [p for p in started if p.poll() is not None]
        if dead:
            stop(started)
            raise AssertionError(f"a hub process ended at start; see {logs}")
        waiting = {log: line for log, line in waiting.items() if line not in log.read_text()}
        if not waiting:
            return started
        time.sleep(0.05)
    stop(started)
    raise AssertionError(f"the hub processes did not start; see {logs}")
