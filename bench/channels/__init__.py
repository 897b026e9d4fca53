"""Per-channel rigs for ``bench_channels``: how to start a channel's simulator and connector in
process, and the contract minimum of each operation.

A rig is a module ``bench/channels/<platform>.py`` exposing ``RIG`` (a :class:`ChannelRig`).
The benchmark runs every sales channel that the connector registry and the simulator registry
both know; adding a channel means adding one rig module here, nothing else.

Everything runs on one :class:`FakeTime`: the simulator's clock, the connector's clock and its
sleep. Rate-limit waits, retry back-offs and feed polls advance the fake clock instantly, so the
wall time measures our code (mapping, HTTP stack, simulator), never a sleep.
"""

from __future__ import annotations

import importlib
import math
import pkgutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from time import perf_counter
from typing import Any, Protocol

from channelhub.connectors.results import FulfilmentPush, PackagePushResult, QuantityUpdate
from channelhub.core.models import (
    ChannelOrderState,
    FulfilledBy,
    Listing,
    Order,
    Package,
    PackageLine,
)

START = datetime(2026, 3, 1, 12, tzinfo=UTC)


class FakeTime:
    """One clock for simulator and connector; sleeping advances it at once."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start
        self.slept = 0.0

    def utc(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return self.now.timestamp()

    async def sleep(self, seconds: float) -> None:
        # rounded up to the microsecond a datetime holds: a real sleep never ends early, and
        # a truncated step would leave the simulator's bucket a hair short of a token
        step = timedelta(microseconds=math.ceil(seconds * 1_000_000))
        self.slept += step.total_seconds()
        self.now += step


class TimedApp:
    """Wraps a simulator (an ASGI app) and adds up the wall time spent inside it, so a figure
    can separate the connector's own time from the stand-in's."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.seconds = 0.0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        started = perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            self.seconds += perf_counter() - started


@dataclass(frozen=True)
class Workload:
    """How much to do: N orders imported, M quantities pushed, K fulfilments pushed."""

    orders: int
    quantities: int
    fulfilments: int
    seed: int = 7


@dataclass
class Session:
    """One channel ready to benchmark: the simulator (with ``journal`` and ``faults``), the
    connector (a SalesChannel) and where the import starts."""

    sim: Any
    connector: Any
    since: datetime
    time: FakeTime
    orders_held: int  # how many orders the simulator holds (what an import must bring back)
    timed: TimedApp  # the simulator as the connector's transport reaches it


class ChannelRig(Protocol):
    platform: str

    def start(self, workload: Workload) -> Session:
        """A fresh simulator seeded with the workload's orders and listings, a connector on it,
        both on one new :class:`FakeTime`."""
        ...

    def quantity_updates(
        self, session: Session, listings: Sequence[Listing], count: int
    ) -> list[QuantityUpdate]:
        """``count`` changed quantities for some of ``listings`` (never an unchanged value)."""
        ...

    def fulfilment_push(self, order: Order, index: int, shipped_at: datetime) -> FulfilmentPush:
        """One package shipping every open line of ``order``."""
        ...

    async def send_fulfilment(
        self, connector: Any, push: FulfilmentPush, order: Order
    ) -> list[PackagePushResult]:
        """Push one fulfilment as the hub would (some channels take the stored order too)."""
        ...

    def import_minimum(self, orders: int) -> int: ...

    def quantities_minimum(self, updates: Sequence[QuantityUpdate]) -> int: ...

    def fulfilments_minimum(self, pushes: Sequence[FulfilmentPush]) -> int: ...


def rig_names() -> list[str]:
    """The platforms that have a rig module beside this file."""
    here = Path(__file__).parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))


def load_rig(platform: str) -> ChannelRig:
    rig: ChannelRig = importlib.import_module(f"bench.channels.{platform}").RIG
    return rig


# --- helpers the rigs share ---------------------------------------------------------------


def changed_quantity(listing: Listing, index: int) -> int:
    """A quantity different from the listing's current one (a push never repeats a value)."""
    return (listing.quantity or 0) + 1 + index % 7


def open_lines(order: Order) -> list[PackageLine]:
    """Every line of ``order`` with something left to ship, as package lines."""
    lines = []
    for line in order.lines:
        left = line.quantity - line.cancelled_quantity - line.shipped_quantity
        if left > 0:
            lines.append(
                PackageLine(
                    sku=line.channel_sku or line.line_id, quantity=left, order_line_id=line.line_id
                )
            )
    return lines


def shippable(order: Order) -> bool:
    """An order the seller ships and that is waiting for it, with a line left to ship."""
    return (
        order.fulfilled_by is FulfilledBy.MERCHANT
        and order.channel_state is ChannelOrderState.UNSHIPPED
        and bool(open_lines(order))
    )


def one_package_push(
    order: Order, index: int, shipped_at: datetime, *, carrier: str = "ups"
) -> FulfilmentPush:
    package = Package(
        tracking_number=f"1ZBENCH{index:08d}", carrier=carrier, lines=tuple(open_lines(order))
    )
    return FulfilmentPush(
        order_external_id=order.external_id, packages=(package,), shipped_at=shipped_at
    )


async def push_by_id(connector: Any, push: FulfilmentPush, order: Order) -> list[PackagePushResult]:
    """The plain SalesChannel call: the connector looks the order up itself if it must."""
    results: list[PackagePushResult] = await connector.push_fulfilment(push)
    return results
