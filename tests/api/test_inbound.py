"""Hostile inbound requests: bodies bounded while read, refusals kept as bounded evidence and
rate limited per source, non-ASCII signatures, a misconfigured account, eBay's key fetches,
and the webhook intake job's per-record isolation."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from channelhub.api.app import create_app
from channelhub.api.limits import InboundLimits
from channelhub.cli.accounts import check_spec
from channelhub.cli.run import inbound_limits, serve_hub
from channelhub.connectors.ebay.notify import FETCH_BUDGET
from channelhub.connectors.shipbob.webhooks import webhook_signature as shipbob_signature
from channelhub.core.errors import ConfigError
from channelhub.jobs.accounts.connectors import ConnectorFactory
from channelhub.jobs.engine.runner import JobOptions
from channelhub.jobs.orders.webhook_intake import process_batch, process_one
from channelhub.mappings.shopify.webhooks import sign_webhook
from channelhub.settings import load_settings
from channelhub.simulators.ebay import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_REFRESH_TOKEN,
    sign_notification,
)
from channelhub.simulators.shopify import create_app as create_shop
from channelhub.simulators.shopify.webhooks import render_rest_order
from channelhub.store.crypto import Vault
from channelhub.store.repos.accounts import AccountInfo, add_account
from channelhub.store.repos.jobs import list_dead_letters, record_pending_deliveries
from channelhub.store.repos.payloads import store_raw_payloads
from channelhub.store.repos.refusals import list_refusals
from channelhub.store.tables.accounts import Account
from channelhub.store.tables.jobs import WebhookDelivery
from channelhub.store.tables.orders import OrderRow
from channelhub.store.tables.sync import RawPayload
from tests.ebay.harness import simulator
from tests.jobs.conftest import Clock

pytestmark = pytest.mark.anyio
SHOP_SECRET = "shpss_inbound"
CHUNK = 64 * 1024
FIFTY_MB = 50 * 1024 * 1024

#: every inbound POST route, with the header its signature travels in
ROUTES = {
    "shopify": ("/webhooks/shop", "X-Shopify-Hmac-Sha256"),
    "warehouse": ("/callbacks/warehouse/wms", "X-Channelhub-Signature"),
    "shipbob": ("/webhooks/shipbob/sb", "webhook-signature"),
    "easypost": ("/webhooks/easypost/ep", "X-Hmac-Signature"),
    "ebay": ("/webhooks/ebay/ebay-us", "X-EBAY-SIGNATURE"),
}


class Monotonic:
    """The connectors' monotonic clock, moved by hand."""

    def __init__(self) -> None:
        self.t = 1_000.0

    def __call__(self) -> float:
        return self.t


@dataclass
class Rig:
    app: FastAPI
    client: httpx.AsyncClient
    factory: sessionmaker[Session]
    clock: Clock
    mono: Monotonic
    ebay: Any
    built: list[str] = field(default_factory=list)


def _accounts(factory: sessionmaker[Session], vault: Vault, clock: Clock) -> None:
    def add(platform: str, name: str, credentials: dict[str, str], **kw: Any) -> None:
        secrets = {k: SecretStr(v) for k, v in credentials.items()}
        add_account(session, vault, platform=platform, name=name, credentials=secrets,
                    now=clock(), **kw)  # fmt: skip

    with factory.begin() as session:
        add("shopify", "shop", {"access_token": "shpat_x", "api_secret": SHOP_SECRET},
            base_url="http://shop.test")  # fmt: skip
        add("outbound_protocol", "wms", {"secret": "whsec_inbound"}, base_url="http://wms.test")
        add("shipbob", "sb", {"pat": "pat_x", "webhook_secret": "whsec_c2hpcGJvYg=="},
            settings={"channel_id": 7})  # fmt: skip
        add("shipbob", "sb-nochannel", {"pat": "pat_x", "webhook_secret": "whsec_c2hpcGJvYg=="})
        add("easypost", "ep", {"api_key": "k", "webhook_secret": "ep-secret"})
        add("ebay", "ebay-us", {
            "client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET,
            "refresh_token": DEFAULT_REFRESH_TOKEN, "verification_token": "tok" * 11,
        }, base_url="http://ebay.sim",
            settings={"notification_endpoint": "https://hub.example/webhooks/ebay/e"})  # fmt: skip


def _rig(factory: sessionmaker[Session], vault: Vault, clock: Clock, limits: InboundLimits) -> Rig:
    ebay = simulator(order_count=0)
    mono = Monotonic()
    connectors = ConnectorFactory(
        vault,
        transport=lambda row: httpx.ASGITransport(app=ebay) if row.platform == "ebay" else None,
        now=clock,
        clock=mono,
    )
    built: list[str] = []

    def counting(row: Any) -> Any:
        built.append(row.name)
        return connectors(row)

    app = create_app(
        session_factory=factory,
        connector_factory=counting,
        now=clock,
        limits=limits,
        background_intake=False,
    )
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub")
    return Rig(app, client, factory, clock, mono, ebay, built)


@pytest.fixture
def limits() -> InboundLimits:
    return InboundLimits()


@pytest.fixture
async def rig(
    session_factory: sessionmaker[Session], vault: Vault, clock: Clock, limits: InboundLimits
) -> AsyncIterator[Rig]:
    _accounts(session_factory, vault, clock)
    built = _rig(session_factory, vault, clock, limits)
    async with built.client:
        yield built


def _shopify(order: dict[str, Any], rig: Rig | Clock, *, webhook_id: str = "w-1") -> dict[str, Any]:
    clock = rig.clock if isinstance(rig, Rig) else rig
    body = json.dumps(order).encode()
    return {
        "content": body,
        "headers": {
            "X-Shopify-Hmac-Sha256": sign_webhook(body, SHOP_SECRET),
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Webhook-Id": webhook_id,
            "X-Shopify-Triggered-At": clock().isoformat(),
            "Content-Type": "application/json",
        },
    }


def _count(factory: sessionmaker[Session], table: Any) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


class Stream:
    """A 50 MB body sent in 64 KB chunks, counting how many the app pulled."""

    def __init__(self, total: int = FIFTY_MB) -> None:
        self.total = total
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.total // CHUNK):
            self.pulled += 1
            yield b"{" * CHUNK


@pytest.mark.parametrize("route", sorted(ROUTES))
async def test_a_streamed_50mb_body_is_refused_once_past_the_limit(
    rig: Rig, route: str, limits: InboundLimits
) -> None:
    path, header = ROUTES[route]
    stream = Stream()
    answer = await rig.client.post(path, content=stream, headers={header: "forged"})
    assert answer.status_code == 413
    limit = limits.callback_max_bytes if "callbacks" in path else limits.webhook_max_bytes
    assert stream.pulled <= limit // CHUNK + 1 < FIFTY_MB // CHUNK  # stopped reading early
    assert _count(rig.factory, RawPayload) == 0
    with rig.factory() as session:
        (kept,) = list_refusals(session)
        assert kept.status == 413 and kept.size > limit and kept.sha256 is None
        assert len(kept.head) <= limits.evidence_head_bytes
        assert kept.headers[header.lower()] == "(redacted, 6 chars)"


async def test_a_declared_length_over_the_limit_is_refused_before_reading(rig: Rig) -> None:
    stream = Stream()
    answer = await rig.client.post(
        "/webhooks/shop", content=stream, headers={"Content-Length": str(FIFTY_MB)}
    )
    assert answer.status_code == 413 and stream.pulled == 0


@pytest.mark.parametrize("limits", [InboundLimits(evidence_per_account=3, refusal_burst=100)])
async def test_forged_deliveries_keep_bounded_evidence_pruned_by_count_and_age(
    rig: Rig, limits: InboundLimits
) -> None:
    for n in range(6):
        forged = _shopify({"id": n, "note": "x" * 100_000}, rig)
        forged["headers"]["X-Shopify-Hmac-Sha256"] = sign_webhook(forged["content"], "guess")
        assert (await rig.client.post("/webhooks/shop", **forged)).status_code == 401
    with rig.factory() as session:
        kept = list_refusals(session, "shop")
        assert len(kept) == 3  # the oldest pruned
        assert all(len(k.head) == 4096 and k.size > 100_000 and k.sha256 for k in kept)
        assert bytes(kept[-1].head).startswith(b'{"id": 3,')  # 0, 1 and 2 pruned
        assert kept[0].headers["x-shopify-hmac-sha256"].startswith("(redacted")
    assert _count(rig.factory, RawPayload) == 0 and _count(rig.factory, WebhookDelivery) == 0
    rig.clock.advance(days=limits.evidence_days + 1)
    assert (await rig.client.post("/callbacks/warehouse/wms", content=b"{}")).status_code == 401
    with rig.factory() as session:
        assert [k.account for k in list_refusals(session)] == ["wms"]  # expired ones gone


@pytest.mark.parametrize(
    "limits",
    [InboundLimits(refusals_per_minute=6, refusal_burst=3, trusted_proxies=("127.0.0.1",))],
)
async def test_refusals_from_one_source_are_rate_limited(rig: Rig) -> None:
    def forged(source: str) -> dict[str, Any]:
        delivery = _shopify({"id": 1}, rig)
        delivery["headers"]["X-Shopify-Hmac-Sha256"] = "AAAA"
        delivery["headers"]["X-Forwarded-For"] = f"203.0.113.9, {source}"
        return delivery

    statuses = [
        (await rig.client.post("/webhooks/shop", **forged("198.51.100.1"))).status_code
        for _ in range(4)
    ]
    assert statuses == [401, 401, 401, 429]
    limited = await rig.client.post("/webhooks/shop", **forged("198.51.100.1"))
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "10"
    unknown = await rig.client.post("/webhooks/nobody", headers={"X-Forwarded-For": "198.51.100.1"})
    assert unknown.status_code == 429  # refused before the account is looked up
    other = await rig.client.post("/webhooks/shop", **forged("198.51.100.2"))
    assert other.status_code == 401
    rig.clock.advance(seconds=10)
    assert (await rig.client.post("/webhooks/shop", **forged("198.51.100.1"))).status_code == 401
    with rig.factory() as session:
        assert len(list_refusals(session, "shop")) == 5  # 429s keep nothing
    metrics = (await rig.client.get("/metrics")).text.splitlines()
    assert 'channelhub_refused_deliveries{account="shop"} 5' in metrics
    assert "channelhub_webhook_deliveries_pending 0" in metrics


@pytest.mark.parametrize("route", sorted(ROUTES))
@pytest.mark.parametrize(
    "value", [b"t=1,v1=\xc3\xa9\xc3\xa9", b"\xff\xfe", "hmac-sha256-hex=é".encode()]
)
async def test_a_non_ascii_signature_is_refused_not_a_500(
    rig: Rig, route: str, value: bytes
) -> None:
    path, header = ROUTES[route]
    body = json.dumps({"id": 1, "created_at": rig.clock().isoformat()}).encode()
    headers = {header: value, "webhook-id": "d1", "webhook-timestamp": "1"}
    answer = await rig.client.post(path, content=body, headers=headers)
    assert answer.status_code == 401


async def test_a_shipbob_account_without_channel_id_is_refused_clearly(rig: Rig) -> None:
    answer = await rig.client.post("/webhooks/shipbob/sb-nochannel", content=b"{}")
    assert answer.status_code == 503
    assert "not configured" in answer.json()["detail"]
    assert "accounts check" in answer.json()["detail"]


def _ebay_notification(rig: Rig, n: int) -> bytes:
    at = rig.clock().isoformat().replace("+00:00", "Z")
    return json.dumps(
        {
            "metadata": {"topic": "MARKETPLACE_ACCOUNT_DELETION", "schemaVersion": "1.0"},
            "notification": {"notificationId": f"n-{n}", "eventDate": at, "publishDate": at,
                             "data": {"username": "u", "userId": "x"}},
        },
        separators=(",", ":"),
    ).encode()  # fmt: skip


def _key_fetches(rig: Rig) -> list[str]:
    return [e.path for e in rig.ebay.journal.entries if "public_key" in e.path]


def _forged_kid(kid: str) -> str:
    header = {"alg": "ecdsa", "kid": kid, "signature": "AAAA", "digest": "SHA1"}
    return base64.b64encode(json.dumps(header).encode()).decode()


@pytest.mark.parametrize("limits", [InboundLimits(refusal_burst=1_000)])
async def test_ebay_keys_are_cached_per_account_and_forged_kids_cost_a_bounded_budget(
    rig: Rig,
) -> None:
    for n in range(3):
        body = _ebay_notification(rig, n)
        headers = {"X-EBAY-SIGNATURE": sign_notification(rig.ebay.shop, body)}
        answer = await rig.client.post("/webhooks/ebay/ebay-us", content=body, headers=headers)
        assert answer.status_code == 200, answer.text
    assert len(_key_fetches(rig)) == 1  # one key, fetched once for every request
    body = _ebay_notification(rig, 9)
    for _ in range(3):  # a kid eBay said it does not know is not asked for again
        headers = {"X-EBAY-SIGNATURE": _forged_kid("aaaaaaaa-forged")}
        answer = await rig.client.post("/webhooks/ebay/ebay-us", content=body, headers=headers)
        assert answer.status_code == 401
    assert len(_key_fetches(rig)) == 2
    for n in range(30):  # a forger names a new kid every time
        headers = {"X-EBAY-SIGNATURE": _forged_kid(f"0000{n:04d}-forged")}
        answer = await rig.client.post("/webhooks/ebay/ebay-us", content=body, headers=headers)
        assert answer.status_code == 401
    assert len(_key_fetches(rig)) == FETCH_BUDGET  # the genuine kid's fetch counts too
    for kid in ("../../sell/fulfillment/v1/order", "a/b", "x?y=1", "k" * 300):
        headers = {"X-EBAY-SIGNATURE": _forged_kid(kid)}
        answer = await rig.client.post("/webhooks/ebay/ebay-us", content=body, headers=headers)
        assert answer.status_code == 401
    fetched = _key_fetches(rig)
    assert len(fetched) == FETCH_BUDGET
    assert all(path.count("/") == fetched[0].count("/") for path in fetched)
    rig.mono.t += 601  # the budget refills with time
    headers = {"X-EBAY-SIGNATURE": _forged_kid("11111111-forged")}
    await rig.client.post("/webhooks/ebay/ebay-us", content=body, headers=headers)
    assert len(_key_fetches(rig)) == FETCH_BUDGET + 1
    assert rig.built.count("ebay-us") == 1  # one connector for all those requests


@pytest.mark.parametrize("limits", [InboundLimits(account_cache_seconds=0)])
async def test_connectors_are_built_once_per_account_and_rebuilt_when_it_changes(
    rig: Rig, vault: Vault
) -> None:
    for n in range(3):
        assert (await rig.client.post("/webhooks/shop", **_shopify({"id": n}, rig))).status_code
    assert rig.built == ["shop"]
    with rig.factory.begin() as session:
        row = session.scalars(select(Account).where(Account.name == "shop")).one()
        row.updated_at = rig.clock() + timedelta(seconds=1)
    await rig.client.post("/webhooks/shop", **_shopify({"id": 9}, rig))
    assert rig.built == ["shop", "shop"]


async def test_concurrent_requests_for_an_account_read_its_row_once(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = rig.app.state.hub.gate
    reads: list[str] = []
    lookup = gate._lookup

    def counted(name: str) -> Any:
        reads.append(name)
        return lookup(name)

    monkeypatch.setattr(gate, "_lookup", counted)
    rows = await asyncio.gather(*(gate.account("shop") for _ in range(8)), gate.account("nope"))
    assert reads.count("shop") == 1 and reads.count("nope") == 1
    assert {row.name for row in rows[:8]} == {"shop"} and rows[8] is None


async def test_the_accounts_connectors_are_built_when_the_app_starts(rig: Rig) -> None:
    assert rig.built == []
    async with rig.app.router.lifespan_context(rig.app):
        assert {"shop", "wms", "ebay-us"} <= set(rig.built)  # sb-nochannel: refused, logged
        built = len(rig.built)
        assert (await rig.client.post("/webhooks/shop", **_shopify({"id": 1}, rig))).status_code
        assert len(rig.built) == built  # the first delivery found its connector ready


ORDER = {"id": 450789469, "updated_at": "2026-03-01T10:00:00Z"}


def _boom(platform: str, kind: str) -> Any:
    def normalize(payload: Any, *, account: str) -> list[Any]:
        if payload.get("bad"):
            raise ZeroDivisionError("a mapping bug, not a hub error")
        return []

    return normalize


async def test_a_delivery_whose_record_raises_anything_is_kept_as_a_dead_letter(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    import channelhub.jobs.orders.webhook_intake as intake

    monkeypatch.setattr(intake, "normalizer", _boom)
    good = await rig.client.post("/webhooks/shop", **_shopify({**ORDER, "id": 1}, rig))
    bad = await rig.client.post(
        "/webhooks/shop", **_shopify({**ORDER, "id": 2, "bad": True}, rig, webhook_id="w-2")
    )
    assert good.json()["status"] == bad.json()["status"] == "accepted"  # both acknowledged
    counts = rig.app.state.hub.intake.run_once()
    assert (counts.processed, counts.dead_letters) == (1, 1)
    with rig.factory() as session:
        (letter,) = list_dead_letters(session)
        assert "ZeroDivisionError" in letter.reason and letter.job_kind == "webhook"
        raw = session.get(RawPayload, letter.raw_payload_id)
        assert raw is not None and json.loads(raw.body)["bad"] is True  # replayable
        pending = session.scalar(
            select(func.count()).select_from(WebhookDelivery)
            .where(WebhookDelivery.processed_at.is_(None))
        )  # fmt: skip
        assert pending == 0
        delivery = session.scalars(select(WebhookDelivery)).first()
        assert delivery is not None
    # a delivery another process already took is skipped, never applied twice
    assert process_one(rig.factory, delivery, now=rig.clock()).skipped == 1
    with rig.factory() as session:
        rows = list(session.scalars(select(WebhookDelivery)))
        session.expunge_all()
    assert process_batch(rig.factory, rows, now=rig.clock()).skipped == 2
    with rig.factory() as session:
        assert len(list_dead_letters(session)) == 1


async def test_a_real_shopify_order_is_stored_once_by_the_job(rig: Rig) -> None:
    sim = create_shop(seed=3, orders=1)
    sample = render_rest_order(next(iter(sim.shop.data.orders.values())))
    first = await rig.client.post("/webhooks/shop", **_shopify(sample, rig))
    again = await rig.client.post("/webhooks/shop", **_shopify(sample, rig, webhook_id="w-new"))
    assert [first.json()["status"], again.json()["status"]] == ["accepted", "duplicate"]
    assert rig.app.state.hub.intake.run_once().processed == 1
    assert _count(rig.factory, OrderRow) == 1


def test_inbound_settings_become_the_apps_limits(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        '[inbound]\ncallback_max_bytes = 4096\ntrusted_proxies = ["10.0.0.2"]\n'
    )
    settings = load_settings(tmp_path, env={"CHANNELHUB_INBOUND__WEBHOOK_MAX_BYTES": "2048"})
    limits = inbound_limits(settings.inbound.model_dump())
    assert (limits.webhook_max_bytes, limits.callback_max_bytes) == (2048, 4096)
    assert limits.trusted_proxies == ("10.0.0.2",)
    with pytest.raises(ConfigError, match="WEBHOOK_MAX_BYTES"):
        load_settings(tmp_path, env={"CHANNELHUB_INBOUND__WEBHOOK_MAX_BYTES": "10"})


def test_accounts_check_names_a_missing_shipbob_channel_id(
    session_factory: sessionmaker[Session], vault: Vault, clock: Clock
) -> None:
    _accounts(session_factory, vault, clock)
    with session_factory() as session:
        row = session.scalars(select(Account).where(Account.name == "sb-nochannel")).one()
        problems = list(check_spec(AccountInfo.of(row), vault.decrypt(row.credentials)))
    assert any("channel_id" in problem for problem in problems)


async def test_a_callback_whose_report_raises_anything_is_acknowledged_and_kept(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    import channelhub.api.callbacks as callbacks

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise KeyError("a parser bug")

    monkeypatch.setattr(callbacks, "parse_report", broken)
    body = json.dumps({"id": "evt_1", "created_at": rig.clock().isoformat()}).encode()
    ts = str(int(rig.clock().timestamp()))
    headers = {
        "webhook-id": "d-1",
        "webhook-timestamp": ts,
        "webhook-signature": shipbob_signature(SecretStr("whsec_c2hpcGJvYg=="), "d-1",
                                               int(ts), body),
        "shipbob-topic": "order.shipped",
    }  # fmt: skip
    answer = await rig.client.post("/webhooks/shipbob/sb", content=body, headers=headers)
    assert answer.status_code == 200 and answer.json()["status"] == "dead_letter"
    assert "KeyError" in answer.json()["reason"]
    with rig.factory() as session:
        (letter,) = list_dead_letters(session)
        assert letter.raw_payload_id is not None and letter.subject == "warehouse_callback"


def test_a_batch_stores_each_body_once_and_says_which_deliveries_are_new(
    session_factory: sessionmaker[Session], clock: Clock
) -> None:
    def raw(body: bytes) -> dict[str, Any]:
        return {"platform": "shopify", "account": "shop", "kind": "webhook",
                "external_id": None, "received_at": clock(), "body": body}  # fmt: skip

    with session_factory.begin() as session:
        first = store_raw_payloads(session, [raw(b"a"), raw(b"b"), raw(b"a")])
        assert first[0] == first[2] != first[1]
        again = store_raw_payloads(session, [raw(b"b"), raw(b"c")])
        assert again[0] == first[1] and again[1] not in first

        def row(event: str, payload: int) -> dict[str, Any]:
            return {"account": "shop", "event_id": event, "topic": "orders/create",
                    "received_at": clock(), "raw_payload_id": payload,
                    "platform": "shopify"}  # fmt: skip

        fresh = record_pending_deliveries(session, [row("e1", first[0]), row("e1", first[0])])
        assert fresh == [True, False]
        assert record_pending_deliveries(session, [row("e1", first[0]), row("e2", first[1])]) == [
            False,
            True,
        ]
    assert _count(session_factory, RawPayload) == 3


async def test_a_delivery_the_store_failed_to_keep_is_taken_on_the_retry(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    import channelhub.api.writer as writer

    stored = writer.store_raw_payloads

    def database_away(*_args: Any, **_kwargs: Any) -> Any:
        raise OperationalError("INSERT", {}, Exception("database is away"))

    monkeypatch.setattr(writer, "store_raw_payloads", database_away)
    delivery = _shopify({**ORDER, "id": 5}, rig, webhook_id="w-5")
    assert (await rig.client.post("/webhooks/shop", **delivery)).status_code == 503
    monkeypatch.setattr(writer, "store_raw_payloads", stored)
    retry = await rig.client.post("/webhooks/shop", **delivery)  # the same webhook id
    assert retry.status_code == 200 and retry.json()["status"] == "accepted"


async def test_channelhub_run_takes_in_deliveries_left_pending_and_new_ones(
    session_factory: sessionmaker[Session], vault: Vault, clock: Clock
) -> None:
    _accounts(session_factory, vault, clock)
    sample = render_rest_order(next(iter(create_shop(seed=3, orders=2).shop.data.orders.values())))
    with session_factory.begin() as session:  # accepted before a crash, never applied
        (payload,) = store_raw_payloads(session, [{
            "platform": "shopify", "account": "shop", "kind": "webhook", "external_id": None,
            "received_at": clock(), "body": json.dumps(sample).encode()}])  # fmt: skip
        record_pending_deliveries(session, [{
            "account": "shop", "event_id": "left-over", "topic": "orders/create",
            "received_at": clock(), "raw_payload_id": payload, "platform": "shopify"}])  # fmt: skip
    stop = asyncio.Event()
    ready: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    hub = asyncio.create_task(
        serve_hub(
            session_factory=session_factory,
            connector_factory=ConnectorFactory(vault, now=clock),
            plan=[],
            options=JobOptions(),
            port=0,
            now=clock,
            on_ready=lambda port, _service: ready.set_result(port),
            stop=stop,
        )
    )
    port = await asyncio.wait_for(ready, timeout=10)
    fresh = {**sample, "id": 1 + int(sample["id"]), "name": "#FRESH"}
    delivery = _shopify(fresh, clock)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        answer = await client.post("/webhooks/shop", **delivery)
    assert answer.json()["status"] == "accepted"
    stop.set()
    await asyncio.wait_for(hub, timeout=15)  # shutdown runs the intake's last pass
    assert _count(session_factory, OrderRow) == 2
    with session_factory() as session:
        assert not session.scalars(
            select(WebhookDelivery).where(WebhookDelivery.processed_at.is_(None))
        ).all()
