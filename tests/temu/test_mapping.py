"""Temu orders and goods into the canonical model, from the example payloads."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from channelhub.core.errors import InvalidInput
from channelhub.core.models import ChannelOrderState, FulfilledBy, Money
from channelhub.mappings.catalog import normalizer
from channelhub.mappings.temu import normalize_listings, normalize_orders, token_expiry

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "temu"


def _load(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def test_order_list_page_becomes_one_order_per_child_order() -> None:
    orders = normalize_orders(_load("order_list.json"), account="shop-us")
    assert [o.external_id for o in orders] == [
        "211-21905473070712792",
        "211-21905473070712793",
        "211-21905473070719999",
    ]
    first, cancelled, temu_fulfilled = orders
    assert first.parent_external_id == "PO-211-21905452099192792"
    assert first.channel == "temu" and first.account == "shop-us"
    assert first.channel_status == "UN_SHIPPING"
    assert first.channel_state is ChannelOrderState.UNSHIPPED
    assert first.placed_at == datetime.fromtimestamp(1711000000, tz=UTC)
    assert first.updated_at == datetime.fromtimestamp(1711003600, tz=UTC)
    assert first.ship_by == datetime.fromtimestamp(1711259200, tz=UTC)
    line = first.lines[0]
    assert (line.line_id, line.listing_id, line.variation_id, line.quantity) == (
        "211-21905473070712792",
        "601099548666279",
        "17592352673534",
        2,
    )
    assert first.totals.total == Money.zero("USD")
    assert "temu:amounts-unavailable" in first.tags
    assert first.fulfilled_by is FulfilledBy.MERCHANT
    assert cancelled.channel_state is ChannelOrderState.CANCELLED
    assert cancelled.lines[0].cancelled_quantity == 1
    assert temu_fulfilled.fulfilled_by is FulfilledBy.CHANNEL
    assert temu_fulfilled.is_channel_fulfilled
    assert temu_fulfilled.lines[0].shipped_quantity == 1


def test_order_detail_and_a_bare_group_are_accepted() -> None:
    detail = _load("order_detail.json")
    (order,) = normalize_orders(detail, account="a")
    assert order.channel_state is ChannelOrderState.SHIPPED
    assert order.updated_at == datetime.fromtimestamp(1711090000, tz=UTC)
    assert order.deliver_by == datetime.fromtimestamp(1711864000, tz=UTC)
    (same,) = normalize_orders(detail["result"], account="a")
    assert same == order


def test_currency_is_the_shops() -> None:
    orders = normalize_orders(_load("order_list.json"), account="de", currency="EUR")
    assert orders[0].currency == "EUR"


def test_unknown_status_is_kept_raw() -> None:
    payload = _load("order_detail.json")
    payload["result"]["orderList"][0]["orderStatus"] = 77
    (order,) = normalize_orders(payload, account="a")
    assert order.channel_status == "77"
    assert order.channel_state is ChannelOrderState.UNKNOWN


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda p: p["result"]["pageItems"][0]["orderList"][0].pop("orderSn"),
            r"orderList\[0\]\.orderSn is missing",
        ),
        (
            lambda p: p["result"]["pageItems"][1]["orderList"][0].update(quantity="two"),
            r"pageItems\[1\]\.orderList\[0\]\.quantity: 'two' is not a whole number",
        ),
        (
            lambda p: p["result"]["pageItems"][0]["parentOrderMap"].update(
                parentOrderTime="yesterday"
            ),
            r"parentOrderMap\.parentOrderTime: 'yesterday' is not a whole number",
        ),
        (lambda p: p["result"].update(pageItems={}), r"pageItems: 'dict of 0' is not a list"),
        (lambda p: p["result"]["pageItems"][0].update(orderList=[]), r"orderList is empty"),
    ],
)
def test_bad_orders_name_the_field_and_value(mutate: Any, expected: str) -> None:
    payload = copy.deepcopy(_load("order_list.json"))
    mutate(payload)
    with pytest.raises(InvalidInput, match=expected):
        normalize_orders(payload, account="a")


def test_an_error_response_is_refused_with_its_code() -> None:
    with pytest.raises(InvalidInput, match="4000004"):
        normalize_orders(
            {"success": False, "errorCode": 4000004, "errorMsg": "RATE_LIMIT"}, account="a"
        )
    with pytest.raises(InvalidInput, match="not a Temu order payload"):
        normalize_orders({"orders": []}, account="a")


def test_goods_become_one_listing_per_sku() -> None:
    listings = normalize_listings(_load("goods_list.json"), account="shop-us")
    assert [(x.listing_id, x.variation_id, x.channel_sku, x.quantity) for x in listings] == [
        ("601099548666279", "17592352673534", "BOTTLE-750-BLK", 25),
        ("601099548666279", "17592352673536", "BOTTLE-750-WHT", 15),
        ("601099548666280", None, "BRUSH-1", 100),
    ]
    assert listings[1].price == Money.of("13.49", "USD")
    assert listings[2].price == Money.of("3.50", "USD")


def test_bad_goods_name_the_field() -> None:
    payload = _load("goods_list.json")
    payload["result"]["goodsList"][1]["price"] = "cheap"
    with pytest.raises(InvalidInput, match=r"goodsList\[1\]\.price: 'cheap' is not a decimal"):
        normalize_listings(payload, account="a")


def test_catalog_finds_the_temu_mappings() -> None:
    assert len(normalizer("temu", "order")(_load("order_list.json"), account="a")) == 3
    assert len(normalizer("temu", "listing")(_load("goods_list.json"), account="a")) == 3


def test_token_expiry_warns_30_days_ahead() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    far = token_expiry(int((now + timedelta(days=200)).timestamp()), now=now)
    assert (far.days_left, far.warn, far.expired) == (200, False, False)
    assert far.message == "Temu access token expires in 200 days (2026-07-20)"
    near = token_expiry(now + timedelta(days=30, hours=5), now=now)
    assert (near.days_left, near.warn) == (30, True)
    assert "re-authorise" in near.message
    assert not token_expiry(now + timedelta(days=31), now=now).warn
    gone = token_expiry(now - timedelta(seconds=1), now=now)
    assert gone.expired and gone.warn and gone.days_left == 0
    with pytest.raises(InvalidInput, match="expiredTime"):
        token_expiry(0, now=now)
