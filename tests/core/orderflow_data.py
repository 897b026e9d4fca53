"""A small product library and order builders shared by the order-flow tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from channelhub.core.catalog import Catalog
from channelhub.core.models import Order, Sku

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def library() -> Catalog:
    """Singles MUG, LID, SPOON, BOX; combo SET = MUG + 2 SPOON; kit GIFT (own stock);
    combo MEGA = SET + LID (nested); MUG has a case of 24."""
    return Catalog(
        [
            Sku.model_validate(
                {
                    "code": "MUG",
                    "barcode": "0001",
                    "units": [{"name": "case", "base_units": 24, "barcode": "0024"}],
                },
                strict=False,
            ),
            Sku(code="LID", barcode="0002"),
            Sku(code="SPOON", attributes={"asin": "B0SPOON"}),
            Sku(code="BOX"),
            Sku.model_validate(
                {
                    "code": "SET",
                    "kind": "combo",
                    "components": [{"sku": "MUG", "qty": 1}, {"sku": "SPOON", "qty": 2}],
                },
                strict=False,
            ),
            Sku.model_validate(
                {
                    "code": "GIFT",
                    "kind": "kit",
                    "barcode": "0999",
                    "components": [{"sku": "MUG", "qty": 1}, {"sku": "LID", "qty": 1}],
                },
                strict=False,
            ),
            Sku.model_validate(
                {
                    "code": "MEGA",
                    "kind": "combo",
                    "components": [{"sku": "SET", "qty": 1}, {"sku": "LID", "qty": 3}],
                },
                strict=False,
            ),
        ]
    )


def order(**overrides: Any) -> Order:
    """A paid, prepaid US order with one line, changed by ``overrides`` (model fields)."""
    data: dict[str, Any] = {
        "channel": "shopify",
        "account": "shop1",
        "external_id": "1001",
        "channel_status": "paid",
        "placed_at": NOW,
        "updated_at": NOW,
        "buyer": {"external_id": "b1", "name": "Ann Lee", "email": "ann@example.com"},
        "ship_to": {
            "name": "Ann Lee",
            "line1": "1 Main St",
            "city": "New York",
            "region": "NY",
            "postal_code": "10001",
            "country": "US",
            "phone": "+1 212 555 0100",
        },
        "totals": {"total": {"amount": "40.00", "currency": "USD"}},
        "lines": [{"line_id": "L1", "channel_sku": "MUG", "quantity": 1}],
        "shipping_service": "standard",
    }
    data.update(overrides)
    return Order.model_validate(data, strict=False)
