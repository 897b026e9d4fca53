"""Temu goods list responses (``bg.local.goods.list.query``) -> canonical listings.

Contract unverified (no public spec): the goods fields (goodsId, goodsName, outGoodsSn, price,
currency, quantity, skuInfoList) follow the transcript in contracts/temu/. The
transcript does not detail ``skuInfoList`` entries; we read ``skuId``, ``outSkuSn``,
``quantity`` and ``price`` from them when present, one listing per SKU, and fall back to one
goods-level listing (pairing works at listing level too) when there are none.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from channelhub.core import strict
from channelhub.core.errors import InvalidInput, excerpt
from channelhub.core.models import Listing, Money
from channelhub.core.validation import build
from channelhub.mappings._fieldpath import (
    ident,
    items,
    money,
    obj,
    opt_ident,
    opt_integer,
    opt_text,
)

CHANNEL = "temu"
SOURCE = "temu goods"


def _goods_entries(payload: object) -> list[tuple[str, Mapping[str, Any]]]:
    root = obj(payload, "(payload)", source=SOURCE)
    if root.get("success") is False:
        raise InvalidInput.field(
            "errorCode",
            root.get("errorCode"),
            f"Temu refused the call: {excerpt(root.get('errorMsg'))}",
        )
    path = "(payload)"
    if "result" in root:
        root = obj(root["result"], "result", source=SOURCE)
        path = "result"
    if "goodsList" in root:
        goods = items(root["goodsList"], f"{path}.goodsList", source=SOURCE)
        return [
            (f"{path}.goodsList[{i}]", obj(g, f"{path}.goodsList[{i}]", source=SOURCE))
            for i, g in enumerate(goods)
        ]
    if "goodsId" in root:
        return [(path, root)]
    raise InvalidInput(
        [f"{path}: neither result.goodsList nor goodsId found (not Temu goods)"], source=SOURCE
    )


def _price(data: Mapping[str, Any], fallback_currency: str | None, path: str) -> Money | None:
    if data.get("price") in (None, ""):
        return None
    currency = data.get("currency") or fallback_currency
    return money(
        data["price"],
        currency,
        amount_path=f"{path}.price",
        currency_path=f"{path}.currency",
        source=SOURCE,
    )


def normalize_listings(payload: object, *, account: str) -> list[Listing]:
    """One listing per SKU of every goods in a list page or a single goods object."""
    listings: list[Listing] = []
    for path, goods in _goods_entries(payload):
        goods_id = ident(goods, "goodsId", path, source=SOURCE)
        title = opt_text(goods, "goodsName", path, source=SOURCE, limit=strict.TITLE_CHARS)
        currency = opt_text(goods, "currency", path, source=SOURCE, limit=strict.CODE_CHARS)
        skus = items(goods.get("skuInfoList"), f"{path}.skuInfoList", source=SOURCE)
        sku_entries = [
            (f"{path}.skuInfoList[{i}]", obj(s, f"{path}.skuInfoList[{i}]", source=SOURCE))
            for i, s in enumerate(skus)
        ]
        sku_entries = [(p, s) for p, s in sku_entries if s.get("skuId") not in (None, "")]
        if not sku_entries:
            sku_entries = [(path, {})]
        for sku_path, sku in sku_entries:
            listings.append(
                build(
                    Listing,
                    source=f"{SOURCE} {goods_id}",
                    channel=CHANNEL,
                    account=account,
                    listing_id=goods_id,
                    variation_id=opt_ident(sku, "skuId", sku_path, source=SOURCE),
                    channel_sku=opt_text(
                        sku, "outSkuSn", sku_path, source=SOURCE, limit=strict.SKU_CHARS
                    )
                    or opt_text(goods, "outGoodsSn", path, source=SOURCE, limit=strict.SKU_CHARS),
                    title=title,
                    price=_price(sku, currency, sku_path) or _price(goods, currency, path),
                    quantity=opt_integer(
                        sku, "quantity", sku_path, source=SOURCE, maximum=strict.MAX_STOCK
                    )
                    if sku.get("quantity") is not None
                    else opt_integer(
                        goods, "quantity", path, source=SOURCE, maximum=strict.MAX_STOCK
                    ),
                    inventory_ref=goods_id,
                )
            )
    return listings
