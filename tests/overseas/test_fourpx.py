"""4PX 递四方: the signing rule on a hand-computed vector, the simulator refusing bad
signatures, cancel in time and too late, and the demo-style flow end to end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from channelhub.connectors.errors import Unauthorized
from channelhub.connectors.fourpx import PLUGIN
from channelhub.core.fulfilment import OutboundLine, OutboundOrder, OutboundState
from channelhub.core.parties import Address
from channelhub.mappings.fourpx import wire
from channelhub.mappings.fourpx.signing import compute_sign, sign_string, signed_query
from channelhub.simulators.clock import ManualClock
from channelhub.simulators.fourpx import (
    DE_WAREHOUSE,
    DEFAULT_CREDENTIALS,
    METHODS,
    US_WAREHOUSE,
    create_app,
)
from tests.overseas.flow import START, Platform, connector, run_flow
from tests.overseas.test_contract import assert_4px_requests_follow_the_sdk

pytestmark = pytest.mark.anyio

FOURPX = Platform(
    plugin=PLUGIN,
    credentials=DEFAULT_CREDENTIALS,
    settings={
        "warehouse_codes": {"4PX-US": US_WAREHOUSE, "4PX-DE": DE_WAREHOUSE},
        "shipping_methods": {"standard": METHODS[0]},
    },
    us="4PX-US",
    de="4PX-DE",
    make_sim=lambda clock: create_app(clock=clock),
    creates=lambda sim: sum(
        1 for e in sim.journal.entries if "method=fu.wms.outbound.create" in e.query
    ),
)


def test_sign_follows_the_documented_rule_on_a_hand_computed_vector() -> None:
    # Rule (FopClient.postFop): md5("app_key"+k + "format"+f + "method"+m + "timestamp"+t
    # + "v"+v + BODY + secret), lower-case hex. By hand, for key K, secret S, body
    # {"ref_no":"R1"} at 2026-03-01T12:00:00Z (1772366400000 ms):
    #   app_keyKformatjsonmethodfu.wms.outbound.getlisttimestamp1772366400000v1.0.0{"ref_no":"R1"}S
    # MD5 = b8ec85f6624399dfbaa1f811b39deb11
    query = signed_query(
        "fu.wms.outbound.getlist",
        '{"ref_no":"R1"}',
        app_key="K",
        secret="S",
        now=datetime(2026, 3, 1, 12, tzinfo=UTC),
    )
    assert query["timestamp"] == "1772366400000"
    assert sign_string(query, '{"ref_no":"R1"}', "S") == (
        'app_keyKformatjsonmethodfu.wms.outbound.getlisttimestamp1772366400000v1.0.0{"ref_no":"R1"}S'
    )
    assert query["sign"] == "b8ec85f6624399dfbaa1f811b39deb11"
    assert compute_sign(query, '{"ref_no":"R2"}', "S") != query["sign"]  # the body is signed


async def test_the_simulator_refuses_a_wrong_secret_as_4px_would() -> None:
    clock = ManualClock(START)
    sim = create_app(clock=clock)
    bad = Platform(**{**FOURPX.__dict__, "credentials": {**DEFAULT_CREDENTIALS, "app_secret": "x"}})
    wms = connector(bad, sim, clock)
    with pytest.raises(Unauthorized, match=wire.SIGN_INVALID):
        await wms.gateway.call(wire.LIST, {"ref_no": "x"})
    await wms.aclose()


async def test_a_cancel_is_too_late_once_picking_started() -> None:
    # cancel in time, a repeat, too late once shipped, a resend read back: the conformance
    # suite (tests/overseas/test_fourpx_conformance.py); here the picking stage in between
    clock = ManualClock(START)
    sim = create_app(clock=clock)
    wms = connector(FOURPX, sim, clock)

    def outbound(key: str) -> OutboundOrder:
        return OutboundOrder(
            idempotency_key=key,
            order_key="shopify:shop1:1",
            warehouse="4PX-US",
            ship_to=Address(name="Ann Lee", line1="1 Main St", city="NYC", country="US"),
            lines=(OutboundLine(sku="MUG-RED", quantity=1),),
            shipping_service="standard",
        )

    await wms.create_outbound(outbound("k2"))
    sim.advance(timedelta(hours=2, minutes=5))  # picking (P)
    late = await wms.cancel_outbound("k2", reason="x")
    assert late.state is OutboundState.CANCEL_TOO_LATE and "consignment P:" in (late.reason or "")
    assert_4px_requests_follow_the_sdk(sim)  # the cancel / void requests too
    await wms.aclose()


async def test_demo_flow_against_the_4px_simulator(engine: Engine) -> None:
    sim = await run_flow(engine, FOURPX)
    methods = {
        e.query.split("method=")[1].split("&")[0]
        for e in sim.journal.entries
        if "method=" in e.query
    }
    assert set(wire.METHODS) - {wire.CANCEL} <= methods
    assert_4px_requests_follow_the_sdk(sim)
