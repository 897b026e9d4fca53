"""The Goodcang connector against its simulator: the auth headers, create by reference with
read-back, refusals, cancel and intercept, status with shipment and fees, tracking into the
canonical vocabulary, and inventory paging. Every request checked against the references."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from channelhub.connectors.errors import NotFoundError, Unauthorized
from channelhub.connectors.goodcang import GoodcangAuth, GoodcangRefused, auth_headers
from channelhub.core.errors import InvalidInput
from channelhub.core.fulfilment import OutboundOrder, OutboundState, TrackingStatus
from channelhub.mappings.goodcang import errors as gc_errors
from channelhub.mappings.goodcang import reference_no, tracking_events
from tests.goodcang.harness import make_rig, properties

pytestmark = pytest.mark.anyio


def outbound(key: str = "shopify:s1:1001#1r1", **changes: object) -> OutboundOrder:
    data: dict[str, object] = {
        "idempotency_key": key,
        "order_key": "shopify:s1:1001",
        "warehouse": "GC-DE",
        "ship_to": {
            "name": "Jonas Weber",
            "line1": "Hauptstr. 1",
            "city": "Berlin",
            "postal_code": "10115",
            "country": "DE",
        },
        "lines": [{"sku": "MUG-RED", "quantity": 2, "order_line_id": "L1"}],
        "shipping_service": "standard",
        **changes,
    }
    return OutboundOrder.model_validate(data)


async def test_auth_is_the_two_plain_headers_of_the_reference() -> None:
    # Written down from GoodCangClient.postGoodCang: headers.add("app-key", appKey);
    # headers.add("app-token", appToken); JSON accept and content type; nothing signed.
    assert auth_headers("K-123", "T-456") == {
        "app-key": "K-123",
        "app-token": "T-456",
        "Accept": "application/json",
        "Content-Type": "application/json",
    }
    hook = GoodcangAuth(app_key=_secret("K-123"), app_token=_secret("T-456"))
    request = await hook.apply(httpx.Request("POST", "http://x/order/create_order", json={}))
    assert (request.headers["app-key"], request.headers["app-token"]) == ("K-123", "T-456")
    assert "K-123" not in repr(hook)


def _secret(value: str):  # type: ignore[no-untyped-def]
    from pydantic import SecretStr

    return SecretStr(value)


async def test_a_wrong_token_is_unauthorized_and_not_retried() -> None:
    rig = make_rig(credentials={"app_token": "other"})
    gc = rig.connector()
    with pytest.raises(Unauthorized, match="app_token"):
        await gc.get_outbound("nothing")
    assert len(rig.sim.journal.entries) == 1
    await gc.aclose()


async def test_create_maps_the_warehouse_and_the_shipping_method() -> None:
    # a resend read back instead of creating twice: the conformance suite
    # (tests/goodcang/test_conformance.py, outbound_created_once)
    rig = make_rig()
    gc = rig.connector()
    first = await gc.create_outbound(outbound())
    assert first.created and first.state is OutboundState.ACCEPTED
    sent = rig.sim.journal.entries[0].json()
    assert (sent["warehouse_code"], sent["shipping_method"]) == ("DEWH", "DHL-DE-PARCEL")
    assert sent["reference_no"] == "shopify:s1:1001#1r1" and sent["verify"] == 1
    assert sent["items"] == [{"product_sku": "MUG-RED", "quantity": 2, "item_id": "L1"}]
    assert (await gc.get_outbound("shopify:s1:1001#1r1")).warehouse_order_id == (
        first.warehouse_order_id
    )
    express = await gc.create_outbound(outbound("k2", shipping_service="express"))
    assert rig.sim.journal.entries[-1].json()["shipping_method"] == "GLS-DE"
    assert express.created
    assert set(rig.assert_requests_follow_the_references()) >= {
        "/order/create_order",
        "/order/get_order_by_ref_code",
    }
    await gc.aclose()


async def test_refusals_keep_goodcangs_words_and_a_missing_method_is_one_line() -> None:
    rig = make_rig()
    gc = rig.connector()
    with pytest.raises(GoodcangRefused, match="not enough sellable stock"):
        await gc.create_outbound(
            outbound(lines=[{"sku": "MUG-RED", "quantity": 400, "order_line_id": "L1"}])
        )
    with pytest.raises(InvalidInput, match="no Goodcang shipping method for service 'standard'"):
        await gc.create_outbound(outbound(warehouse="GC-US"))
    with pytest.raises(NotFoundError):
        await gc.get_outbound("never-sent")
    rig.assert_requests_follow_the_references()
    await gc.aclose()


def test_a_long_dispatch_id_becomes_a_stable_reference_within_50() -> None:
    key = "shopify:a-very-long-account-name:100200300400500600#3r12/extra"
    ref = reference_no(key)
    assert len(ref) <= 50 and ref == reference_no(key) and ref != reference_no(key + "x")
    assert reference_no("short#1r1") == "short#1r1"


async def test_cancel_then_intercept_then_too_late() -> None:
    rig = make_rig()
    gc = rig.connector()
    for key in ("a", "b", "c"):
        await gc.create_outbound(outbound(key))
    assert (await gc.cancel_outbound("a", reason="buyer")).state is OutboundState.CANCELLED
    rig.sim.advance(timedelta(hours=2, minutes=1))  # b and c in the warehouse's hands (W)
    b = await gc.cancel_outbound("b", reason="address")
    assert b.state is OutboundState.CANCEL_REQUESTED
    rig.sim.advance(timedelta(minutes=1))
    assert (await gc.get_outbound("b")).state is OutboundState.CANCELLED
    rig.sim.advance(timedelta(hours=2))  # c shipped
    late = await gc.cancel_outbound("c", reason="late")
    assert late.state is OutboundState.CANCEL_TOO_LATE
    stock = rig.sim.state.sellable[("DEWH", "MUG-RED")]
    assert stock == 40 - 2  # only c's units left the shelf; a's and b's came back
    rig.assert_requests_follow_the_references()
    await gc.aclose()


async def test_shipped_status_shipment_fees_and_tracking() -> None:
    rig = make_rig()
    gc = rig.connector()
    await gc.create_outbound(outbound())
    assert (await gc.get_outbound("shopify:s1:1001#1r1")).state is OutboundState.ACCEPTED
    fees = await gc.outbound_fees("shopify:s1:1001#1r1")
    assert fees.charges == () and not fees.final
    rig.sim.advance(timedelta(hours=4))
    status = await gc.get_outbound("shopify:s1:1001#1r1")
    assert status.state is OutboundState.SHIPPED and status.final and not status.failures
    (shipment,) = status.shipments
    assert shipment.warehouse == "GC-DE" and shipment.shipped_at == datetime(
        2026, 3, 1, 16, tzinfo=UTC
    )
    (package,) = shipment.packages
    assert package.service == "DHL-DE-PARCEL" and package.lines[0].quantity == 2
    fees = await gc.outbound_fees("shopify:s1:1001#1r1")
    assert fees.final and {c.currency for c in fees.charges} == {"EUR"}
    assert fees.total("EUR") == Decimal("4.5") + Decimal("2.4") + Decimal("0.45")
    assert fees.raw["OPF"] == "2.4"
    rig.sim.advance(timedelta(hours=7))
    events = await gc.order_tracking(["shopify:s1:1001#1r1"])
    assert [e.status for e in events] == [
        TrackingStatus.IN_TRANSIT,
        TrackingStatus.IN_TRANSIT,
        TrackingStatus.OUT_FOR_DELIVERY,
        TrackingStatus.DELIVERED,
    ]
    assert {e.tracking_number for e in events} == {package.tracking_number}
    assert set(rig.assert_requests_follow_the_references()) >= {
        "/order/batch_query_tracking_status"
    }
    await gc.aclose()


def test_tracking_reads_the_tables_status_list_and_keeps_unknown_codes() -> None:
    payload = {
        "code": 0,
        "data": [
            {
                "order_code": "G1",
                "code": "DHL",
                "trajectory_information": [
                    {
                        "tracking_number": "T1",
                        "status_list": [
                            {"utc_time": "2021-03-15 13:41:27", "code": "TMS_ZZ", "info": "?"},
                            {"date_time": "2021-03-15 21:41:27", "code": "TMS_WPU"},
                        ],
                    }
                ],
            }
        ],
    }
    unknown, pickup = tracking_events(payload, carriers={})
    assert (unknown.status, unknown.raw_code) == (TrackingStatus.UNKNOWN, "TMS_ZZ")
    assert pickup.status is TrackingStatus.AVAILABLE_FOR_PICKUP
    assert pickup.occurred_at == datetime(2021, 3, 15, 13, 41, 27, tzinfo=UTC)  # Beijing -> UTC


async def test_inventory_pages_name_the_hub_warehouses() -> None:
    stock = {("DEWH", f"SKU-{n:03d}"): n for n in range(250)} | {("USEA", "MUG-RED"): 3}
    rig = make_rig(stock=stock)
    gc = rig.connector()
    pages = [page async for page in gc.get_stock_levels()]
    assert len(pages) == 2 and pages[-1].done
    levels = {(lv.warehouse, lv.sku): lv for page in pages for lv in page.items}
    assert len(levels) == 251 and levels[("GC-US", "MUG-RED")].on_hand == 3
    assert levels[("GC-DE", "SKU-007")].available == 7
    assert rig.sim.journal.entries[0].json()["warehouse_code_arr"] == ["DEWH", "USEA"]
    assert "pageSize" in rig.sim.journal.entries[0].json()
    assert "page_size" in properties("PagePayload.java")  # the SDK's spelling, not the docs'
    rig.sim.journal.clear()
    wanted = ["SKU-007", "SKU-240"]
    some = [lv.sku async for page in gc.get_stock_levels(wanted) for lv in page.items]
    assert sorted(some) == ["SKU-007", "SKU-240"] and len(rig.sim.journal.entries) == 1
    assert rig.sim.journal.entries[0].json()["product_sku_arr"] == ["SKU-007", "SKU-240"]
    rig.assert_requests_follow_the_references()
    await gc.aclose()


def test_the_envelopes_read_are_the_references() -> None:
    # ResponseAsk: ask (V1), code (V2), message, data, Error{errCode, errMessage};
    # CancelOrderResponse adds order_code and cancel_status (success only when 2).
    assert properties("ResponseAsk.java") == {"ask", "code", "message", "data", "Error"}
    assert properties("Error.java") == {"errMessage", "errCode"}
    assert properties("CancelOrderResponse.java") == {"order_code", "cancel_status"}
    failure = gc_errors.v1_failure(gc_errors.ORDER_NOT_FOUND, "no order")
    assert set(failure) <= properties("ResponseAsk.java")
    assert set(failure["Error"]) == properties("Error.java")
    answer = gc_errors.read_answer(failure)
    assert (answer.ok, answer.code) == (False, gc_errors.ORDER_NOT_FOUND)
    assert gc_errors.read_answer({"code": 0, "message": "success", "data": []}).ok
