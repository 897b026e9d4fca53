"""The eBay simulator answers in the shapes the specs publish, and enforces OAuth scopes."""

from __future__ import annotations

import httpx
import pytest

from channelhub.mappings.ebay import basic_client_auth
from channelhub.simulators.ebay import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_REFRESH_TOKEN,
)
from tests.ebay import specs
from tests.ebay.harness import simulator
from tests.openapi3 import assert_valid_response

pytestmark = pytest.mark.anyio
BASIC = basic_client_auth(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
FULFILLMENT = "https://api.ebay.com/oauth/api_scope/sell.fulfillment"


async def _token(client: httpx.AsyncClient, scope: str, basic: str = BASIC) -> httpx.Response:
    return await client.post(
        "/identity/v1/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": DEFAULT_REFRESH_TOKEN,
            "scope": scope,
        },
        headers={"Authorization": basic},
    )


async def test_oauth_and_scopes() -> None:
    sim = simulator(order_count=3)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sim), base_url="http://s"
    ) as client:
        assert (await _token(client, FULFILLMENT, basic_client_auth("x", "y"))).status_code == 401
        assert (
            await _token(client, "https://api.ebay.com/oauth/api_scope/sell.account")
        ).status_code == 400
        token = (await _token(client, FULFILLMENT)).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        assert (await client.get("/sell/fulfillment/v1/order")).status_code == 401
        assert (
            await client.get("/sell/inventory/v1/inventory_item", headers=auth)
        ).status_code == 403
        page = await client.get("/sell/fulfillment/v1/order", params={"limit": "2"}, headers=auth)
        assert page.status_code == 200
        assert_valid_response(specs.fulfillment(), "GET", "/order", 200, page.json())
        assert page.json()["next"].startswith("https://api.ebay.com/sell/fulfillment/v1/order?")
        too_many = await client.get(
            "/sell/fulfillment/v1/order", params={"limit": "201"}, headers=auth
        )
        assert too_many.status_code == 400
        missing = await client.get("/sell/fulfillment/v1/order/00-00000-00000", headers=auth)
        assert missing.status_code == 404 and missing.json()["errors"][0]["errorId"]


async def test_bulk_update_refuses_more_than_25() -> None:
    sim = simulator(order_count=1)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sim), base_url="http://s"
    ) as client:
        scope = "https://api.ebay.com/oauth/api_scope/sell.inventory"
        token = (await _token(client, scope)).json()["access_token"]
        body = {
            "requests": [
                {"sku": f"S{i}", "shipToLocationAvailability": {"quantity": 1}} for i in range(26)
            ]
        }
        answer = await client.post(
            "/sell/inventory/v1/bulk_update_price_quantity",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 400
