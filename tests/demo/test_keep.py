"""``channelhub demo --keep``: after the run the hub (HTTP app and scheduler, served as
``channelhub run`` serves it) and every simulator answer on loopback; a warehouse's callback
then reaches the hub over loopback; a stop (the event Ctrl-C sets) shuts it all down and frees
the ports. Driven by events and the demo's own jobs, never by sleeping."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from channelhub.cli.demo import keep_serving
from channelhub.core.lifecycle import HubStatus
from channelhub.core.order import OrderKey
from channelhub.demo import keep as kept_world
from channelhub.demo.flow import Hub, run_until_done
from channelhub.demo.keep import KEPT_STAGE, Kept
from channelhub.demo.next_steps import urls, what_to_try
from channelhub.demo.runner import run_demo
from channelhub.demo.scenario import WAREHOUSES
from channelhub.demo.summary import DemoSummary
from channelhub.jobs.engine.kinds import JobKind
from channelhub.jobs.orders.pipeline import process_order
from channelhub.store.tables.orders import OrderRow

#: A bound on every wait of the test (a hang fails it instead of blocking the suite).
BOUND = 60.0


def cod_order(summary: DemoSummary) -> OrderKey:
    key = next(k for k, why in summary.held.items() if "cash on delivery" in why)
    channel, account, external_id = key.split(":", 2)
    return OrderKey(channel=channel, account=account, external_id=external_id)


async def ship_over_loopback(hub: Hub, key: OrderKey) -> str:
    """Approve the held order, dispatch it, let the kept warehouse work: its signed callback
    goes to the served hub over loopback. Returns the order's hub status afterwards."""
    with hub.sessions.begin() as session:
        process_order(
            session,
            key,
            settings=hub.pipeline_settings(),
            now=hub.now(),
            actor="test",
            approved_by_hand=True,
        )
    for account, _ in WAREHOUSES.values():
        await run_until_done(hub, account, JobKind.DISPATCH_OUTBOX)
    hub.world.clock.tick(KEPT_STAGE * 4)  # picking, packed, shipped
    await kept_world.tick(hub)
    with hub.sessions() as session:
        query = select(OrderRow.hub_status).where(OrderRow.external_id == key.external_id)
        return str(session.scalar(query))


def test_keep_serves_hub_and_simulators_until_stopped(tmp_path: Path) -> None:
    home = tmp_path / "home"
    seen: dict[str, object] = {}

    async def scenario() -> DemoSummary:
        stop = asyncio.Event()

        async def keep(summary: DemoSummary, hub: Hub) -> None:
            up: list[Kept] = []
            ready = asyncio.Event()

            def on_ready(kept: Kept) -> None:
                up.append(kept)
                ready.set()

            serving = asyncio.create_task(
                keep_serving(
                    hub,
                    home=str(home),
                    on_ready=on_ready,
                    stop=stop,
                    schedule=False,  # the test runs the jobs itself
                    tick_every=3600.0,  # and ticks the warehouses itself
                )
            )
            waiting = asyncio.ensure_future(ready.wait())
            await asyncio.wait({waiting, serving}, timeout=BOUND, return_when="FIRST_COMPLETED")
            assert ready.is_set(), serving.exception() if serving.done() else "not ready"
            kept = up[0]
            seen["kept"], seen["summary"] = kept, summary
            async with httpx.AsyncClient(timeout=BOUND) as client:
                health = await client.get(f"{kept.hub_url}/health")
                seen["health"] = (health.status_code, health.json()["status"])
                assert kept.login is not None
                user, password = kept.login
                form = await client.get(f"{kept.hub_url}/login")
                token = form.text.split('name="csrf_token" value="')[1].split('"')[0]
                logged = await client.post(
                    f"{kept.hub_url}/login",
                    data={"username": user, "password": password, "csrf_token": token},
                )
                home_page = await client.get(f"{kept.hub_url}/")  # the client keeps cookies
                seen["console"] = (logged.status_code, home_page.status_code, home_page.text)
                journal = await client.get(f"{kept.simulators['amazon']}/_sim/journal")
                seen["journal"] = (journal.status_code, len(journal.json()))
                for name, url in kept.simulators.items():  # every simulator answers HTTP
                    answer = await client.get(f"{url}/_sim/faults")
                    seen[f"sim {name}"] = answer.status_code
            key = cod_order(summary)
            seen["status"] = await ship_over_loopback(hub, key)
            seen["loopback"] = hub.callback_url == kept.hub_url and hub._loopback is not None
            seen["carrier"] = len(hub.world.ups.packages)
            stop.set()  # what Ctrl-C does (serve_hub's SIGINT handler)
            await asyncio.wait_for(serving, BOUND)

        return await run_demo(home, size=0, speed=0, keep=keep)

    summary = asyncio.run(scenario())
    assert summary.failed() == []
    assert seen["health"] == (200, "ok")
    logged, shown, page = seen["console"]  # type: ignore[misc]
    assert (logged, shown) == (303, 200) and "Is everything flowing?" in page
    status, requests = seen["journal"]  # type: ignore[misc]
    assert status == 200 and requests > 0  # the demo's requests, recorded by the simulator
    kept = seen["kept"]
    assert isinstance(kept, Kept)
    assert set(kept.simulators) == {"amazon", "shopify", "ups", *WAREHOUSES}
    assert all(seen[f"sim {name}"] == 200 for name in kept.simulators)
    assert seen["status"] == HubStatus.SHIPPED.value  # the callback was applied by the hub
    assert seen["loopback"] is True
    assert seen["carrier"] == summary.packages + 1  # the new parcel reached the carrier
    # what the seller is told to try names these URLs and the demo home
    printed = " ".join(c for c, _ in what_to_try(kept, summary)) + str(urls(kept))
    assert f"curl {kept.hub_url}/health" in printed and str(home) in printed
    assert "jobs run pull_orders" in printed and "accounts list" in printed
    assert f"log in as demo / {kept.login[1]}" in printed  # type: ignore[index]
    # stopped: every port is released
    for url in (kept.hub_url, *kept.simulators.values()):
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{url}/health", timeout=BOUND)


def test_live_clock_never_runs_backwards() -> None:
    from datetime import UTC, datetime

    from channelhub.demo.world import DemoClock

    start = datetime(2026, 3, 1, tzinfo=UTC)
    behind = DemoClock(start)
    behind.go_live(start + timedelta(days=1))  # the demo ended in the past: jump to now
    assert behind() >= start + timedelta(days=1) and behind.speed == 1.0
    ahead = DemoClock(start + timedelta(days=2))
    ahead.go_live(start)  # the demo ran past now: keep its time
    assert ahead() >= start + timedelta(days=2)


def test_a_busy_port_is_refused_before_the_demo_runs() -> None:
    import socket

    from channelhub.cli.demo import check_port
    from channelhub.core.errors import ConfigError

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=f"--port {port}: .* is in use"):
            check_port(port)
    check_port(0)  # any free port: nothing to check
