"""Webhook intake: signed Shopify order deliveries from concurrent clients against `channelhub run`.

The real thing, over loopback: a `channelhub run` process (uvicorn, its scheduled jobs turned
off) on a fresh hub home, SQLite and, when CHANNELHUB_BENCH_POSTGRES_URL or
CHANNELHUB_TEST_POSTGRES_URL names a server, PostgreSQL (a throwaway database). ``CLIENTS``
clients POST ``2,000 x --scale`` distinct signed ``orders/create`` deliveries (rendered by the
Shopify simulator) as fast as they are answered, while a prober asks ``/health`` every 50 ms.
Printed: deliveries/s accepted, p50/p99 latency, /health latency during the burst, the time
until the intake job has stored every order, and that every order was stored exactly once;
beside them the CPU per delivery of the server and of the client (a lean asyncio client with
pre-rendered requests: httpx cost as much CPU as the hub's route), the rate those allow on
this machine's cores, and the load average (the machine is shared: figures move with it).
Goal on the project's machine: >= 300 deliveries/s at p99 <= 100 ms. The hub applies a burst
after it (up to 2 s of burst has the process to itself): ``--scale 3`` or more shows a
burst long enough to be applied while it goes on.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import func, select, text

from bench.databases import postgres_database
from bench.run import Figure
from channelhub.mappings.shopify.webhooks import sign_webhook
from channelhub.simulators.shopify import create_app as create_shop
from channelhub.simulators.shopify.webhooks import render_rest_order
from channelhub.store.db import make_engine
from channelhub.store.tables.jobs import WebhookDelivery
from channelhub.store.tables.orders import OrderRow

TRACE_MEMORY = False  # timings matter: tracemalloc would slow the bench process
FULL_SIZE = 2_000
CLIENTS = 16
SECRET = "shpss_bench_secret"
ACCOUNT = "bench-shop"
JOB_KINDS = (
    "pull_orders", "pull_listings", "push_stock", "dispatch_outbox", "poll_shipments",
    "push_tracking", "reconcile", "pull_stock",
)  # fmt: skip
PROCESS_TIMEOUT = 300.0


@dataclass
class Burst:
    """What the clients saw."""

    latencies: list[float] = field(default_factory=list)
    health: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    elapsed: float = 0.0
    client_cpu: float = 0.0  # CPU seconds of this (client) process during the burst
    server_cpu: float = 0.0  # CPU seconds of the server process during the burst


def deliveries(size: int) -> list[tuple[bytes, dict[str, str]]]:
    """``size`` signed orders/create deliveries of distinct orders."""
    sim = create_shop(seed=11, orders=min(size, 500))
    templates = [render_rest_order(o) for o in sim.shop.data.orders.values()]
    out = []
    now = datetime.now(UTC).isoformat()
    for n in range(size):
        order = dict(templates[n % len(templates)])
        order["id"] = 7_000_000_000_000 + n
        order["name"] = f"#B{n}"
        order["order_number"] = 100_000 + n
        body = json.dumps(order).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Hmac-Sha256": sign_webhook(body, SECRET),
            "X-Shopify-Webhook-Id": f"bench-{n}",
            "X-Shopify-Event-Id": f"{900_000_000 + n}",
            "X-Shopify-Triggered-At": now,
        }
        out.append((body, headers))
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _hub(home: Path, database_url: str) -> dict[str, str]:
    env = {**os.environ, "CHANNELHUB_HOME": str(home), "CHANNELHUB_LOG_LEVEL": "WARNING"}
    if database_url:
        env["CHANNELHUB_DATABASE_URL"] = database_url
    for kind in JOB_KINDS:
        env[f"CHANNELHUB_JOBS__EVERY__{kind.upper()}"] = "0"
    channelhub = shutil.which("channelhub") or "channelhub"
    for command in (
        ["init"],
        ["accounts", "add", "shopify", ACCOUNT, "--base-url", "http://127.0.0.1:9",
         "-c", "access_token=shpat_bench", "-c", f"api_secret={SECRET}", "-s", "location_id=1"],
    ):  # fmt: skip
        subprocess.run([channelhub, *command], env=env, check=True, capture_output=True)
    return env


@contextmanager
def _serving(env: dict[str, str], port: int) -> Iterator[subprocess.Popen[bytes]]:
    channelhub = shutil.which("channelhub") or "channelhub"
    process = subprocess.Popen(
        [channelhub, "run", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            if process.poll() is not None:
                raise RuntimeError(process.stderr.read().decode() if process.stderr else "")
            time.sleep(0.2)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _request(host: str, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    """One pre-rendered HTTP/1.1 keep-alive POST (rendered before the burst, not during it)."""
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> int:
    """Send one request and read its answer (Content-Length framed, as uvicorn sends them)."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


async def _burst(port: int, items: list[tuple[bytes, dict[str, str]]]) -> Burst:
    """``CLIENTS`` keep-alive connections sending pre-rendered requests over plain asyncio
    streams: a lean client (an httpx client costs ~1.5 ms of CPU per request, as much as the
    hub's route, and shares the machine's two cores with the server)."""
    result = Burst()
    host = f"127.0.0.1:{port}"
    requests = [_request(host, f"/webhooks/{ACCOUNT}", body, headers) for body, headers in items]
    health = _request(host, "/health", b"", {})
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for request in requests:
        queue.put_nowait(request)
    done = asyncio.Event()

    async def client() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while not queue.empty():
                request = queue.get_nowait()
                started = time.perf_counter()
                status = await _exchange(reader, writer, request)
                result.latencies.append(time.perf_counter() - started)
                result.statuses[status] = result.statuses.get(status, 0) + 1
        finally:
            writer.close()

    async def prober() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while not done.is_set():
                started = time.perf_counter()
                await _exchange(reader, writer, health)
                result.health.append(time.perf_counter() - started)
                await asyncio.sleep(0.05)
        finally:
            writer.close()

    probing = asyncio.create_task(prober())
    cpu = time.process_time()
    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(CLIENTS)))
    result.elapsed = time.perf_counter() - started
    result.client_cpu = time.process_time() - cpu
    done.set()
    await probing
    return result


FORGERIES = 8
FORGED_BYTES = 50 * 1024 * 1024


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _timed_burst(pid: int, port: int, items: list[tuple[bytes, dict[str, str]]]) -> Burst:
    before = _cpu_seconds(pid)
    burst = asyncio.run(_burst(port, items))
    burst.server_cpu = _cpu_seconds(pid) - before
    return burst


def _cpu_figures(label: str, burst: Burst, size: int) -> list[Figure]:
    """CPU per delivery on each side, and the rate they allow: the server (one process: the
    GIL makes it one core at most) and the client together share this machine's cores."""
    server_ms = burst.server_cpu / size * 1000
    client_ms = burst.client_cpu / size * 1000
    cores = os.cpu_count() or 1
    ceiling = min(1000 / server_ms if server_ms else 0, cores * 1000 / (server_ms + client_ms))
    return [
        Figure(f"{label}: server CPU per delivery", server_ms, "ms"),
        Figure(f"{label}: client CPU per delivery", client_ms, "ms"),
        Figure(f"{label}: ceiling if both had the CPU ({cores} cores)", ceiling, "/s"),
        Figure(f"{label}: machine load average (1 min)", os.getloadavg()[0], ""),
    ]


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def _forgeries(port: int) -> list[int]:
    """``FORGERIES`` concurrent 50 MB bodies with a forged signature, streamed (no length)."""

    async def chunks() -> AsyncIterator[bytes]:
        block = b"x" * 65_536
        for _ in range(FORGED_BYTES // len(block)):
            yield block

    async def one(http: httpx.AsyncClient) -> int:
        try:
            answer = await http.post(
                f"/webhooks/{ACCOUNT}",
                content=chunks(),
                headers={"X-Shopify-Hmac-Sha256": "forged", "X-Shopify-Webhook-Id": "f"},
            )
        except httpx.HTTPError:  # the server may close the connection after its 413
            return 413
        return answer.status_code

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
        return list(await asyncio.gather(*(one(http) for _ in range(FORGERIES))))


def _evidence_bytes(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return int(
                connection.scalar(
                    text("SELECT coalesce(sum(length(head)), 0) FROM refused_deliveries")
                )
                or 0
            )
    finally:
        engine.dispose()


def _stored(database_url: str) -> tuple[int, int, int, float]:
    """Wait until no delivery is pending; (orders, distinct orders, pending, seconds waited)."""
    engine = make_engine(database_url)
    started = time.perf_counter()
    try:
        while True:
            with engine.connect() as connection:
                pending = connection.scalar(
                    select(func.count())
                    .select_from(WebhookDelivery)
                    .where(WebhookDelivery.processed_at.is_(None))
                )
                if not pending or time.perf_counter() - started > PROCESS_TIMEOUT:
                    rows = connection.scalar(select(func.count()).select_from(OrderRow))
                    ids = connection.scalar(select(func.count(func.distinct(OrderRow.external_id))))
                    waited = time.perf_counter() - started
                    return int(rows or 0), int(ids or 0), int(pending or 0), waited
            time.sleep(0.1)
    finally:
        engine.dispose()


BASELINE_APP = """
import sys, uvicorn
from fastapi import FastAPI, Request
app = FastAPI()
@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
@app.post("/webhooks/{account}")
async def take(account: str, request: Request) -> dict[str, int]:
    return {"bytes": len(await request.body())}
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def baseline(size: int) -> list[Figure]:
    """The same burst against a bare FastAPI route on uvicorn that only reads the body: what
    this machine's client, loopback and server stack allow at best."""
    items = deliveries(size)
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-c", BASELINE_APP, str(port)])
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            time.sleep(0.2)
        burst = _timed_burst(process.pid, port, items)
    finally:
        process.terminate()
        process.wait(timeout=10)
    accepted = burst.statuses.get(200, 0)
    return [
        Figure("baseline (bare route): deliveries/s", accepted / burst.elapsed, "/s"),
        Figure("baseline (bare route): latency p50", _pct(burst.latencies, 0.5) * 1000, "ms"),
        Figure("baseline (bare route): latency p99", _pct(burst.latencies, 0.99) * 1000, "ms"),
        *_cpu_figures("baseline (bare route)", burst, size),
    ]


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(database_url: str, label: str, size: int) -> list[Figure]:
    """One backend: a hub home, `channelhub run`, the burst, then the stored orders."""
    items = deliveries(size)
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        env = _hub(home, database_url)
        url = database_url or f"sqlite:///{home / 'hub.db'}"
        port = _free_port()
        with _serving(env, port) as process:
            burst = _timed_burst(process.pid, port, items)
            orders, distinct, pending, waited = _stored(url)
            rss_before = _rss_mib(process.pid)
            forged = asyncio.run(_forgeries(port))
            rss_after = _rss_mib(process.pid)
            evidence = _evidence_bytes(url)
    accepted = burst.statuses.get(200, 0)
    return [
        Figure(f"{label}: deliveries accepted (200)", accepted, f"of {size}"),
        Figure(f"{label}: deliveries/s accepted", accepted / burst.elapsed, "/s", 300),
        Figure(f"{label}: latency p50", _pct(burst.latencies, 0.5) * 1000, "ms"),
        Figure(f"{label}: latency p99 (goal <= 100)", _pct(burst.latencies, 0.99) * 1000, "ms"),
        Figure(f"{label}: /health p50 during the burst", _pct(burst.health, 0.5) * 1000, "ms"),
        Figure(f"{label}: /health max during the burst", max(burst.health or [0]) * 1000, "ms"),
        Figure(f"{label}: all stored after the burst in", waited, "s"),
        Figure(f"{label}: orders stored (distinct)", distinct, f"of {size}"),
        Figure(f"{label}: orders stored twice", orders - distinct, "rows"),
        Figure(f"{label}: deliveries left pending", pending, "deliveries"),
        Figure(f"{label}: mean latency", statistics.fmean(burst.latencies or [0]) * 1000, "ms"),
        *_cpu_figures(label, burst, size),
        Figure(
            f"{label}: {FORGERIES} x 50 MB forged bodies refused 413", forged.count(413), "of 8"
        ),
        Figure(f"{label}: server RSS growth over them", rss_after - rss_before, "MiB"),
        Figure(f"{label}: evidence stored for them", evidence / 1024, "KiB"),
    ]


def run(args: argparse.Namespace) -> list[Figure]:
    """SQLite, then PostgreSQL when configured; ``2,000 x --scale`` deliveries each."""
    size = max(int(FULL_SIZE * getattr(args, "scale", 1.0)), 20)
    figures = baseline(size)
    figures += measure("", "sqlite", size)
    server = os.environ.get("CHANNELHUB_BENCH_POSTGRES_URL") or os.environ.get(
        "CHANNELHUB_TEST_POSTGRES_URL"
    )
    if server:
        with postgres_database(server) as url:
            figures += measure(url, "postgresql", size)
    return figures


if __name__ == "__main__":
    sys.exit("run it with: python -m bench.run webhooks")
