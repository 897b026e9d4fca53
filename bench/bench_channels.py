"""Channels: import N orders, push M changed quantities and K fulfilments against each simulator.

For every sales channel that both the connector registry and the simulator registry know (and
that has a rig in ``bench/channels/``), in process over ``httpx.ASGITransport`` on a fake clock:
API calls per operation from the simulator's journal next to the contract minimum (each rig
states its derivation), orders per second and wall time, with the share of the wall time
spent inside the simulator (the stand-in is our code too, but not the code in production);
then the same with 10% injected
429/5xx answers, where the extra calls are the retries (the SDK's, and a push refused as
retryable sent again as the hub's outbox would). Defaults N=2,000, M=1,000, K=100,
multiplied by ``--scale``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from bench.channels import ChannelRig, Session, Workload, load_rig, rig_names, shippable
from bench.run import Figure
from channelhub.connectors.errors import RetryableError
from channelhub.connectors.registry import ConnectorRegistry
from channelhub.connectors.results import FulfilmentPush, QuantityPushResult, QuantityUpdate
from channelhub.connectors.roles import Role
from channelhub.core.models import Order
from channelhub.simulators.registry import simulator_names

ORDERS, QUANTITIES, FULFILMENTS = 2_000, 1_000, 100
FAULT_RATE = 0.10
FAULT_STATUSES = (429, 500, 503)
REPLAY_ROUNDS = 3  # a push refused as retryable is sent again, as the outbox would
TRACE_MEMORY = False  # tracemalloc would slow the code measured several times over
OPERATIONS = ("import orders", "push quantities", "push fulfilments")


@dataclass(frozen=True)
class Measured:
    operation: str
    calls: int
    minimum: int
    seconds: float
    simulator_seconds: float  # of ``seconds``, the time spent inside the simulator
    items: int  # orders imported, quantities accepted, packages accepted
    attempted: int  # orders in the simulator, quantities pushed, packages pushed


def workload(scale: float) -> Workload:
    return Workload(
        orders=max(1, round(ORDERS * scale)),
        quantities=max(1, round(QUANTITIES * scale)),
        fulfilments=max(1, round(FULFILMENTS * scale)),
    )


def channels() -> tuple[list[str], list[str]]:
    """(sales channels to benchmark, sales channels with a simulator but no rig yet)."""
    registry = ConnectorRegistry()
    both = {
        name
        for name in set(registry.names()) & set(simulator_names())
        if Role.SALES_CHANNEL in registry.get(name).roles
    }
    rigs = set(rig_names())
    return sorted(both & rigs), sorted(both - rigs)


async def _import(session: Session, rig_minimum: int) -> tuple[Measured, list[Order]]:
    session.sim.journal.clear()
    in_sim = session.timed.seconds
    started = time.perf_counter()
    orders: dict[str, Order] = {}
    cursor: str | None = None
    for _ in range(REPLAY_ROUNDS):  # a run that gives up resumes from its cursor, as the job does
        try:
            pages = session.connector.pull_orders(cursor, since=session.since)
            async for page in pages:
                if page.failures:
                    failed = page.failures[0]
                    raise RuntimeError(f"{len(page.failures)} orders failed to map: {failed}")
                orders.update((o.external_id, o) for o in page.items)
                cursor = page.cursor or cursor
            break
        except RetryableError:
            continue
    seconds = time.perf_counter() - started
    calls = len(session.sim.journal)
    expected = session.orders_held
    simulated = session.timed.seconds - in_sim
    measured = Measured(
        "import orders", calls, rig_minimum, seconds, simulated, len(orders), expected
    )
    return measured, list(orders.values())


async def _push_quantities(
    connector: Any, updates: list[QuantityUpdate]
) -> list[QuantityPushResult]:
    """Push, then push again what was refused as retryable, as the hub's outbox would."""
    final: dict[int, QuantityPushResult] = {}
    pending = list(range(len(updates)))
    for _ in range(REPLAY_ROUNDS):
        results = await connector.push_quantities([updates[i] for i in pending])
        final.update(zip(pending, results, strict=True))
        pending = [i for i, r in zip(pending, results, strict=True) if r.retryable]
        if not pending:
            break
    return [final[i] for i in range(len(updates))]


async def _push_fulfilment(
    rig: ChannelRig, connector: Any, push: FulfilmentPush, order: Order
) -> int:
    """Packages accepted; a push with a refused package is sent again (the connector reads
    back what the channel already holds, so a replay never ships a package twice)."""
    for _ in range(REPLAY_ROUNDS):
        results = await rig.send_fulfilment(connector, push, order)
        if all(r.accepted for r in results):
            break
    return sum(r.accepted for r in results)


async def run_channel(platform: str, load: Workload, fault_rate: float) -> list[Measured]:
    """One fresh simulator and connector; the three operations in turn."""
    rig = load_rig(platform)
    session = rig.start(load)
    if fault_rate:
        session.sim.faults.update(error_rate=fault_rate, error_statuses=FAULT_STATUSES)
    connector = session.connector
    try:
        imported, orders = await _import(session, rig.import_minimum(load.orders))

        listings = []
        async for page in connector.pull_listings():
            listings += page.items
        updates = rig.quantity_updates(session, listings, load.quantities)
        session.sim.journal.clear()
        in_sim = session.timed.seconds
        started = time.perf_counter()
        results = await _push_quantities(connector, updates)
        pushed = Measured(
            "push quantities",
            len(session.sim.journal),
            rig.quantities_minimum(updates),
            time.perf_counter() - started,
            session.timed.seconds - in_sim,
            sum(r.accepted for r in results),
            len(updates),
        )

        ready = sorted((o for o in orders if shippable(o)), key=lambda o: o.external_id)
        chosen = ready[: load.fulfilments]
        pushes = [rig.fulfilment_push(order, i, session.time.now) for i, order in enumerate(chosen)]
        session.sim.journal.clear()
        in_sim = session.timed.seconds
        started = time.perf_counter()
        accepted = 0
        for push, order in zip(pushes, chosen, strict=True):
            accepted += await _push_fulfilment(rig, connector, push, order)
        shipped = Measured(
            "push fulfilments",
            len(session.sim.journal),
            rig.fulfilments_minimum(pushes),
            time.perf_counter() - started,
            session.timed.seconds - in_sim,
            accepted,
            sum(len(p.packages) for p in pushes),
        )
    finally:
        await connector.aclose()
    return [imported, pushed, shipped]


def figures(label: str, measured: list[Measured]) -> list[Figure]:
    out = []
    for m in measured:
        out.append(Figure(f"{label} {m.operation}: API calls", m.calls, "calls", m.minimum))
        out.append(Figure(f"{label} {m.operation}: done / asked", m.items, f"of {m.attempted}"))
        out.append(Figure(f"{label} {m.operation}: wall time", m.seconds, "s"))
        out.append(Figure(f"{label} {m.operation}: in simulator", m.simulator_seconds, "s"))
        if m.operation == "import orders":
            rate = m.items / m.seconds if m.seconds else 0.0
            out.append(Figure(f"{label} {m.operation}: orders/s", rate, "orders/s"))
            ours = m.seconds - m.simulator_seconds
            own_rate = m.items / ours if ours > 0 else 0.0
            name = f"{label} {m.operation}: orders/s w/o sim"
            out.append(Figure(name, own_rate, "orders/s"))
    return out


def run(args: argparse.Namespace) -> list[Figure]:
    load = workload(args.scale)
    platforms, missing = channels()
    for platform in missing:
        print(f"  {platform}: connector and simulator present, no rig in bench/channels/ yet")
    print(
        f"  workload: {load.orders:,} orders, {load.quantities:,} quantities, "
        f"{load.fulfilments:,} fulfilments; channels: {', '.join(platforms)}"
    )
    out: list[Figure] = []
    http_log = logging.getLogger("channelhub.http")
    level = http_log.level
    http_log.setLevel(logging.ERROR)  # every injected fault would log a retry warning
    try:
        for platform in platforms:
            # a small untimed run first, so both rows measure warm code (imports, schemas)
            asyncio.run(
                run_channel(platform, Workload(orders=20, quantities=5, fulfilments=1), 0.0)
            )
            out += figures(platform, asyncio.run(run_channel(platform, load, 0.0)))
            faulted = asyncio.run(run_channel(platform, load, FAULT_RATE))
            out += figures(f"{platform} +{FAULT_RATE:.0%} faults", faulted)
    finally:
        http_log.setLevel(level)
    return out
