"""Temu bg.order.shippinginfo.v2.get answers into the canonical Address (the transcript's table)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from channelhub.core.errors import InvalidInput
from channelhub.core.models import FulfilledBy
from channelhub.mappings.temu import (
    ADDRESS_RESTRICTED_TAG,
    country_code,
    normalize_orders,
    normalize_shipping_info,
    shipping_info_params,
)
from tests.temu.transcript import check_against_table

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "temu"


def _load(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def test_the_example_answer_becomes_an_address_with_district_phone_and_email() -> None:
    ship_to = normalize_shipping_info(_load("shipping_info.json"))
    address = ship_to.address
    assert address.name == "Aisha Al-Harbi"
    assert address.country == "SA"
    assert (address.line1, address.line2, address.line3) == (
        "412 King Fahd Rd",
        "Call before delivery - cash on delivery",
        "Al Olaya",
    )
    assert (address.city, address.region, address.postal_code) == (
        "Riyadh",
        "Riyadh Province",
        "12211",
    )
    assert address.phone == "+966551234567"
    assert address.email == "buyer123456@relay.temu.example"
    assert not ship_to.restricted


def test_the_bare_result_is_accepted_too() -> None:
    result = _load("shipping_info.json")["result"]
    assert normalize_shipping_info(result) == normalize_shipping_info(_load("shipping_info.json"))


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("United States", "US"),
        ("united  states ", "US"),
        ("US", "US"),
        ("us", "US"),
        ("Germany", "DE"),
        ("Saudi Arabia", "SA"),
        ("United Arab Emirates", "AE"),
        ("UAE", "AE"),
        ("UK", "GB"),
        ("Atlantis", None),
        ("XX", None),
    ],
)
def test_country_names_and_codes_become_alpha_2(name: str, code: str | None) -> None:
    assert country_code(name) == code


def test_fallbacks_backup_mobile_and_whole_address_line() -> None:
    result = _load("shipping_info.json")["result"]
    result.update(mobile="", addressLine1="", addressLine3="", regionName4="", mail=None)
    address = normalize_shipping_info(result).address
    assert address.phone == "+966557654321"
    assert address.line1 == result["addressLineAll"] and address.line2 is None
    assert address.email is None


def test_more_than_three_lines_are_folded_into_the_third() -> None:
    result = _load("shipping_info.json")["result"]
    result.update(addressLine2="Building 7")
    address = normalize_shipping_info(result).address
    assert address.line3 == "Call before delivery - cash on delivery, Al Olaya"


def test_a_restriction_warning_tags_the_orders() -> None:
    group = copy.deepcopy(_load("order_detail.json")["result"])
    info = _load("shipping_info.json")["result"]
    info["warning"] = {"isRestriction": True, "reason": 3}
    group["shippingInfo"] = info
    orders = normalize_orders(group, account="shop")
    merchant = [o for o in orders if o.fulfilled_by is FulfilledBy.MERCHANT]
    assert merchant and all(ADDRESS_RESTRICTED_TAG in o.tags for o in merchant)


def test_orders_of_a_group_with_shipping_info_carry_it_merchant_fulfilled_only() -> None:
    group = copy.deepcopy(_load("order_detail.json")["result"])
    second = {**group["orderList"][0], "orderSn": "211-21905473070712793"}
    group["orderList"].append(second)
    group["orderList"][0]["fulfillmentType"] = "fulfillByCooperativeWarehouse"
    group["shippingInfo"] = _load("shipping_info.json")["result"]
    orders = normalize_orders(group, account="shop")
    assert orders[0].ship_to is None and orders[0].fulfilled_by is FulfilledBy.CHANNEL
    assert all(o.ship_to is not None and o.ship_to.country == "SA" for o in orders[1:])
    assert len(orders) > 1
    without = normalize_orders(_load("order_detail.json"), account="shop")
    assert all(o.ship_to is None for o in without)


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda r: r.update(regionName1="Atlantis"), "result.regionName1: 'Atlantis'"),
        (lambda r: r.pop("regionName1"), "result.regionName1 (the country) is missing"),
        (lambda r: r.update(receiptName=""), "result.receiptName (the recipient) is missing"),
        (
            lambda r: r.update(addressLine1="", addressLine3="", addressLineAll=""),
            "no street",
        ),
        (lambda r: r.update(postCode=12211.5), "result.postCode: 12211.5 is not text"),
        (
            lambda r: r.update(warning={"isRestriction": "yes"}),
            "result.warning.isRestriction: 'yes' is not true or false",
        ),
        (lambda r: r.update(warning="none"), "result.warning: 'none' is not an object"),
    ],
)
def test_bad_fields_name_the_field_and_value(mutate: Any, expected: str) -> None:
    payload = _load("shipping_info.json")
    mutate(payload["result"])
    with pytest.raises(InvalidInput) as caught:
        normalize_shipping_info(payload)
    assert expected in str(caught.value)


def test_a_bad_address_inside_an_order_group_names_its_path() -> None:
    group = copy.deepcopy(_load("order_detail.json")["result"])
    group["shippingInfo"] = {**_load("shipping_info.json")["result"], "regionName1": "Narnia"}
    with pytest.raises(InvalidInput, match=r"shippingInfo\.regionName1: 'Narnia'"):
        normalize_orders(group, account="shop")


def test_a_refusal_is_refused_with_its_code() -> None:
    refusal = {"success": False, "errorCode": 180020008, "errorMsg": "Please sign on DPA"}
    with pytest.raises(InvalidInput, match="180020008"):
        normalize_shipping_info(refusal)


def test_request_params_follow_the_table() -> None:
    check_against_table("bg.order.shippinginfo.v2.get", shipping_info_params("PO-211-1"))
    with pytest.raises(InvalidInput, match="parentOrderSn"):
        shipping_info_params(" ")
