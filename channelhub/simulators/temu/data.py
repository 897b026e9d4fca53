"""Seeded Temu shop data: parent orders with child orders, goods with SKUs, app credentials."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from channelhub.simulators.seeded import SeededData

START = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
END = int(datetime(2026, 1, 31, tzinfo=UTC).timestamp())
TOKEN_EXPIRES = int(datetime(2026, 12, 1, tzinfo=UTC).timestamp())


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


def build_shop(
    seed: int, *, order_count: int, app_key: str, app_secret: str, access_token: str
) -> TemuShop:
    data = SeededData(seed)
    shop = TemuShop()
    shop.apps[app_key] = app_secret
    shop.tokens[access_token] = (app_key, 1024, TOKEN_EXPIRES)
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
    for _ in range(order_count):
        parent_sn = f"PO-211-{stream.digits(17)}"
        created = stream.integer(START, END)
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
    return shop
