"""The eBay specs, parsed once."""

from __future__ import annotations

from openapi_core import OpenAPI

from tests.contracts import contract_file
from tests.openapi3 import openapi_spec


def fulfillment() -> OpenAPI:
    return openapi_spec(contract_file("ebay", "sell_fulfillment_v1_oas3.json"))


def inventory() -> OpenAPI:
    return openapi_spec(contract_file("ebay", "sell_inventory_v1_oas3.json"))


def notification() -> OpenAPI:
    return openapi_spec(contract_file("ebay", "commerce_notification_v1_oas3.json"))


def finances() -> OpenAPI:
    return openapi_spec(contract_file("finance", "ebay", "sell_finances_v1_oas3.json"))
