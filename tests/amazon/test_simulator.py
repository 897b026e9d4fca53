"""The Amazon simulator follows the contract: auth, PII only with an RDT, limits, pages, feeds."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from channelhub.mappings.amazon import normalize_orders
from channelhub.simulators.amazon import create_app
from channelhub.simulators.amazon.app import DEFAULT_CREDENTIALS
from tests.contracts import contract_file
from tests.swagger2 import SwaggerSpec, validate_json_document

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
SEARCH = "/orders/2026-01-01/orders"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def client(clock: Clock) -> AsyncIterator[httpx.AsyncClient]:
    sim = create_app(seed=3, order_count=60, listing_count=30, now=clock)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sim), base_url="http://sim"
    ) as c:
        c.sim = sim  # type: ignore[attr-defined]
        yield c


async def _token(client: httpx.AsyncClient) -> dict[str, str]:
    answer = await client.post(
        "/auth/o2/token", data={"grant_type": "refresh_token", **DEFAULT_CREDENTIALS}
    )
    assert answer.status_code == 200 and answer.json()["expires_in"] == 3600
    return {"x-amz-access-token": answer.json()["access_token"]}


def _schema_errors(spec_name: str, definition: str, body: Any) -> list[str]:
    spec = SwaggerSpec.load(contract_file("amazon", spec_name))
    validator = spec.body_validator({"$ref": f"#/definitions/{definition}"})
    return [e.message for e in validator.iter_errors(body)]


@pytest.mark.anyio
async def test_lwa_refuses_a_wrong_refresh_token(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/auth/o2/token",
        data={**DEFAULT_CREDENTIALS, "grant_type": "refresh_token", "refresh_token": "x"},
    )
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"


@pytest.mark.anyio
async def test_missing_and_expired_tokens_get_amazons_error_body(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    params = {"lastUpdatedAfter": "2026-01-01T00:00:00Z"}
    missing = await client.get(SEARCH, params=params)
    assert missing.status_code == 403
    assert _schema_errors("orders_2026-01-01.json", "ErrorList", missing.json()) == []
    headers = await _token(client)
    clock.now = NOW + timedelta(seconds=3600)
    expired = await client.get(SEARCH, params=params, headers=headers)
    assert expired.status_code == 403
    assert "expired" in expired.json()["errors"][0]["details"]


@pytest.mark.anyio
async def test_pages_cover_every_order_once_and_token_must_travel_alone(
    client: httpx.AsyncClient,
) -> None:
    headers = await _token(client)
    params = {
        "lastUpdatedAfter": "2025-01-01T00:00:00Z",
        "includedData": "FULFILLMENT,PROCEEDS",
        "maxResultsPerPage": "7",
    }
    seen: list[str] = []
    answer = await client.get(SEARCH, params=params, headers=headers)
    while True:
        assert answer.status_code == 200, answer.text
        assert answer.headers["x-amzn-RateLimit-Limit"] == "0.0056"
        body = answer.json()
        assert _schema_errors("orders_2026-01-01.json", "SearchOrdersResponse", body) == []
        seen += [o.external_id for o in normalize_orders(body, account="sim")]
        token = body.get("pagination", {}).get("nextToken")
        if token is None:
            break
        answer = await client.get(SEARCH, params={"paginationToken": token}, headers=headers)
    assert sorted(seen) == sorted(client.sim.state.orders)  # type: ignore[attr-defined]
    mixed = await client.get(
        SEARCH, params={"paginationToken": token or "x", "maxResultsPerPage": "5"}, headers=headers
    )
    assert mixed.status_code == 400


@pytest.mark.anyio
async def test_window_end_must_be_two_minutes_back(client: httpx.AsyncClient) -> None:
    headers = await _token(client)
    params = {
        "lastUpdatedAfter": "2026-02-01T00:00:00Z",
        "lastUpdatedBefore": "2026-03-01T11:59:00Z",
    }
    answer = await client.get(SEARCH, params=params, headers=headers)
    assert answer.status_code == 400 and "two minutes" in answer.json()["errors"][0]["message"]


@pytest.mark.anyio
async def test_buyer_data_only_with_a_restricted_data_token(client: httpx.AsyncClient) -> None:
    headers = await _token(client)
    params = {
        "lastUpdatedAfter": "2025-01-01T00:00:00Z",
        "includedData": "BUYER,RECIPIENT,FULFILLMENT,PROCEEDS",
    }
    plain = (await client.get(SEARCH, params=params, headers=headers)).json()["orders"][0]
    assert "buyer" not in plain and "name" not in plain["recipient"]["deliveryAddress"]
    rdt_request = {
        "restrictedResources": [
            {"method": "GET", "path": SEARCH, "dataElements": ["buyerInfo", "shippingAddress"]}
        ]
    }
    rdt = (
        await client.post(
            "/tokens/2021-03-01/restrictedDataToken", json=rdt_request, headers=headers
        )
    ).json()
    restricted = {"x-amz-access-token": rdt["restrictedDataToken"]}
    full = (await client.get(SEARCH, params=params, headers=restricted)).json()["orders"][0]
    assert full["buyer"]["buyerName"] and full["recipient"]["deliveryAddress"]["name"]
    other = await client.get(f"{SEARCH}/{full['orderId']}", headers=restricted)
    assert other.status_code == 403  # the RDT covers only the path it was made for


@pytest.mark.anyio
async def test_a_restricted_data_token_expires_after_expires_in(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    headers = await _token(client)
    rdt_request = {
        "restrictedResources": [
            {"method": "GET", "path": f"{SEARCH}/{{orderId}}", "dataElements": ["buyerInfo"]}
        ]
    }
    answer = await client.post(
        "/tokens/2021-03-01/restrictedDataToken", json=rdt_request, headers=headers
    )
    assert answer.status_code == 200 and answer.json()["expiresIn"] == 3600
    restricted = {"x-amz-access-token": answer.json()["restrictedDataToken"]}
    order_id = sorted(client.sim.state.orders)[0]  # type: ignore[attr-defined]
    params = {"includedData": "BUYER"}
    # the {orderId} pattern covers every order; the token holds until expiresIn has passed
    clock.now = NOW + timedelta(seconds=3599)
    ok = await client.get(f"{SEARCH}/{order_id}", params=params, headers=restricted)
    assert ok.status_code == 200 and ok.json()["order"]["buyer"]["buyerName"]
    clock.now = NOW + timedelta(seconds=3600)
    expired = await client.get(f"{SEARCH}/{order_id}", params=params, headers=restricted)
    assert expired.status_code == 403
    assert "expired" in expired.json()["errors"][0]["details"]


@pytest.mark.anyio
async def test_rate_limit_answers_429_quota_exceeded(client: httpx.AsyncClient) -> None:
    headers = await _token(client)
    params = {"lastUpdatedAfter": "2025-01-01T00:00:00Z"}
    statuses = [
        (await client.get(SEARCH, params=params, headers=headers)).status_code for _ in range(21)
    ]
    assert statuses[:20] == [200] * 20 and statuses[20] == 429
    throttled = await client.get(SEARCH, params=params, headers=headers)
    assert throttled.json()["errors"][0]["code"] == "QuotaExceeded"


@pytest.mark.anyio
async def test_injected_faults_use_amazon_error_bodies(client: httpx.AsyncClient) -> None:
    headers = await _token(client)
    client.sim.faults.update(fail_next=1, error_statuses=(503,))  # type: ignore[attr-defined]
    answer = await client.get(
        SEARCH, params={"lastUpdatedAfter": "2025-01-01T00:00:00Z"}, headers=headers
    )
    assert answer.status_code == 503 and answer.json()["errors"][0]["code"] == "ServiceUnavailable"
    assert client.sim.journal.entries[-1].fault == "error:503"  # type: ignore[attr-defined]


@pytest.mark.anyio
async def test_feed_round_trip_and_per_sku_report(client: httpx.AsyncClient) -> None:
    headers = await _token(client)
    state = client.sim.state  # type: ignore[attr-defined]
    sku = sorted(state.listings)[0]
    product_type = state.listings[sku]["summaries"][0]["productType"]
    document = {
        "header": {"sellerId": "A1SIMSELLER", "version": "2.0"},
        "messages": [
            {
                "messageId": 1,
                "sku": sku,
                "operationType": "PATCH",
                "productType": product_type,
                "patches": [
                    {
                        "op": "replace",
                        "path": "/attributes/fulfillment_availability",
                        "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 77}],
                    }
                ],
            },
            {
                "messageId": 2,
                "sku": "NOPE",
                "operationType": "PATCH",
                "productType": "SHOES",
                "patches": [
                    {
                        "op": "replace",
                        "path": "/attributes/fulfillment_availability",
                        "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 1}],
                    }
                ],
            },
        ],
    }
    created = await client.post(
        "/feeds/2021-06-30/documents",
        json={"contentType": "application/json; charset=UTF-8"},
        headers=headers,
    )
    assert created.status_code == 201
    url = created.json()["url"]
    leaked = await client.put(url, content=json.dumps(document), headers=headers)
    assert leaked.status_code == 400  # the access token must not go to the upload URL
    assert (await client.put(url, content=json.dumps(document))).status_code == 200
    feed = await client.post(
        "/feeds/2021-06-30/feeds",
        json={
            "feedType": "JSON_LISTINGS_FEED",
            "marketplaceIds": ["ATVPDKIKX0DER"],
            "inputFeedDocumentId": created.json()["feedDocumentId"],
        },
        headers=headers,
    )
    assert feed.status_code == 202
    statuses = []
    for _ in range(3):
        polled = (
            await client.get(f"/feeds/2021-06-30/feeds/{feed.json()['feedId']}", headers=headers)
        ).json()
        assert _schema_errors("feeds_2021-06-30.json", "Feed", polled) == []
        statuses.append(polled["processingStatus"])
    assert statuses == ["IN_PROGRESS", "IN_PROGRESS", "DONE"]
    report_doc = (
        await client.get(
            f"/feeds/2021-06-30/documents/{polled['resultFeedDocumentId']}", headers=headers
        )
    ).json()
    report = (await client.get(report_doc["url"])).json()
    report_schema = contract_file("amazon", "listings-feed-processing-report-schema-v2.json")
    assert validate_json_document(report, report_schema) == []
    assert report["summary"]["messagesAccepted"] == 1 and report["issues"][0]["sku"] == "NOPE"
    assert state.listings[sku]["fulfillmentAvailability"][0]["quantity"] == 77


@pytest.mark.anyio
async def test_confirm_shipment_updates_the_order(client: httpx.AsyncClient, clock: Clock) -> None:
    headers = await _token(client)
    state = client.sim.state  # type: ignore[attr-defined]
    order = next(
        o
        for o in state.orders.values()
        if o["fulfillment"]["fulfillmentStatus"] == "UNSHIPPED"
        and o["fulfillment"]["fulfilledBy"] == "MERCHANT"
    )
    body = {
        "marketplaceId": order["salesChannel"]["marketplaceId"],
        "packageDetail": {
            "packageReferenceId": "1",
            "carrierCode": "UPS",
            "trackingNumber": "1Z1",
            "shipDate": "2026-03-01T10:00:00Z",
            "orderItems": [
                {"orderItemId": i["orderItemId"], "quantity": i["quantityOrdered"]}
                for i in order["orderItems"]
            ],
        },
    }
    clock.now = NOW + timedelta(minutes=10)
    path = f"/orders/v0/orders/{order['orderId']}/shipmentConfirmation"
    assert (await client.post(path, json=body, headers=headers)).status_code == 204
    assert order["fulfillment"]["fulfillmentStatus"] == "SHIPPED"
    assert order["lastUpdatedTime"] == "2026-03-01T12:10:00Z"
    assert (await client.post(path, json=body, headers=headers)).status_code == 204  # same again
    body["packageDetail"]["trackingNumber"] = "other"
    assert (await client.post(path, json=body, headers=headers)).status_code == 400


@pytest.mark.anyio
async def test_every_answer_fits_the_contract_response_schema(client: httpx.AsyncClient) -> None:
    headers = await _token(client)
    state = client.sim.state  # type: ignore[attr-defined]
    order_id = sorted(state.orders)[0]
    included = {"includedData": "FULFILLMENT,PROCEEDS,PAYMENT,CANCELLATION,PACKAGES,RECIPIENT"}
    got = await client.get(f"{SEARCH}/{order_id}", params=included, headers=headers)
    assert _schema_errors("orders_2026-01-01.json", "GetOrderResponse", got.json()) == []
    listings = "/listings/2021-08-01/items/A1SIMSELLER"
    market = {
        "marketplaceIds": "ATVPDKIKX0DER",
        "includedData": "summaries,offers,fulfillmentAvailability,issues",
    }
    found = (await client.get(listings, params=market, headers=headers)).json()
    assert _schema_errors("listingsItems_2021-08-01.json", "ItemSearchResults", found) == []
    sku = found["items"][0]["sku"]
    item = (await client.get(f"{listings}/{sku}", params=market, headers=headers)).json()
    assert _schema_errors("listingsItems_2021-08-01.json", "Item", item) == []
    patch = {
        "productType": "WRONG",
        "patches": [
            {
                "op": "replace",
                "path": "/attributes/fulfillment_availability",
                "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 1}],
            }
        ],
    }
    patched = await client.patch(
        f"{listings}/{sku}", params={"marketplaceIds": "ATVPDKIKX0DER"}, json=patch, headers=headers
    )
    assert patched.json()["status"] == "INVALID"
    assert (
        _schema_errors(
            "listingsItems_2021-08-01.json", "ListingsItemSubmissionResponse", patched.json()
        )
        == []
    )
    missing = await client.get(f"{listings}/NOPE", params=market, headers=headers)
    assert missing.status_code == 404
    assert _schema_errors("listingsItems_2021-08-01.json", "ErrorList", missing.json()) == []
    document = (
        await client.post(
            "/feeds/2021-06-30/documents", json={"contentType": "application/json"}, headers=headers
        )
    ).json()
    assert _schema_errors("feeds_2021-06-30.json", "CreateFeedDocumentResponse", document) == []
    located = (
        await client.get(
            f"/feeds/2021-06-30/documents/{document['feedDocumentId']}", headers=headers
        )
    ).json()
    assert _schema_errors("feeds_2021-06-30.json", "FeedDocument", located) == []
    rdt_body = {
        "restrictedResources": [{"method": "GET", "path": SEARCH, "dataElements": ["buyerInfo"]}]
    }
    rdt = (
        await client.post("/tokens/2021-03-01/restrictedDataToken", json=rdt_body, headers=headers)
    ).json()
    assert _schema_errors("tokens_2021-03-01.json", "CreateRestrictedDataTokenResponse", rdt) == []
