"""The provider rigs of the settlement tests (simulator + account + spec check)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

import httpx

from channelhub.simulators.amazon import MARKETPLACES
from channelhub.simulators.amazon.app import DEFAULT_CREDENTIALS
from channelhub.simulators.clock import ManualClock
from channelhub.simulators.ebay import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_REFRESH_TOKEN,
)
from channelhub.simulators.ebay import create_simulator as create_ebay
from channelhub.simulators.shipbob import create_simulator as create_shipbob
from channelhub.simulators.shopify import create_app as create_shop
from tests.amazon.harness import FakeTime, make_rig
from tests.contracts import contract_file
from tests.ebay.harness import assert_journal_matches_specs
from tests.graphql_contract import assert_valid
from tests.jobs.test_shopify_flow import ShopTime
from tests.logistics.specs import schema_errors, shipbob_spec
from tests.settlement.harness import Rig
from tests.swagger2 import RecordedRequest, SpecSet

AMAZON_SPECS = ("finances_2024-06-19.json", "transfers_2024-06-01.json")


def amazon_rig(**options: Any) -> Rig:
    inner = make_rig(order_count=50, **options)

    def validate() -> int:
        specs = SpecSet.load(contract_file("finance", "amazon", name) for name in AMAZON_SPECS)
        requests = [
            RecordedRequest.from_parts(
                e.method,
                f"{e.path}?{e.query}" if e.query else e.path,
                headers=e.headers,
                content=e.body,
            )
            for e in inner.sim.journal.entries
            if e.path.startswith("/finances/")
        ]
        specs.assert_all_valid(requests)
        assert all(r.headers.get("x-amz-access-token") for r in requests)
        return len(requests)

    return Rig(
        account="acme-amazon",
        platform="amazon",
        plan=inner.sim.state.finance_plan,
        sim=inner.sim,
        factory_options={
            "transport": inner.transport,
            "now": inner.time.utc,
            "sleep": inner.time.sleep,
            "clock": inner.time.monotonic,
        },
        account_options={
            "credentials": DEFAULT_CREDENTIALS,
            "base_url": "http://sp.sim",
            "settings": {
                "seller_id": "A1SIMSELLER",
                "marketplace_ids": [m.marketplace_id for m in MARKETPLACES],
                "lwa_url": "http://sp.sim/auth/o2/token",
            },
        },
        validate=validate,
        now=inner.time.utc,
        extra={"time": inner.time, "transport": inner.transport},
    )


def ebay_rig() -> Rig:
    time = FakeTime()
    sim = create_ebay(seed=7, order_count=40, now=time.utc)
    transport = httpx.ASGITransport(app=sim)

    def validate() -> int:
        finance = [e for e in sim.journal.entries if e.path.startswith("/sell/finances/")]
        for entry in finance:
            assert entry.headers["authorization"].startswith("Bearer ")
        assert assert_journal_matches_specs(sim) >= len(finance)
        return len(finance)

    return Rig(
        account="acme-ebay",
        platform="ebay",
        plan=sim.shop.finance_plan,  # type: ignore[attr-defined]
        sim=sim,
        factory_options={
            "transport": transport,
            "now": time.utc,
            "sleep": time.sleep,
            "clock": time.monotonic,
        },
        account_options={
            "credentials": {
                "client_id": DEFAULT_CLIENT_ID,
                "client_secret": DEFAULT_CLIENT_SECRET,
                "refresh_token": DEFAULT_REFRESH_TOKEN,
            },
            "base_url": "http://ebay.sim",
            "settings": {},
        },
        validate=validate,
        now=time.utc,
    )


def shopify_rig() -> Rig:
    time = ShopTime()
    sim = create_shop(seed=5, orders=45, clock=time.clock, now=time.now)

    def validate() -> int:
        documents = [
            json.loads(e.body)["query"]
            for e in sim.journal.entries
            if e.path.endswith("/graphql.json") and b"shopifyPaymentsAccount" in e.body
        ]
        for document in documents:
            assert_valid(document)
        assert all(entry.outcome == "ok" for entry in sim.shop.journal)
        return len(documents)

    return Rig(
        account="acme-shop",
        platform="shopify",
        plan=sim.shop.data.finance_plan,
        sim=sim,
        factory_options={
            "transport": httpx.ASGITransport(app=sim),
            "now": time.now,
            "sleep": time.sleep,
            "clock": time.clock,
        },
        account_options={
            "credentials": {"access_token": "shpat_simulator", "api_secret": "s3cret"},
            "base_url": "https://channelhub-sim.myshopify.com",
            "settings": {"api_version": "2025-01"},
        },
        validate=validate,
        now=time.now,
    )


def _check_shipbob_request(method: str, path: str, query: str, body: bytes) -> None:
    """A billing request against the ShipBob spec: operation, declared query parameters
    (date-times parse), and the JSON body against the operation's schema."""
    spec = shipbob_spec()
    template = re.sub(r"/invoices/\d+/", "/invoices/{invoiceId}/", path)
    operation = spec["paths"][template][method.lower()]
    declared = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "query"}
    for name, value in parse_qsl(query):
        assert name in declared, f"{path}: {name} is not a parameter"
        if declared[name]["schema"].get("format") == "date-time":
            assert datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None
    if "requestBody" in operation:
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert schema_errors(spec, ref.rsplit("/", 1)[1], json.loads(body)) == []


def shipbob_rig() -> Rig:
    clock = ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
    sim = create_shipbob(clock=clock)
    state, billing = sim.app.state.shipbob, sim.app.state.billing

    def ship(count: int, first: int) -> None:
        for n in range(first, first + count):
            body = {
                "reference_id": f"hub-{n}",
                "order_number": f"ORD-{n}",
                "type": "DTC",
                "shipping_method": "Standard",
                "recipient": {"name": "Ana", "address": {"country": "US"}},
                "products": [{"reference_id": "MUG-RED", "name": "Mug", "quantity": 1}],
            }
            assert state.create(body)[0] == 201
        state.advance(timedelta(hours=3))

    ship(4, 1)
    clock.tick(timedelta(days=1))
    billing.bill()
    ship(3, 10)
    clock.tick(timedelta(days=1))
    billing.bill()
    ship(2, 20)  # shipped, not invoiced yet: deferred
    clock.tick(timedelta(hours=2))

    def validate() -> int:
        entries = [
            e for e in sim.journal.entries if "invoices" in e.path or "transactions" in e.path
        ]
        for entry in entries:
            assert entry.headers["authorization"] == "Bearer pat_sim"
            _check_shipbob_request(entry.method, entry.path, entry.query, entry.body)
        return len(entries)

    return Rig(
        account="acme-shipbob",
        platform="shipbob",
        plan=billing.plan(),
        sim=sim,
        factory_options={"transport": httpx.ASGITransport(app=sim), "now": clock},
        account_options={
            "credentials": {"pat": "pat_sim"},
            "base_url": "http://shipbob.sim",
            "settings": {"channel_id": "101"},
        },
        validate=validate,
        now=clock,
    )


def add_bad_record(rig: Rig) -> str:
    """A transaction whose amount is not a number: the mapping must set it aside."""
    if rig.platform == "amazon":
        bad = {
            "transactionId": "AMZ-BAD-1",
            "transactionType": "Shipment",
            "postedDate": rig.plan.events[0].posted_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "totalAmount": {"currencyCode": "USD", "currencyAmount": "twelve"},
        }
        rig.sim.state.finance_extra.append(bad)
        return "AMZ-BAD-1"
    if rig.platform == "ebay":
        rig.sim.shop.finance_extra.append(
            {
                "transactionId": "EB-BAD-1",
                "transactionType": "SALE",
                "transactionDate": rig.plan.events[0].posted_at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "bookingEntry": "SIDEWAYS",
                "amount": {"value": "1.00", "currency": "USD"},
            }
        )
        return "EB-BAD-1"
    if rig.platform == "shopify":
        rig.sim.shop.data.finance_extra.append(
            {
                "__typename": "ShopifyPaymentsBalanceTransaction",
                "id": "gid://shopify/ShopifyPaymentsBalanceTransaction/4999999",
                "type": "CHARGE",
                "test": False,
                "transactionDate": rig.plan.events[0].posted_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "amount": {"amount": "12.00", "currencyCode": "USD"},
                "fee": {"amount": "0.50", "currencyCode": "USD"},
                "net": {"amount": "11.50", "currencyCode": "USD"},
                "sourceType": "CHARGE",
                "adjustmentReason": None,
                "associatedOrder": None,
                "associatedPayout": {"id": None, "status": "PENDING"},
            }
        )
        # the bad part: a transaction date no one can read
        rig.sim.shop.data.finance_extra[-1]["transactionDate"] = "yesterday"
        return "4999999"
    if rig.platform == "shipbob":
        rig.sim.app.state.billing.extra.append(
            {"transaction_id": "SB-BAD-1", "transaction_type": "Charge", "amount": "lots"}
        )
        return "SB-BAD-1"
    raise NotImplementedError(rig.platform)


__all__ = ["add_bad_record", "amazon_rig", "ebay_rig", "shipbob_rig", "shopify_rig"]
