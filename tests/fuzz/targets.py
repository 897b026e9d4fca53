"""The mappings the fuzz suite drives, per platform, each with the published payloads it mutates.

Seeds are the repository's examples (checked against the vendored specs by the platforms'
own tests) plus, where a spec carries a response example, that example read from contracts/.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from channelhub.mappings import (
    amazon,
    easypost,
    ebay,
    outbound_protocol,
    shipbob,
    shopify,
    temu,
    ups,
)
from tests.contracts import contract_file

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NOW = datetime(2026, 1, 15, 12, tzinfo=UTC)


@dataclass(frozen=True)
class Target:
    """One mapping entry point and the documents it is fed."""

    name: str
    call: Callable[[Any], object]
    seeds: tuple[Any, ...]


def _example(*parts: str) -> Any:
    return json.loads(EXAMPLES.joinpath(*parts).read_text())


def _shipbob_example(path: str, method: str = "get", status: str = "200") -> Any:
    spec = json.loads(contract_file("wms", "shipbob", "openapi-2026-01.json").read_text())
    return spec["paths"][path][method]["responses"][status]["content"]["application/json"][
        "example"
    ]


def _shipbob_webhook(payload: Any) -> object:
    return shipbob.parse_webhook("order.shipped", payload, warehouse="shipbob", received_at=NOW)


@cache
def platforms() -> dict[str, tuple[Target, ...]]:
    """Platform name -> its targets."""
    order_example = _shipbob_example("/2026-01/order", "post", "201")
    return {
        "amazon": (
            Target(
                "amazon.orders",
                lambda p: amazon.normalize_orders(p, account="fuzz"),
                (
                    _example("amazon", "search_orders_response.json"),
                    _example("amazon", "search_orders_cod_fba_cancelled.json"),
                    _example("amazon", "get_order_response.json"),
                ),
            ),
            Target(
                "amazon.listings",
                lambda p: amazon.normalize_listings(p, account="fuzz"),
                (
                    _example("amazon", "search_listings_items_response.json"),
                    _example("amazon", "get_listings_item_response.json"),
                ),
            ),
        ),
        "ebay": (
            Target(
                "ebay.orders",
                lambda p: ebay.normalize_orders(p, account="fuzz"),
                (_example("ebay", "get_orders.json"),),
            ),
            Target(
                "ebay.listings",
                lambda p: ebay.normalize_listings(p, account="fuzz"),
                (_example("ebay", "inventory.json"),),
            ),
        ),
        "shopify": (
            Target(
                "shopify.orders",
                lambda p: shopify.normalize_orders(p, account="fuzz"),
                (
                    _example("shopify", "orders_graphql_response.json"),
                    _example("shopify", "order_webhook_rest.json"),
                ),
            ),
            Target(
                "shopify.listings",
                lambda p: shopify.normalize_listings(p, account="fuzz"),
                (_example("shopify", "products_graphql_response.json"),),
            ),
        ),
        "temu": (
            Target(
                "temu.orders",
                lambda p: temu.normalize_orders(p, account="fuzz"),
                (_example("temu", "order_list.json"), _example("temu", "order_detail.json")),
            ),
            Target(
                "temu.listings",
                lambda p: temu.normalize_listings(p, account="fuzz"),
                (_example("temu", "goods_list.json"),),
            ),
            Target(
                "temu.shipping_info",
                temu.normalize_shipping_info,
                (_example("temu", "shipping_info.json"),),
            ),
        ),
        "outbound_protocol": (
            Target(
                "outbound_protocol.callback",
                outbound_protocol.parse_callback,
                (
                    _example("outbound_protocol", "shipment_confirmed.json"),
                    _example("outbound_protocol", "stock_snapshot.json"),
                ),
            ),
            Target(
                "outbound_protocol.order",
                outbound_protocol.parse_outbound_order,
                (_example("outbound_protocol", "outbound_order.json"),),
            ),
        ),
        "shipbob": (
            Target(
                "shipbob.shipments",
                lambda p: shipbob.normalize_shipments(p, warehouse="shipbob"),
                (_example("shipbob", "order.json"), order_example),
            ),
            Target("shipbob.webhook", _shipbob_webhook, (_example("shipbob", "order.json"),)),
            Target(
                "shipbob.tracking",
                shipbob.normalize_tracking,
                (
                    _example("shipbob", "shipments_tracking.json"),
                    _shipbob_example("/2026-01/shipments-tracking"),
                ),
            ),
            Target(
                "shipbob.stock",
                shipbob.stock_levels,
                (
                    _example("shipbob", "inventory_levels.json"),
                    _shipbob_example("/2026-01/inventory-level"),
                ),
            ),
        ),
        "ups": (
            Target("ups.tracking", ups.normalize_tracking, (_example("ups", "tracking.json"),)),
        ),
        "easypost": (
            Target(
                "easypost.tracking",
                easypost.normalize_tracking,
                (_example("easypost", "tracker.json"),),
            ),
        ),
    }
