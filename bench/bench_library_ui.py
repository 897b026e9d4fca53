"""What the seller and operator touch by hand, on a hub with a realistic product library.

The library of ``bench stock_library`` (:data:`~bench.bench_stock_library.LIBRARY` SKUs, one
in twenty a combo, each listed and bound on three Shopify accounts: 30,000 listings and
bindings), plus :data:`UNPAIRED` listings no binding pairs (each with a GTIN on a SKU's
barcode, so the queue has candidates to score) and as many orders waiting on them. Then, in
this process, the best of :data:`REPEAT` runs of:

- the console pages (TestClient, logged in) beside ``GET /login`` (no data: the stack's
  floor): the pairing queue, a listing's pairing page, a bind from it (re-binding a bound
  listing each time), a SKU's stock page, a listing's stock explanation, the push preview;
- the CLI commands (``main()`` in this process, output captured) beside ``channelhub
  accounts list`` (the floor of a command that opens the database): ``pairing list|suggest|
  bind``, ``stock explain``, ``rules test``, ``products import`` of a one-row file.

``--scale`` multiplies the library (``--scale 0.01``: 100 SKUs, a plain small hub). SQLite.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import insert, update

from bench.bench_stock_library import ACCOUNTS, COMBO_EVERY, LIBRARY, change_stock, seed_library
from bench.run import Figure
from channelhub.api.app import create_app
from channelhub.api.console import ConsoleConfig
from channelhub.cli import main
from channelhub.core.order import Order
from channelhub.core.roles import Role
from channelhub.jobs.accounts.connectors import ConnectorFactory
from channelhub.settings import load_settings
from channelhub.store.crypto import Vault, generate_key, read_key_file
from channelhub.store.db import make_engine, make_session_factory
from channelhub.store.repos.accounts import add_account
from channelhub.store.repos.console_users import add_user
from channelhub.store.tables.listings import ListingRow
from channelhub.store.tables.orders import OrderLineRow, OrderRow
from channelhub.store.tables.products import SkuRow

TRACE_MEMORY = False
UNPAIRED = 120  # listings no binding pairs (more than two console pages of the queue)
REPEAT = 3
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PASSWORD = "bench password 123"
LISTING = "shopify:shop0:CH-S-00019"  # a bound combo of S-00001 (the changed SKU)


def _seed_hand_work(url: str, home: Path, size: int) -> None:
    """Beside the library: the accounts registered, a console user, barcodes on the SKUs, the
    unpaired listings (a GTIN each) and one order waiting on each of them."""
    engine = make_engine(url)
    try:
        with make_session_factory(engine).begin() as session:
            seed_library(session, size, ACCOUNTS)
            change_stock(session)
            vault = Vault(read_key_file(home / "secret.key"))
            for a in range(ACCOUNTS):
                add_account(
                    session,
                    vault,
                    platform="shopify",
                    name=f"shop{a}",
                    credentials={"access_token": SecretStr("x" * 20)},
                    now=NOW,
                    base_url="http://shop.test",
                    settings={},
                )
            add_user(session, "bench", Role.OPERATOR, PASSWORD, now=NOW)
            session.execute(update(SkuRow).values(barcode="0" + SkuRow.code))
            unpaired = range(min(UNPAIRED, size))
            session.execute(
                insert(ListingRow),
                [
                    {"channel": "shopify", "account": "shop0", "listing_id": f"U{n:05d}"}
                    | {"variation_id": "", "channel_sku": f"NEW-{n:05d}", "status": "active"}
                    | {"identifiers": {"gtin": f"0S-{n:05d}"}}
                    | {"created_at": NOW, "updated_at": NOW}
                    for n in unpaired
                ],
            )
            session.execute(
                insert(OrderRow),
                [
                    {"channel": "shopify", "account": "shop0", "external_id": f"W{n}"}
                    | {"channel_status": "paid", "channel_state": "unshipped"}
                    | {"hub_status": "awaiting_pairing", "fulfilled_by": "merchant"}
                    | {"placed_at": NOW - timedelta(minutes=n), "remote_updated_at": NOW}
                    | {"currency": "USD", "total_amount": Decimal("10"), "document": _document(n)}
                    | {"created_at": NOW, "updated_at": NOW}
                    for n in unpaired
                ],
            )
            ids = dict(
                session.execute(
                    OrderRow.__table__.select()
                    .with_only_columns(OrderRow.external_id, OrderRow.id)
                    .where(OrderRow.external_id.like("W%"))
                ).all()
            )
            session.execute(
                insert(OrderLineRow),
                [
                    {"order_id": ids[f"W{n}"], "line_id": "1", "channel_sku": f"NEW-{n:05d}"}
                    | {"quantity": 1, "cancelled_quantity": 0, "shipped_quantity": 0}
                    for n in unpaired
                ],
            )
    finally:
        engine.dispose()


def _document(n: int) -> dict[str, Any]:
    """The stored document of the order waiting on unpaired listing ``n``."""
    order = Order.model_validate(
        {
            "channel": "shopify",
            "account": "shop0",
            "external_id": f"W{n}",
            "channel_status": "paid",
            "placed_at": NOW - timedelta(minutes=n),
            "updated_at": NOW,
            "ship_to": {"name": "Ann Lee", "line1": "1 Main St", "city": "New York"}
            | {"region": "NY", "postal_code": "10001", "country": "US"},
            "totals": {"total": {"amount": "10.00", "currency": "USD"}},
            "lines": [{"line_id": "1", "channel_sku": f"NEW-{n:05d}", "quantity": 1}],
        },
        strict=False,
    )
    document = order.model_dump(mode="json")
    document.pop("hub_status")
    return document


def _best_ms(body: Callable[[int], Any]) -> float:
    best = float("inf")
    for n in range(REPEAT):
        started = time.perf_counter()
        body(n)
        best = min(best, time.perf_counter() - started)
    return best * 1000


def _get(client: TestClient, path: str) -> Callable[[int], Any]:
    def body(_: int) -> Any:
        response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
        return response

    return body


def _console(url: str, csrf: dict[str, str]) -> list[Figure]:
    engine = make_engine(url)
    app = create_app(
        session_factory=make_session_factory(engine),
        connector_factory=ConnectorFactory(Vault(generate_key())),
        now=lambda: NOW,
        console=ConsoleConfig(job_every={"pull_orders": 300}),
    )
    client = TestClient(app)
    login = _best_ms(_get(client, "/login"))
    form = client.get("/login").text
    token = form.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/login", data={"username": "bench", "password": PASSWORD, "csrf_token": token})
    home = client.get("/").text
    csrf["token"] = home.split('<meta name="csrf-token" content="')[1].split('"')[0]

    def bind(n: int) -> Any:
        sku = ("S-00019", "S-00039")[n % 2]  # a re-bind each time: a new version
        data = {"listing": LISTING, "sku": sku, "multiplier": "1", "scope": "account"}
        response = client.post("/pairing/bind", data=data, headers={"X-CSRF-Token": csrf["token"]})
        if f"-&gt; 1 x {sku}" not in response.text:
            raise RuntimeError(f"bind answered {response.status_code}: {response.text[:300]}")

    pages = [
        ("/pairing", "GET /pairing (unpaired queue, page 1)"),
        ("/pairing?page=2", "GET /pairing?page=2"),
        (f"/pairing/listing?listing={LISTING}", "GET /pairing/listing (one listing)"),
        ("/stock/sku/S-00001", "GET /stock/sku/S-00001 (balances, bindings)"),
        ("/stock/listing?key=shopify:shop0:L00019", "GET /stock/listing (explain one listing)"),
        ("/stock/push/shop0", "GET /stock/push/shop0 (full push preview)"),
    ]
    figures = [Figure("console: GET /login (baseline, no data)", login, "ms")]
    figures += [Figure(f"console: {label}", _best_ms(_get(client, p)), "ms") for p, label in pages]
    figures.append(Figure("console: POST /pairing/bind (re-bind, re-plan)", _best_ms(bind), "ms"))
    client.close()
    engine.dispose()
    return figures


def _cli(home: Path, folder: Path) -> list[Figure]:
    one_row = folder / "one.csv"
    one_row.write_text("code,kind,title\nNEW-SKU,single,A new SKU\n", encoding="utf-8")

    def command(*args: str) -> Callable[[int], Any]:
        def body(n: int) -> Any:
            argv = ["channelhub", "--home", str(home)]
            argv += [a.replace("{n}", ("S-00019", "S-00039")[n % 2]) for a in args]
            out = io.StringIO()
            old = sys.argv
            sys.argv = argv
            try:
                with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
                    main()
            except SystemExit as exc:
                if exc.code:
                    raise RuntimeError(f"{args} exited {exc.code}") from None
            finally:
                sys.argv = old
            return out.getvalue()

        return body

    commands = [
        (("accounts", "list"), "accounts list (baseline: opens the database)"),
        (("pairing", "list"), "pairing list (every binding, the queue)"),
        (("pairing", "suggest", "shopify:shop0:NEW-00001"), "pairing suggest LISTING"),
        (("pairing", "bind", LISTING, "{n}"), "pairing bind LISTING SKU (re-bind)"),
        (("stock", "explain", "shopify:shop0:L00019"), "stock explain LISTING"),
        (("rules", "test"), "rules test (the open orders)"),
        (("products", "import", str(one_row)), "products import (a one-row file)"),
    ]
    return [Figure(f"cli: {label}", _best_ms(command(*args)), "ms") for args, label in commands]


def run(args: argparse.Namespace) -> list[Figure]:
    size = max(int(LIBRARY * getattr(args, "scale", 1.0)), COMBO_EVERY)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        home = folder / "home"
        command = ["channelhub", "--home", str(home), "init"]
        old = sys.argv
        sys.argv = command
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                main()
        except SystemExit as exc:
            if exc.code:
                raise
        finally:
            sys.argv = old
        url = load_settings(home).resolved_database_url
        _seed_hand_work(url, home, size)
        at = f"[{size:,} SKUs x {ACCOUNTS} accounts, {min(UNPAIRED, size)} unpaired]"
        figures = [Figure(f"library {at}", size * ACCOUNTS, "bindings")]
        figures += _console(url, {})
        figures += _cli(home, folder)
    return figures
