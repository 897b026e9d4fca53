"""Console: render times of the main screens at 100,000 orders (HTTP round trip, logged in).

A migrated SQLite hub with 4 accounts, 100,000 orders (one in 50 open: held, failed, new),
20,000 job runs and 20,000 listings with 100,000 stock pushes (5 each); each page is rendered
5 times and the best is shown beside the login page (no data read: the plain baseline of the
stack). The issue asks for under 300 ms at 100,000 orders. ``--scale 0.01`` runs 1,000 orders.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import insert, select, update

from bench.run import Figure
from channelhub.api.app import create_app
from channelhub.api.console import ConsoleConfig
from channelhub.core.roles import Role
from channelhub.jobs.accounts.connectors import ConnectorFactory
from channelhub.store.crypto import Vault, generate_key
from channelhub.store.db import make_engine, make_session_factory, upgrade
from channelhub.store.repos.accounts import add_account
from channelhub.store.repos.console_users import add_user
from channelhub.store.tables.jobs import JobRun
from channelhub.store.tables.listings import ListingRow
from channelhub.store.tables.orders import OrderLineRow, OrderRow
from channelhub.store.tables.stock_sync import StockPushRow

TRACE_MEMORY = False
ORDERS = 100_000
RUNS = 20_000
LISTINGS = 20_000
PUSHES_PER_LISTING = 5
ACCOUNTS = 4
NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)
PASSWORD = "bench password 123"
OPEN = ("new", "on_hold", "exception", "approved")


def _seed(url: str, orders: int, runs: int) -> None:
    upgrade(url)
    factory = make_session_factory(make_engine(url))
    vault = Vault(generate_key())
    with factory.begin() as session:
        for i in range(ACCOUNTS):
            add_account(
                session,
                vault,
                platform="shopify",
                name=f"shop{i}",
                credentials={"access_token": SecretStr("x" * 20)},
                now=NOW,
                base_url="http://shop.test",
                settings={},
            )
        add_user(session, "bench", Role.VIEWER, PASSWORD, now=NOW)
        session.execute(
            insert(OrderRow),
            [
                {
                    "channel": "shopify",
                    "account": f"shop{i % ACCOUNTS}",
                    "external_id": str(i),
                    "channel_status": "paid",
                    "channel_state": "unshipped",
                    "hub_status": OPEN[(i // 50) % 4] if i % 50 == 0 else "delivered",
                    "fulfilled_by": "merchant",
                    "placed_at": NOW - timedelta(minutes=i),
                    "remote_updated_at": NOW,
                    "currency": "USD",
                    "total_amount": Decimal("10"),
                    "document": {},
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for i in range(orders)
            ],
        )
        session.execute(
            insert(JobRun),
            [
                {
                    "account": f"shop{i % ACCOUNTS}",
                    "job_kind": "pull_orders",
                    "holder": "bench",
                    "started_at": NOW - timedelta(minutes=i),
                    "finished_at": NOW - timedelta(minutes=i),
                    "outcome": "failed" if i % 20 == 0 else "ok",
                    "error": "HTTP 429" if i % 20 == 0 else None,
                }
                for i in range(runs)
            ],
        )


def _seed_stock(url: str, listings: int) -> None:
    """Listings spread over the accounts, each with a history of confirmed pushes."""
    factory = make_session_factory(make_engine(url))
    with factory.begin() as session:
        session.execute(
            insert(ListingRow),
            [
                {
                    "channel": "shopify",
                    "account": f"shop{i % ACCOUNTS}",
                    "listing_id": f"L{i:06d}",
                    "variation_id": "",
                    "channel_sku": f"SKU-{i:06d}",
                    "title": f"Listing {i}",
                    "quantity": i % 40,
                    "status": "active",
                    "identifiers": {},
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for i in range(listings)
            ],
        )
        session.execute(
            insert(StockPushRow),
            [
                {
                    "channel": "shopify",
                    "account": f"shop{i % ACCOUNTS}",
                    "listing_id": f"L{i:06d}",
                    "variation_id": "",
                    "quantity": n,
                    "explanation": {},
                    "trigger": "dirty",
                    "state": "confirmed",
                    "retryable": False,
                    "pushed_at": NOW - timedelta(hours=n),
                    "confirmed_at": NOW - timedelta(hours=n),
                }
                for n in range(PUSHES_PER_LISTING)
                for i in range(listings)
            ],
        )


BUYERS = ("Ann Lee", "Ben Ortiz", "Chloé Martin", "Dev Patel", "Emma Schulz", "Farid Haddad")


def _seed_orders_screen(url: str, orders: int) -> None:
    """What the Orders screen reads beside the orders: a buyer name and one line each (a SKU
    from a catalogue of 500), so the search and the line counts do real work."""
    factory = make_session_factory(make_engine(url))
    with factory.begin() as session:
        ids = list(session.scalars(select(OrderRow.id).order_by(OrderRow.id)))
        session.execute(
            update(OrderRow),
            [{"id": i, "buyer_name": f"{BUYERS[i % 6]} {i % 997}"} for i in ids],
        )
        session.execute(
            insert(OrderLineRow),
            [
                {
                    "order_id": i,
                    "line_id": "1",
                    "channel_sku": f"SKU-{i % 500:03d}",
                    "quantity": 1,
                    "cancelled_quantity": 0,
                    "shipped_quantity": 0,
                }
                for i in ids
            ],
        )


def _orders_figures(client: TestClient, orders: int) -> list[Figure]:
    """The Orders screen: page 1, a status filter, a deep page, a buyer, a SKU, an id."""
    deep = max(1, orders // 50 // 2)
    paths = [
        ("/orders", "GET /orders (newest 50 of all)"),
        ("/orders?status=on_hold", "GET /orders?status=on_hold (1 in 200 orders)"),
        (f"/orders?page={deep}", f"GET /orders?page={deep} (offset {(deep - 1) * 50:,})"),
        ("/orders?q=chlo", "GET /orders?q=chlo (a buyer, 1 in 6 orders)"),
        ("/orders?q=SKU-042", "GET /orders?q=SKU-042 (a SKU, 1 in 500 orders)"),
        (f"/orders?q={orders // 2}", "GET /orders?q=<order id>"),
        ("/orders?q=nobody", "GET /orders?q=nobody (no match: every row read)"),
        ("/exceptions", "GET /exceptions (every section)"),
    ]
    return [Figure(label, _best_ms(client, path), "ms") for path, label in paths]


def _best_ms(client: TestClient, path: str, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path)
        best = min(best, time.perf_counter() - started)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
    return best * 1000


def run(args: argparse.Namespace) -> list[Figure]:
    orders, runs = int(ORDERS * args.scale), int(RUNS * args.scale)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'hub.db'}"
        _seed(url, orders, runs)
        listings = int(LISTINGS * args.scale)
        _seed_stock(url, listings)
        _seed_orders_screen(url, orders)
        app = create_app(
            session_factory=make_session_factory(make_engine(url)),
            connector_factory=ConnectorFactory(Vault(generate_key())),
            now=lambda: NOW,
            console=ConsoleConfig(job_every={"pull_orders": 300}),
        )
        client = TestClient(app)
        login = _best_ms(client, "/login")
        form = client.get("/login").text
        token = form.split('name="csrf_token" value="')[1].split('"')[0]
        client.post("/login", data={"username": "bench", "password": PASSWORD, "csrf_token": token})
        return [
            Figure(f"GET /login (baseline, no data) [{orders:,} orders]", login, "ms"),
            Figure("GET / (Home, logged in)", _best_ms(client, "/"), "ms"),
            Figure(
                "GET /jobs (schedule, dead letters, run log page 1)",
                _best_ms(client, "/jobs"),
                "ms",
            ),
            Figure(
                "GET /jobs?outcome=failed&page=3",
                _best_ms(client, "/jobs?outcome=failed&page=3"),
                "ms",
            ),
            *_orders_figures(client, orders),
            Figure(
                f"GET /stock (listings page 1, last push) [{listings:,} listings, "
                f"{listings * PUSHES_PER_LISTING:,} pushes]",
                _best_ms(client, "/stock"),
                "ms",
            ),
            Figure(
                "GET /stock?page=N (a page a quarter of the way in)",
                _best_ms(client, f"/stock?page={max(1, listings // 50 // 4)}"),
                "ms",
            ),
            Figure(
                "GET /stock?account=shop1&q=sku-0001 (filter + search)",
                _best_ms(client, "/stock?account=shop1&q=sku-0001"),
                "ms",
            ),
            Figure("GET /warehouses", _best_ms(client, "/warehouses"), "ms"),
            Figure("GET /reconcile", _best_ms(client, "/reconcile"), "ms"),
        ]
