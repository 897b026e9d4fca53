"""The demo's flow for one sales channel, through the hub's real jobs, against simulators.

A channel simulator and the reference warehouse simulator run in process on one fake clock;
the hub imports listings and orders (the pipeline pairs them by exact SKU and allocates them
to the warehouse), dispatches them, receives the warehouse's signed shipment callbacks through
its own HTTP API, pushes the tracking back to the channel and then the stock. What each step
did is returned for the test to check against the channel simulator's own state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from channelhub.api.app import create_app as create_api
from channelhub.core.models import MovementKind, Sku, StockMovement, Warehouse
from channelhub.jobs import JobKind
from channelhub.jobs.accounts.connectors import ConnectorFactory
from channelhub.jobs.engine.runner import JobOptions, JobResult, run_job
from channelhub.jobs.fulfilment.outbound import FULFILMENT
from channelhub.simulators.warehouse import create_app as create_warehouse
from channelhub.store.crypto import Vault
from channelhub.store.repos.accounts import add_account
from channelhub.store.repos.products import upsert_sku
from channelhub.store.repos.stock import record_movement, upsert_warehouse
from channelhub.store.tables.accounts import Account
from channelhub.store.tables.orders import OrderRow
from channelhub.store.tables.outbox import OutboxMessage, OutboxState
from channelhub.store.tables.stock import WarehouseRow

WAREHOUSE, WH_ACCOUNT, WH_SECRET = "US-EAST", "wh-flow", "whsec_flow_0123456789"
OPENING = 500


class HubTime:
    """One fake time for the simulators, the connectors and the jobs (waiting moves it)."""

    def __init__(self, start: datetime) -> None:
        self.start, self.t = start, 0.0

    def clock(self) -> float:
        return self.t

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.t)

    async def sleep(self, seconds: float) -> None:
        self.t += max(seconds, 0.0)

    def tick(self, by: timedelta) -> None:
        self.t += by.total_seconds()


@dataclass
class FlowReport:
    """What the flow did, step by step."""

    listings: int = 0
    orders: int = 0
    runs: dict[str, list[JobResult]] = field(default_factory=dict)
    dispatched: int = 0
    shipped: int = 0
    callbacks: list[int] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    #: tracking pushes the channel did not take: tracking number -> the outbox's last error
    unsent: dict[str, str] = field(default_factory=dict)


@dataclass
class ChannelSetup:
    platform: str
    account: str
    sim: Any
    credentials: Mapping[str, str]
    settings: Mapping[str, object]
    skus: Sequence[str]  # the channel's SKUs: the hub's catalogue holds the same codes


def _seed(session: Session, vault: Vault, setup: ChannelSetup, now: datetime) -> None:
    add_account(
        session,
        vault,
        platform=setup.platform,
        name=setup.account,
        base_url=f"http://{setup.platform}.sim",
        credentials={k: SecretStr(v) for k, v in setup.credentials.items()},
        settings={**setup.settings, "jobs": {"push_stock": True}},
        now=now,
    )
    add_account(
        session,
        vault,
        platform="outbound_protocol",
        name=WH_ACCOUNT,
        base_url="http://wh.sim",
        credentials={"secret": SecretStr(WH_SECRET)},
        settings={"warehouse": WAREHOUSE},
        now=now,
    )
    for sku in setup.skus:
        upsert_sku(session, Sku(code=sku), now=now)
    upsert_warehouse(session, Warehouse(code=WAREHOUSE, country="US", account=WH_ACCOUNT), now=now)
    for sku in setup.skus:
        record_movement(
            session,
            StockMovement(
                warehouse=WAREHOUSE, sku=sku, kind=MovementKind.RECEIVE, quantity=OPENING,
                reason="opening stock", at=now,
            ),
            now=now,
        )  # fmt: skip
    for row in session.scalars(select(WarehouseRow).where(WarehouseRow.code == WAREHOUSE)):
        row.stock_known_at = now


async def run_channel_flow(
    sessions: sessionmaker[Session], vault: Vault, setup: ChannelSetup, time: HubTime
) -> FlowReport:
    """Import -> pair -> dispatch -> ship (signed callbacks) -> push tracking -> push stock."""
    report = FlowReport()
    api: list[httpx.AsyncClient] = []

    async def deliver(url: str, headers: dict[str, str], body: bytes) -> int:
        answer = await api[0].post(httpx.URL(url).path, headers=headers, content=body)
        report.callbacks.append(answer.status_code)
        return answer.status_code

    warehouse = create_warehouse(
        seed=4, secret=WH_SECRET, clock=time.now, deliver=deliver, warehouse=WAREHOUSE,
        hub_url=f"http://hub/callbacks/warehouse/{WH_ACCOUNT}",
        stock={sku: OPENING for sku in setup.skus},
    )  # fmt: skip
    transports = {
        setup.platform: httpx.ASGITransport(app=setup.sim),
        "outbound_protocol": httpx.ASGITransport(app=warehouse),
    }

    def transport(row: Account) -> httpx.AsyncBaseTransport:
        return transports[row.platform]

    factory = ConnectorFactory(
        vault, transport=transport, now=time.now, sleep=time.sleep, clock=time.clock
    )
    app = create_api(session_factory=sessions, connector_factory=factory, now=time.now)
    api.append(httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub"))
    with sessions.begin() as session:
        _seed(session, vault, setup, time.now())

    async def run(account: str, kind: JobKind) -> None:
        options = JobOptions(max_pages=1000, initial_lookback=timedelta(days=60))
        for _ in range(20):
            result = await run_job(
                sessions, account, kind, connector_factory=factory, now=time.now, options=options
            )
            report.runs.setdefault(kind.value, []).append(result)
            assert not result.error, f"{kind.value} {account}: {result.error}"
            if result.skipped or not result.more:
                return
        raise AssertionError(f"{kind.value} {account} never finished")

    try:
        await run(setup.account, JobKind.PULL_LISTINGS)
        await run(setup.account, JobKind.PULL_ORDERS)
        time.tick(timedelta(minutes=5))
        await run(WH_ACCOUNT, JobKind.DISPATCH_OUTBOX)
        sim = warehouse.state.warehouse
        report.dispatched = len(sim.orders)
        time.tick(timedelta(minutes=5))
        report.shipped = await sim.ship_now()
        for _ in range(3):  # refused or held-back callbacks go again
            if not sim.pending:
                break
            await sim.advance()
        time.tick(timedelta(minutes=5))
        await run(setup.account, JobKind.PUSH_TRACKING)
        time.tick(timedelta(minutes=5))
        await run(setup.account, JobKind.PUSH_STOCK)
    finally:
        await api[0].aclose()
    with sessions() as session:
        report.orders = int(
            session.scalar(
                select(func.count()).select_from(OrderRow).where(OrderRow.account == setup.account)
            )
            or 0
        )
        rows = session.execute(
            select(OrderRow.hub_status, func.count())
            .where(OrderRow.account == setup.account)
            .group_by(OrderRow.hub_status)
        )
        report.statuses = {str(status): int(n) for status, n in rows}
        unsent = session.execute(
            select(OutboxMessage.payload, OutboxMessage.last_error).where(
                OutboxMessage.kind == FULFILMENT, OutboxMessage.state != OutboxState.SENT.value
            )
        )
        report.unsent = {str(p.get("tracking_number")): str(e) for p, e in unsent}
    return report


def start_time() -> HubTime:
    return HubTime(datetime(2026, 3, 10, 12, 0, tzinfo=UTC))
