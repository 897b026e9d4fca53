"""WINIT 万邑通: the signing rule on a hand-computed vector, the simulator refusing bad
signatures, and the demo-style flow end to end (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from channelhub.connectors.errors import Unauthorized
from channelhub.connectors.winit import PLUGIN
from channelhub.mappings.winit import wire
from channelhub.mappings.winit.signing import compute_sign, sign_string, signed_body, signs_match
from channelhub.simulators.clock import ManualClock
from channelhub.simulators.winit import (
    DE_WAREHOUSE,
    DEFAULT_CREDENTIALS,
    METHODS,
    US_WAREHOUSE,
    create_app,
)
from tests.overseas.flow import START, Platform, connector, run_flow
from tests.overseas.test_contract import assert_winit_requests_follow_the_sdk

pytestmark = pytest.mark.anyio

WINIT = Platform(
    plugin=PLUGIN,
    credentials=DEFAULT_CREDENTIALS,
    settings={
        "warehouse_codes": {"WINIT-US": US_WAREHOUSE, "WINIT-DE": DE_WAREHOUSE},
        "shipping_methods": {"standard": METHODS[0]},
    },
    us="WINIT-US",
    de="WINIT-DE",
    make_sim=lambda clock: create_app(clock=clock),
    creates=lambda sim: sum(
        1 for e in sim.journal.entries if e.body and b'"action":"createOutboundOrder"' in e.body
    ),
)


def test_sign_follows_the_documented_rule_on_a_hand_computed_vector() -> None:
    # Rule (WinitClient.getSign): UPPER(MD5(token + "action"+a + "app_key"+k + "data"+D
    # + "format"+f + "platform"+p + "sign_method"+m + "timestamp"+t + "version"+v + token)),
    # D = the data as compact JSON with sorted keys. By hand, for token "tok":
    #   tokactionqueryWarehouseapp_keymedata{"a":1}formatjsonplatformPsign_methodmd5
    #   timestamp2026-03-01 20:00:00version1.0tok
    # MD5 (upper-case hex) = 9883B2BF6CE904E79AAC06DE097E2DC6
    params = {
        "action": "queryWarehouse",
        "app_key": "me",
        "data": {"a": 1},
        "format": "json",
        "platform": "P",
        "sign_method": "md5",
        "timestamp": "2026-03-01 20:00:00",
        "version": "1.0",
        "client_id": "not signed",
    }
    assert sign_string(params, "tok") == (
        'tokactionqueryWarehouseapp_keymedata{"a":1}formatjsonplatformPsign_methodmd5'
        "timestamp2026-03-01 20:00:00version1.0tok"
    )
    assert compute_sign(params, "tok") == "9883B2BF6CE904E79AAC06DE097E2DC6"
    body = signed_body(
        "queryWarehouse",
        {"a": 1},
        app_key="me",
        client_id="c",
        platform="P",
        token="tok",
        client_secret="cs",
        now=datetime(2026, 3, 1, 12, tzinfo=UTC),  # 20:00 in China
    )
    assert body["timestamp"] == "2026-03-01 20:00:00"
    assert body["sign"] == "9883B2BF6CE904E79AAC06DE097E2DC6"
    assert signs_match(body, token="tok", client_secret="cs")
    assert not signs_match({**body, "data": {"a": 2}}, token="tok", client_secret="cs")


async def test_the_simulator_refuses_a_wrong_signature_as_winit_would() -> None:
    clock = ManualClock(START)
    sim = create_app(clock=clock)
    wrong = {**DEFAULT_CREDENTIALS, "token": "stolen"}
    bad = Platform(**{**WINIT.__dict__, "credentials": wrong})
    wms = connector(bad, sim, clock)
    with pytest.raises(Unauthorized, match=wire.SIGN_INVALID):
        await wms.gateway.call(wire.LIST, {"sellerOrderNo": "x"})
    await wms.aclose()


async def test_a_void_is_too_late_once_picking_started() -> None:
    # void in time, a repeat, too late once shipped, a resend read back: the conformance
    # suite (tests/overseas/test_winit_conformance.py); here the picking stage in between
    from channelhub.core.fulfilment import OutboundLine, OutboundOrder, OutboundState
    from channelhub.core.parties import Address

    clock = ManualClock(START)
    sim = create_app(clock=clock)
    wms = connector(WINIT, sim, clock)

    def outbound(key: str) -> OutboundOrder:
        return OutboundOrder(
            idempotency_key=key,
            order_key="shopify:shop1:1",
            warehouse="WINIT-US",
            ship_to=Address(name="Ann", line1="1 Main St", city="NYC", country="US"),
            lines=(OutboundLine(sku="MUG-RED", quantity=1),),
            shipping_service="standard",
        )

    await wms.create_outbound(outbound("k2"))
    sim.advance(timedelta(hours=2, minutes=5))  # picking
    late = await wms.cancel_outbound("k2", reason="x")
    assert late.state is OutboundState.CANCEL_TOO_LATE and "PK" in (late.reason or "")
    assert_winit_requests_follow_the_sdk(sim)  # the cancel / void requests too
    await wms.aclose()


async def test_demo_flow_against_the_winit_simulator(engine: Engine) -> None:
    sim = await run_flow(engine, WINIT)
    actions = {e.json()["action"] for e in sim.journal.entries if e.body}
    assert {wire.CREATE, wire.LIST, wire.DETAIL, wire.TRACK, wire.FEES, wire.INVENTORY} <= actions
    assert_winit_requests_follow_the_sdk(sim)


async def test_a_throttled_envelope_is_retried_and_signed_afresh() -> None:
    from channelhub.simulators.throttle import SimLimit

    clock = ManualClock(START)
    sim = create_app(clock=clock, rate=SimLimit(1, 1))
    wms = connector(WINIT, sim, clock)
    for _ in range(3):  # one token a second: the 2nd and 3rd are refused first (code 429)
        await wms.gateway.call(wire.LIST, {"sellerOrderNo": "x"})
    stamps = [e.json()["timestamp"] for e in sim.journal.entries]
    assert len(stamps) > 3, "some calls were throttled and repeated"
    assert len(set(stamps)) > 1, "each attempt carries its own timestamp and signature"
    await wms.aclose()
