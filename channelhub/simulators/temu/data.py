"""Seeded Temu shop data: parent orders with child orders, goods with SKUs, app credentials,
and the ship-to (``bg.order.shippinginfo.v2.get`` result) of every merchant-fulfilled parent.

Addresses come from their own seeded stream so orders stay what they were before addresses
existed. Countries are given as names in ``regionName1`` (our reading of "国家/地区"); Gulf
addresses carry the delivery notes buyers there write into the address lines (call first,
cash on delivery, landmark): the API has no remark field, so that is where they arrive.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from channelhub.simulators.seeded import SeededData

START = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
END = int(datetime(2026, 1, 31, tzinfo=UTC).timestamp())
TOKEN_EXPIRES = int(datetime(2026, 12, 1, tzinfo=UTC).timestamp())
#: With an anchor (the simulator's clock at start), orders are created in this window before
#: it; an update lands at most ~2.3 days after creation, so none is in the future and all fall
#: inside the hub's default 30-day first-import lookback.
ANCHORED_WINDOW = (timedelta(days=25), timedelta(days=3))
TOKEN_LIFETIME = timedelta(days=365)


def order_window(anchor: datetime | None) -> tuple[int, int, int]:
    """(first creation, last creation, token expiry) as epoch seconds: the fixed January 2026
    window without an anchor, else relative to ``anchor``."""
    if anchor is None:
        return START, END, TOKEN_EXPIRES
    oldest, newest = ANCHORED_WINDOW
    return (
        int((anchor - oldest).timestamp()),
        int((anchor - newest).timestamp()),
        int((anchor + TOKEN_LIFETIME).timestamp()),
    )


@dataclass
class TemuShop:
    """One region's state: apps, tokens, parent orders, goods and confirmed shipments."""

    apps: dict[str, str] = field(default_factory=dict)  # app_key -> app_secret
    tokens: dict[str, tuple[str, int, int]] = field(
        default_factory=dict
    )  # token -> (app, mall, expiry)
    parents: dict[str, dict[str, Any]] = field(default_factory=dict)  # parentOrderSn -> group
    goods: dict[int, dict[str, Any]] = field(default_factory=dict)  # goodsId -> goods
    shipments: list[dict[str, Any]] = field(default_factory=list)
    addresses: dict[str, dict[str, Any]] = field(default_factory=dict)  # parentOrderSn -> result
    #: parentOrderSn -> (errorCode, errorMsg) the shipping-info call answers instead (tests)
    shipping_info_errors: dict[str, tuple[int, str]] = field(default_factory=dict)
    rate_limited: int = 0  # how many 4000004 answers the router gave


_GULF_NOTES = (
    "Call before delivery - cash on delivery",
    "COD - please call on arrival",
    "Near the mosque, call me, pay cash",
    "Deliver after 5pm, cash payment",
)


def seeded_address(data: SeededData) -> dict[str, Any]:
    """One ``bg.order.shippinginfo.v2.get`` result: US, DE, SA or AE."""
    country = data.choice(("US", "US", "US", "DE", "SA", "AE"))
    name = data.person_name()
    number = data.integer(1, 999)
    if country == "US":
        city, state, post, street = data.choice(
            (
                ("Austin", "Texas", "78701", "Congress Ave"),
                ("Columbus", "Ohio", "43215", "High St"),
                ("Fresno", "California", "93721", "Fulton St"),
            )
        )
        fields = {
            "regionName1": "United States",
            "regionName2": state,
            "regionName3": city,
            "addressLine1": f"{number} {street}",
            "addressLine2": data.choice(("", f"Apt {data.integer(1, 40)}")),
            "postCode": post,
            "mobile": f"+1555{data.digits(7)}",
        }
    elif country == "DE":
        fields = {
            "regionName1": "Germany",
            "regionName2": "Berlin",
            "regionName3": "Berlin",
            "addressLine1": f"Hauptstrasse {number}",
            "postCode": "10115",
            "mobile": f"+49151{data.digits(7)}",
        }
    elif country == "SA":
        fields = {
            "regionName1": "Saudi Arabia",
            "regionName2": "Riyadh Province",
            "regionName3": "Riyadh",
            "regionName4": data.choice(("Al Olaya", "Al Malaz", "An Nakheel")),
            "addressLine1": f"{number} King Fahd Rd",
            "addressLine3": data.choice(_GULF_NOTES),
            "postCode": "12211",
            "mobile": f"+96655{data.digits(7)}",
        }
    else:
        fields = {
            "regionName1": "United Arab Emirates",
            "regionName2": "Dubai",
            "regionName3": "Dubai",
            "regionName4": data.choice(("Al Barsha", "Deira", "Jumeirah")),
            "addressLine1": f"Villa {number}, Street {data.integer(1, 60)}",
            "addressLine2": data.choice(_GULF_NOTES),
            "mobile": f"+97150{data.digits(7)}",
        }
    result: dict[str, Any] = {k: v for k, v in fields.items() if v}
    result["receiptName"] = name
    result["mail"] = f"buyer{data.digits(6)}@relay.temu.example"
    result["addressLineAll"] = ", ".join(
        str(result[k])
        for k in ("addressLine1", "addressLine2", "addressLine3", "regionName4", "regionName3")
        if k in result
    )
    result["warning"] = {"isRestriction": False, "reason": 0}
    return result


def build_shop(
    seed: int,
    *,
    order_count: int,
    app_key: str,
    app_secret: str,
    access_token: str,
    anchor: datetime | None = None,
) -> TemuShop:
    """The seeded shop; ``anchor`` dates orders (and the token's expiry) relative to it."""
    first, last, token_expires = order_window(anchor)
    data = SeededData(seed)
    shop = TemuShop()
    shop.apps[app_key] = app_secret
    shop.tokens[access_token] = (app_key, 1024, token_expires)
    catalog = data.fork("goods")
    skus: list[tuple[int, int, str]] = []
    for index in range(20):
        goods_id = 601099548660000 + index
        sku_list = []
        for variant in range(catalog.integer(1, 3)):
            sku_id = 17592352670000 + index * 10 + variant
            quantity = catalog.integer(0, 60)
            sku_list.append(
                {
                    "skuId": sku_id,
                    "outSkuSn": f"TM-{index:03d}-{variant}",
                    "quantity": quantity,
                    "price": str(catalog.amount("2", "60")),
                }
            )
            skus.append((goods_id, sku_id, f"Sim goods {index}"))
        shop.goods[goods_id] = {
            "goodsId": goods_id,
            "goodsName": f"Sim goods {index}",
            "outGoodsSn": f"TM-{index:03d}",
            "catId": 24800 + index,
            "price": sku_list[0]["price"],
            "currency": "USD",
            "quantity": sum(s["quantity"] for s in sku_list),
            "skuInfoList": sku_list,
        }
    stream = data.fork("orders")
    places = data.fork("addresses")
    for _ in range(order_count):
        parent_sn = f"PO-211-{stream.digits(17)}"
        created = stream.integer(first, last)
        updated = created + stream.integer(0, 200_000)
        status = stream.choice((2, 2, 2, 2, 1, 3, 4, 5))
        channel = stream.integer(1, 10) == 1
        children = []
        for _child in range(stream.integer(1, 3)):
            goods_id, sku_id, name = stream.choice(skus)
            children.append(
                {
                    "orderSn": f"211-{stream.digits(17)}",
                    "goodsId": goods_id,
                    "goodsName": name,
                    "skuId": sku_id,
                    "orderStatus": status,
                    "orderCreateTime": created,
                    "quantity": stream.integer(1, 3),
                    "fulfillmentType": "fulfillByCooperativeWarehouse"
                    if channel
                    else "fulfillBySeller",
                    "packageSnInfo": [],
                    "orderLabel": [],
                }
            )
        shop.parents[parent_sn] = {
            "parentOrderMap": {
                "parentOrderSn": parent_sn,
                "parentOrderStatus": status,
                "parentOrderTime": created,
                "updateTime": updated,
                "expectShipLatestTime": created + 3 * 86_400,
                "latestDeliveryTime": created + 12 * 86_400,
            },
            "orderList": children,
        }
        if not channel:
            shop.addresses[parent_sn] = seeded_address(places)
    return shop
