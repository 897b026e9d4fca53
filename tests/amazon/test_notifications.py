"""The Notifications API on the simulator and in the connector: grantless destinations, the
seller's subscription, and ORDER_CHANGE bodies that fit the published schema."""

from __future__ import annotations

import json
from typing import Any

import httpx
import jsonschema
import pytest

from channelhub.core.errors import InvalidInput
from channelhub.mappings.amazon import notifications as build
from channelhub.mappings.amazon import order_change
from tests.amazon.harness import make_rig
from tests.contracts import contract_file
from tests.swagger2 import SwaggerSpec

pytestmark = pytest.mark.anyio
ARN = "arn:aws:sqs:eu-west-1:123456789012:channelhub-orders"


def _definition_errors(definition: str, body: Any) -> list[str]:
    spec = SwaggerSpec.load(contract_file("amazon", "notifications.json"))
    validator = spec.body_validator({"$ref": f"#/definitions/{definition}"})
    return [e.message for e in validator.iter_errors(body)]


async def test_order_change_bodies_fit_the_schema_and_name_the_order() -> None:
    rig = make_rig(order_count=3)
    sent: list[tuple[str, str]] = []
    rig.sim.state.notifications.deliver = lambda arn, body: sent.append((arn, body))
    connector = rig.connector()
    made = await connector.subscribe_order_changes(ARN)
    assert made.created_destination and made.created_subscription
    placed = rig.sim.state.place_order()
    rig.sim.state.edit_order(placed, status="SHIPPED")
    schema = json.loads(contract_file("amazon", "OrderChangeNotification.json").read_text())
    assert [arn for arn, _ in sent] == [ARN, ARN]
    ids = set()
    for _, body in sent:
        document = json.loads(body)
        jsonschema.validate(document, schema)
        change = order_change(document)
        assert change.order_id == placed and change.seller_id == "A1SIMSELLER"
        ids.add(change.notification_id)
    assert len(ids) == 2  # each change is its own notification
    state = rig.sim.state.notifications
    (destination,) = state.destinations.values()
    assert _definition_errors("Destination", destination) == []
    assert _definition_errors("Subscription", state.subscriptions["ORDER_CHANGE"]) == []
    rig.assert_requests_follow_the_contract()
    await connector.aclose()


async def test_destinations_take_only_a_grantless_token_and_subscriptions_only_the_sellers() -> (
    None
):
    rig = make_rig(order_count=1)
    connector = rig.connector()
    seller = (await connector.token.get()).get_secret_value()
    grantless = (await connector.grantless.get()).get_secret_value()
    async with httpx.AsyncClient(transport=rig.transport, base_url="http://sp.sim") as client:
        refused = await client.get(
            "/notifications/v1/destinations", headers={"x-amz-access-token": seller}
        )
        taken = await client.get(
            "/notifications/v1/destinations", headers={"x-amz-access-token": grantless}
        )
        wrong = await client.get(
            "/notifications/v1/subscriptions/ORDER_CHANGE",
            headers={"x-amz-access-token": grantless},
        )
    assert refused.status_code == 403 and "grantless" in refused.text
    assert taken.status_code == 200 and taken.json() == {"payload": []}
    assert wrong.status_code == 403
    lwa = list(rig.sim.journal.matching("POST", "/auth/o2/token"))
    assert any(b"client_credentials" in e.body and b"notifications" in e.body for e in lwa)
    await connector.aclose()


async def test_a_subscription_to_another_destination_is_reported_not_replaced() -> None:
    rig = make_rig(order_count=1)
    connector = rig.connector()
    await connector.subscribe_order_changes(ARN)
    with pytest.raises(InvalidInput, match="already delivers to destination"):
        await connector.subscribe_order_changes(ARN.replace("channelhub-orders", "other"))
    assert len(rig.sim.state.notifications.subscriptions) == 1
    assert len(rig.sim.state.notifications.destinations) == 1  # nothing made for a refusal
    await connector.aclose()


def test_request_builders_refuse_what_amazon_would() -> None:
    with pytest.raises(InvalidInput, match="arn:aws:sqs:REGION"):
        build.create_destination_body(name="x", queue_arn="https://sqs.example/queue")
    body = build.create_destination_body(name="channelhub", queue_arn=ARN)
    assert _definition_errors("CreateDestinationRequest", body) == []
    subscription = build.create_subscription_body(destination_id="d-1")
    assert _definition_errors("CreateSubscriptionRequest", subscription) == []
    assert build.destination_for([{"destinationId": "d", "resource": {"sqs": {"arn": ARN}}}], ARN)
    assert build.destination_for([], ARN) is None
