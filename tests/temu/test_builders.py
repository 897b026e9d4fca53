"""Temu request builders against the transcript's parameter tables and the signing example."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from channelhub.core.errors import InvalidInput
from channelhub.mappings.temu import (
    GOODS_LIST,
    ORDER_DETAIL,
    ORDER_LIST,
    TemuPackage,
    TemuPackageLine,
    goods_list_params,
    order_detail_params,
    order_list_params,
    shipment_confirm_params,
    stock_edit_params,
)
from tests.temu.transcript import check_against_table, request_params, signing_example_body

T0 = datetime(2026, 3, 1, tzinfo=UTC)
T1 = datetime(2026, 3, 1, 1, tzinfo=UTC)


def test_order_list_params_follow_the_table() -> None:
    params = order_list_params(updated_from=T0, updated_to=T1, page_number=3, page_size=100)
    check_against_table(ORDER_LIST, params)
    assert params == {
        "pageNumber": 3,
        "pageSize": 100,
        "updateAtStart": int(T0.timestamp()),
        "updateAtEnd": int(T1.timestamp()),
    }


def test_order_list_with_fulfilment_types_follows_the_table() -> None:
    params = order_list_params(
        updated_from=T0, updated_to=T1, fulfillment_types=["fulfillBySeller"]
    )
    check_against_table(ORDER_LIST, params)


@pytest.mark.parametrize(("number", "size"), [(0, 10), (1, 0), (1, 101)])
def test_order_list_refuses_pages_outside_the_documented_range(number: int, size: int) -> None:
    with pytest.raises(InvalidInput):
        order_list_params(updated_from=T0, updated_to=T1, page_number=number, page_size=size)


def test_order_list_refuses_a_backwards_window() -> None:
    with pytest.raises(InvalidInput, match="updateAtEnd"):
        order_list_params(updated_from=T1, updated_to=T0)


def test_detail_and_goods_params_follow_the_tables() -> None:
    check_against_table(ORDER_DETAIL, order_detail_params("PO-211-1"))
    check_against_table(GOODS_LIST, goods_list_params(2, 50))
    with pytest.raises(InvalidInput):
        order_detail_params(" ")


def test_the_table_check_itself_fails_on_an_undocumented_or_mistyped_param() -> None:
    assert "updateAtStart" in request_params(ORDER_LIST)
    with pytest.raises(AssertionError, match="not a documented"):
        check_against_table(ORDER_LIST, {"page": 1})
    with pytest.raises(AssertionError, match="is not INTEGER"):
        check_against_table(ORDER_LIST, {"pageNumber": "1"})
    with pytest.raises(AssertionError, match="required"):
        check_against_table(ORDER_DETAIL, {})


def _same_shape(ours: object, theirs: object) -> None:
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and set(ours) == set(theirs)
        for key in theirs:
            _same_shape(ours[key], theirs[key])
    elif isinstance(theirs, list):
        assert isinstance(ours, list) and ours
        _same_shape(ours[0], theirs[0])
    else:
        assert type(ours) is type(theirs), (ours, theirs)


def test_shipment_confirm_has_the_shape_of_the_documented_example() -> None:
    example = json.loads(signing_example_body())
    business = {k: v for k, v in example.items() if k in ("sendRequestList", "sendType")}
    line = TemuPackageLine(
        parent_order_sn="PO-211-21905452099192792",
        order_sn="211-21905473070712792",
        goods_id="601099548666279",
        sku_id="17592352673534",
        quantity=1,
    )
    ours = shipment_confirm_params([TemuPackage("699272611", "270324232756", (line,))])
    _same_shape(ours, business)
    assert (
        ours["sendRequestList"][0]["orderSendInfoList"][0]
        == business["sendRequestList"][0]["orderSendInfoList"][0]
    )


def test_shipment_confirm_refuses_empty_or_bad_packages() -> None:
    line = TemuPackageLine("PO-1", "1", "2", "3", 1)
    with pytest.raises(InvalidInput, match="trackingNumber"):
        shipment_confirm_params([TemuPackage("699272611", " ", (line,))])
    with pytest.raises(InvalidInput, match="sendRequestList"):
        shipment_confirm_params([])
    with pytest.raises(InvalidInput, match="goodsId"):
        shipment_confirm_params([TemuPackage("1", "T", (TemuPackageLine("PO", "1", "x", "3", 1),))])


def test_stock_edit_sets_absolute_targets() -> None:
    params = stock_edit_params("601099548666279", {"17592352673534": 7, "17592352673536": 0})
    assert params == {
        "goodsId": 601099548666279,
        "skuStockTargetList": [
            {"skuId": 17592352673534, "stockTarget": 7},
            {"skuId": 17592352673536, "stockTarget": 0},
        ],
    }
    with pytest.raises(InvalidInput, match="negative"):
        stock_edit_params("1", {"2": -1})
    with pytest.raises(InvalidInput, match="empty"):
        stock_edit_params("1", {})
