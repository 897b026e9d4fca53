"""Amazon ORDER_CHANGE through a real SQS-compatible server (moto's, on loopback): the
connector subscribes the queue, the simulator sends each placed or changed order's
notification there, and the consumer reads the order back and stores it, once."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from channelhub.connectors.amazon import AmazonConnector
from channelhub.connectors.results import FulfilmentPush
from channelhub.core.errors import ConfigError
from channelhub.core.fulfilment import Package, PackageLine
from channelhub.jobs.accounts.connectors import ConnectorFactory
from channelhub.jobs.accounts.subscriptions import subscribe_orders
from channelhub.jobs.orders.sqs_orders import SqsOrderConsumer, start_consumers
from channelhub.simulators.amazon.notifications import sqs_deliver
from channelhub.store.crypto import Vault
from channelhub.store.repos.accounts import add_account
from channelhub.store.tables.jobs import DeadLetter, WebhookDelivery
from channelhub.store.tables.orders import OrderRow
from channelhub.store.tables.outbox import OutboxMessage, OutboxState
from channelhub.store.tables.sync import RawPayload
from tests.amazon.harness import Rig, make_rig

pytestmark = pytest.mark.anyio
REGION = "us-east-1"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def sqs_endpoint() -> Iterator[str]:
    """moto's SQS in server mode on a free loopback port (a real HTTP server)."""
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def _sqs(endpoint: str) -> Any:
    return boto3.client(
        "sqs",
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def queue_url(sqs_endpoint: str) -> str:
    return str(
        _sqs(sqs_endpoint).create_queue(QueueName=f"orders-{uuid.uuid4().hex[:12]}")["QueueUrl"]
    )


def _connector(rig: Rig, endpoint: str, url: str) -> AmazonConnector:
    context = rig.context(sqs_queue_url=url, sqs_region=REGION, sqs_endpoint_url=endpoint)
    credentials = {
        **context.credentials,
        "aws_access_key_id": SecretStr("testing"),
        "aws_secret_access_key": SecretStr("testing"),
    }
    return AmazonConnector(replace(context, credentials=credentials))


async def _subscribed(
    factory: sessionmaker[Session], endpoint: str, url: str, **options: Any
) -> tuple[Rig, AmazonConnector, SqsOrderConsumer, str]:
    """A simulator subscribed to the queue at ``url``, its connector and a consumer."""
    rig = make_rig(order_count=5, sqs_endpoint_url=endpoint, **options)
    connector = _connector(rig, endpoint, url)
    queue = connector.notification_queue
    assert queue is not None
    arn = await queue.arn()
    await connector.subscribe_order_changes(arn)
    consumer = SqsOrderConsumer(factory, connector=connector, queue=queue, now=rig.time.utc)
    return rig, connector, consumer, arn


def _count(factory: sessionmaker[Session], table: Any) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


async def test_placed_and_changed_orders_arrive_through_the_queue_once(
    session_factory: sessionmaker[Session], sqs_endpoint: str, queue_url: str
) -> None:
    rig, connector, consumer, arn = await _subscribed(
        session_factory, sqs_endpoint, queue_url, notification_duplicate_rate=1.0
    )
    placed = rig.sim.state.place_order()
    assert (
        rig.sim.state.notifications.sent[-1]["Payload"]["OrderChangeNotification"]["AmazonOrderId"]
        == placed
    )
    counts = await consumer.poll_once(wait_seconds=1)
    # delivered twice with one NotificationId: one getOrder, one order, both messages gone
    assert (counts.received, counts.stored, counts.duplicates) == (2, 1, 1)
    with session_factory() as session:
        row = session.scalars(select(OrderRow).where(OrderRow.external_id == placed)).one()
        assert row.channel == "amazon" and row.account == "acme-amazon"
        assert row.document["ship_to"]["line1"]  # read back with the RDT: the full address
    gets = list(rig.sim.journal.matching("GET", f"/orders/2026-01-01/orders/{placed}"))
    assert len(gets) == 1
    assert _count(session_factory, WebhookDelivery) == 1

    # a change is a new notification: the order is read again; the queue ends empty
    rig.time.now += timedelta(minutes=1)
    rig.sim.state.edit_order(placed, status="CANCELLED")
    assert (await consumer.poll_once(wait_seconds=1)).stored == 1
    with session_factory() as session:
        row = session.scalars(select(OrderRow).where(OrderRow.external_id == placed)).one()
        assert row.document["channel_state"] == "cancelled"
    assert (await consumer.poll_once(wait_seconds=0)).received == 0
    # running the set-up again changes nothing (getSubscription first)
    again = await connector.subscribe_order_changes(arn)
    assert not again.created_subscription and not again.created_destination
    assert len(rig.sim.state.notifications.subscriptions) == 1
    assert len(rig.sim.state.notifications.destinations) == 1
    operations = rig.assert_requests_follow_the_contract()
    assert {"createDestination", "createSubscription", "getSubscription"} <= set(operations)
    await connector.aclose()


async def test_a_bad_message_is_a_dead_letter_with_its_raw_body_and_the_rest_are_taken_in(
    session_factory: sessionmaker[Session], sqs_endpoint: str, queue_url: str
) -> None:
    rig, connector, consumer, _ = await _subscribed(session_factory, sqs_endpoint, queue_url)
    sqs = _sqs(sqs_endpoint)
    sqs.send_message(QueueUrl=queue_url, MessageBody="{not json")
    wrong = {"NotificationType": "ANY_OFFER_CHANGED", "Payload": {}}
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(wrong))
    placed = rig.sim.state.place_order()
    counts = await consumer.poll_once(wait_seconds=1)
    while counts.received < 3:  # SQS may hand the three out over two receives
        counts += await consumer.poll_once(wait_seconds=1)
    assert (counts.stored, counts.dead_letters) == (1, 2)
    with session_factory() as session:
        letters = list(session.scalars(select(DeadLetter)))
        bodies = {
            session.get(RawPayload, letter.raw_payload_id).body  # type: ignore[union-attr]
            for letter in letters
        }
        assert session.scalar(select(OrderRow.external_id)) == placed
    assert bodies == {b"{not json", json.dumps(wrong).encode()}
    assert all(letter.job_kind == "sqs_orders" for letter in letters)
    assert (await consumer.poll_once(wait_seconds=0)).received == 0  # all deleted
    await connector.aclose()


async def test_an_order_not_readable_yet_stays_queued_until_it_is(
    session_factory: sessionmaker[Session], sqs_endpoint: str, queue_url: str
) -> None:
    rig, connector, consumer, _ = await _subscribed(session_factory, sqs_endpoint, queue_url)
    sqs = _sqs(sqs_endpoint)
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"VisibilityTimeout": "0"})
    placed = rig.sim.state.place_order()
    rig.sim.faults.update(error_rate=1.0, error_statuses=(503,))
    counts = await consumer.poll_once(wait_seconds=1)
    assert (counts.received, counts.deferred, counts.stored) == (1, 1, 0)
    assert _count(session_factory, OrderRow) == 0
    assert _count(session_factory, WebhookDelivery) == 0  # not marked seen: read again later
    rig.sim.faults.clear()
    counts = await consumer.poll_once(wait_seconds=1)
    assert (counts.received, counts.stored) == (1, 1)
    with session_factory() as session:
        assert session.scalar(select(OrderRow.external_id)) == placed
    await connector.aclose()


async def test_unknown_order_is_set_aside_and_deleted(
    session_factory: sessionmaker[Session], sqs_endpoint: str, queue_url: str
) -> None:
    rig, connector, consumer, _ = await _subscribed(session_factory, sqs_endpoint, queue_url)
    placed = rig.sim.state.place_order()
    del rig.sim.state.orders[placed]  # Amazon no longer knows it (404 on getOrder)
    counts = await consumer.poll_once(wait_seconds=1)
    assert counts.dead_letters == 1 and counts.stored == 0
    with session_factory() as session:
        letter = session.scalars(select(DeadLetter)).one()
        assert letter.external_id == placed and "getOrder" in letter.reason
    assert (await consumer.poll_once(wait_seconds=0)).received == 0
    await connector.aclose()


async def test_sqs_deliver_finds_the_queue_by_its_arn(sqs_endpoint: str, queue_url: str) -> None:
    sqs = _sqs(sqs_endpoint)
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sqs_deliver(sqs_endpoint)(arn, '{"hello": 1}')
    got = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)["Messages"]
    assert [m["Body"] for m in got] == ['{"hello": 1}']


async def test_run_subscribes_and_consumes_for_amazon_accounts_with_a_queue(
    session_factory: sessionmaker[Session], vault: Vault, sqs_endpoint: str, queue_url: str
) -> None:
    rig = make_rig(order_count=3, sqs_endpoint_url=sqs_endpoint)
    context = rig.context()
    with session_factory.begin() as session:
        add_account(
            session,
            vault,
            platform="amazon",
            name="acme-amazon",
            credentials={
                **context.credentials,
                "aws_access_key_id": SecretStr("testing"),
                "aws_secret_access_key": SecretStr("testing"),
            },
            now=rig.time.utc(),
            base_url="http://sp.sim",
            settings={
                **context.settings,
                "sqs_queue_url": queue_url,
                "sqs_endpoint_url": sqs_endpoint,
                "sqs_region": REGION,
                "sqs_wait_seconds": 1,
            },
        )
    factory = ConnectorFactory(
        vault, transport=rig.transport, now=rig.time.utc, clock=rig.time.monotonic
    )
    lines = await subscribe_orders(session_factory, "acme-amazon", connector_factory=factory)
    assert lines[0].startswith("ORDER_CHANGE now delivered to arn:aws:sqs:")
    placed = rig.sim.state.place_order()
    # what `channelhub run` starts: one consumer, for the Amazon account with a queue only
    consumers = start_consumers(
        session_factory,
        connector_factory=factory,
        now=rig.time.utc,
        stop=asyncio.Event(),
        passes=1,
    )
    assert len(consumers.tasks) == 1
    (counts,) = await asyncio.gather(*consumers.tasks)
    await consumers.stop(asyncio.Event())
    assert counts.stored == 1
    with session_factory() as session:
        assert session.scalar(select(OrderRow.external_id)) == placed


async def test_an_amazon_account_without_a_queue_is_told_how_to_add_one(
    session_factory: sessionmaker[Session], vault: Vault
) -> None:
    rig = make_rig(order_count=1)
    context = rig.context()
    with session_factory.begin() as session:
        add_account(
            session,
            vault,
            platform="amazon",
            name="acme-amazon",
            credentials=dict(context.credentials),
            now=rig.time.utc(),
            base_url="http://sp.sim",
            settings=dict(context.settings),
        )
    factory = ConnectorFactory(vault, transport=rig.transport, now=rig.time.utc)
    with pytest.raises(ConfigError, match="sqs_queue_url"):
        await subscribe_orders(session_factory, "acme-amazon", connector_factory=factory)


async def test_an_order_its_mapping_refuses_is_a_replayable_dead_letter(
    session_factory: sessionmaker[Session], sqs_endpoint: str, queue_url: str
) -> None:
    rig, connector, consumer, _ = await _subscribed(session_factory, sqs_endpoint, queue_url)
    placed = rig.sim.state.place_order()
    rig.sim.state.orders[placed]["createdTime"] = "yesterday"  # not a date-time
    counts = await consumer.poll_once(wait_seconds=1)
    assert (counts.stored, counts.dead_letters) == (0, 1)
    with session_factory() as session:
        letter = session.scalars(select(DeadLetter)).one()
        raw = session.get(RawPayload, letter.raw_payload_id)
        assert letter.subject == "order" and letter.external_id == placed
        assert raw is not None and json.loads(raw.body)["orderId"] == placed  # the order's body
    assert (await consumer.poll_once(wait_seconds=0)).received == 0
    await connector.aclose()


async def test_a_shipment_confirmation_notified_confirms_the_waiting_push(
    session_factory: sessionmaker[Session], sqs_endpoint: str, queue_url: str
) -> None:
    """confirmShipment changes the order's status, Amazon notifies ORDER_CHANGE, and the
    consumer's read-back of the order confirms the push left waiting for it
    (channelhub/jobs/fulfilment/confirmations.py): no read-back of the push's own."""
    rig, connector, consumer, _ = await _subscribed(session_factory, sqs_endpoint, queue_url)
    wire = rig.unshipped_order()
    order_id, (item, *_) = wire["orderId"], wire["orderItems"]
    number = "1ZNOTIFIED1"
    line = PackageLine(sku="ANY", quantity=1, order_line_id=item["orderItemId"])
    package = Package(tracking_number=number, carrier="UPS", lines=(line,))
    with session_factory() as session, session.begin():  # what the push job leaves waiting
        session.add(
            OutboxMessage(
                idempotency_key=f"push:{order_id}:{number}",
                target=f"channel:amazon:{connector.account}",
                kind="fulfilment",
                payload={
                    "order_key": f"amazon:{connector.account}:{order_id}",
                    "order_external_id": order_id,
                    "package": package.model_dump(mode="json"),
                },
                state=OutboxState.SENDING.value,
                attempts=1,
                next_attempt_at=rig.time.now + timedelta(minutes=15),
                created_at=rig.time.now,
                updated_at=rig.time.now,
            )
        )
    push = FulfilmentPush(order_external_id=order_id, packages=(package,), shipped_at=rig.time.now)
    assert [r.accepted for r in await connector.push_fulfilment(push)] == [True]
    counts = await consumer.poll_once(wait_seconds=0)
    assert counts.stored == 1
    with session_factory() as session:
        state = session.scalar(select(OutboxMessage.state))
    assert state == OutboxState.SENT.value
    await connector.aclose()
