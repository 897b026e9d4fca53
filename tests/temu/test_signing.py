"""Temu signing: the recomputed vector, the common parameters and the timestamp window."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from channelhub.core.errors import InvalidInput
from channelhub.mappings.temu import (
    compute_sign,
    encode_body,
    region_router_url,
    sign_matches,
    sign_string,
    signed_request,
    timestamp_within_skew,
)
from tests.contracts import contract_file
from tests.temu.transcript import common_params

VECTOR = json.loads(contract_file("temu", "temu_sign_vector.json").read_text(encoding="utf-8"))
NOW = datetime(2024, 3, 21, 8, 17, 52, tzinfo=UTC)  # 1711009072, the vector's timestamp


def _vector_params() -> dict[str, object]:
    params = dict(VECTOR["params"])
    params["sendRequestList"] = json.loads(VECTOR["sendRequestList_serialised_in_sign_string"])
    return params


def test_recomputes_the_published_vector() -> None:
    params = _vector_params()
    assert compute_sign(params, VECTOR["app_secret"]) == VECTOR["expected_sign"]


def test_sign_string_keeps_nested_json_compact_and_in_its_own_order() -> None:
    text = sign_string(_vector_params(), VECTOR["app_secret"])
    assert "sendRequestList" + VECTOR["sendRequestList_serialised_in_sign_string"] in text
    assert text.startswith(VECTOR["app_secret"] + "access_token")
    assert text.endswith("typebg.logistics.shipment.confirm" + VECTOR["app_secret"])


def test_a_changed_value_or_key_order_changes_the_sign() -> None:
    params = _vector_params()
    params["sendType"] = 1
    assert compute_sign(params, VECTOR["app_secret"]) != VECTOR["expected_sign"]
    reordered = _vector_params()
    reordered["sendRequestList"] = [dict(sorted(reordered["sendRequestList"][0].items()))]  # type: ignore[index]
    assert compute_sign(reordered, VECTOR["app_secret"]) != VECTOR["expected_sign"]


def test_signed_request_builds_the_vector_from_business_params() -> None:
    business = {
        "sendRequestList": json.loads(VECTOR["sendRequestList_serialised_in_sign_string"]),
        "sendType": 0,
    }
    body = signed_request(
        "bg.logistics.shipment.confirm",
        business,
        app_key=VECTOR["params"]["app_key"],
        app_secret=VECTOR["app_secret"],
        access_token=VECTOR["params"]["access_token"],
        now=NOW,
    )
    assert body["sign"] == VECTOR["expected_sign"]
    assert body["timestamp"] == 1711009072
    assert sign_matches(body, VECTOR["app_secret"])
    assert not sign_matches({**body, "sendType": 2}, VECTOR["app_secret"])
    # the bytes sent are the signed serialisation
    sent = encode_body(body).decode()
    assert VECTOR["sendRequestList_serialised_in_sign_string"] in sent
    assert sign_matches(json.loads(sent), VECTOR["app_secret"])


def test_common_params_are_the_documented_ones() -> None:
    body = signed_request(
        "bg.order.list.v2.get", {}, app_key="k", app_secret="s", access_token="t", now=NOW
    )
    table = common_params()
    required = {name for name, (_, req) in table.items() if req}
    assert required <= set(body)
    assert set(body) <= set(table)
    assert body["data_type"] == "JSON"
    assert len(str(body["timestamp"])) == 10


def test_business_params_cannot_override_common_ones() -> None:
    with pytest.raises(InvalidInput, match="sign"):
        signed_request("x", {"sign": "A"}, app_key="k", app_secret="s", access_token="t", now=NOW)


def test_naive_now_is_refused() -> None:
    with pytest.raises(InvalidInput, match="timezone"):
        signed_request(
            "x", {}, app_key="k", app_secret="s", access_token="t", now=datetime(2026, 1, 1)
        )


def test_timestamp_window_is_300_seconds_either_way() -> None:
    ts = int(NOW.timestamp())
    assert timestamp_within_skew(ts, NOW + timedelta(seconds=300))
    assert timestamp_within_skew(ts, NOW - timedelta(seconds=300))
    assert not timestamp_within_skew(ts, NOW + timedelta(seconds=301))
    assert not timestamp_within_skew(ts, NOW - timedelta(seconds=301))
    assert not timestamp_within_skew("soon", NOW)


def test_region_urls() -> None:
    assert region_router_url("us") == "https://openapi-b-us.temu.com/openapi/router"
    assert region_router_url("eu") == "https://openapi-b-eu.temu.com/openapi/router"
    with pytest.raises(InvalidInput, match="region"):
        region_router_url("cn")
