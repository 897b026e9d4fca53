"""A paid order of one line (one MUG), as the store tests insert them to have a row to point at."""

from __future__ import annotations

from datetime import datetime

from channelhub.core.order import Order


def one_line_order(channel: str, account: str, external_id: str, *, at: datetime) -> Order:
    return Order.model_validate(
        {
            "channel": channel,
            "account": account,
            "external_id": external_id,
            "channel_status": "paid",
            "placed_at": at,
            "updated_at": at,
            "totals": {"total": {"amount": "1.00", "currency": "USD"}},
            "lines": [{"line_id": "1", "channel_sku": "MUG", "quantity": 1}],
        },
        strict=False,
    )
