"""Every request the WINIT and 4PX connectors build is checked (by the flow tests) against the
vendored SDK classes (contract unverified: the only reference there is): each field sent is one
the class declares (``@JsonProperty``), for every action / method the demo flow uses."""

from __future__ import annotations

import json
import re
from typing import Any

from channelhub.mappings.fourpx import wire as fourpx
from channelhub.mappings.winit import wire as winit
from tests.contracts import contract_file

_PROPERTY = re.compile(r'@JsonProperty\("([^"]+)"\)')

#: action -> the SDK class of its data, and of nested objects by key
WINIT_CLASSES = {
    winit.CREATE: ("CreateOutboundOrderPayload.java", {"productList": "OutboundOrderProduct.java"}),
    winit.LIST: ("QueryOutboundOrderPayload.java", {}),
    winit.DETAIL: ("OutboundOrderNumPayload.java", {}),
    winit.VOID: ("OutboundOrderNumPayload.java", {}),
    winit.TRACK: ("TrackQueryData.java", {}),
    winit.INVENTORY: ("QueryProductInventory.java", {}),
    winit.FEES: ("QueryOrderFeePayload.java", {"pageParams": "PageParams.java"}),
}
FOURPX_CLASSES = {
    fourpx.CREATE: (
        "OutboundCreate.java",
        {
            "oconsignment_desc": "ConsigneeInfo.java",
            "oconsignment_sku": "OConsignmentSku.java",
            "logistics_service_info": "LogisticsServiceInfo.java",
        },
    ),
    fourpx.LIST: ("OutboundListPayload.java", {}),
    fourpx.CANCEL: ("OutboundCancel.java", {}),
    fourpx.INVENTORY: ("InventoryList.java", {}),
    fourpx.BILLING: ("ConsignmentRefNoPayload.java", {}),
    fourpx.TRACK: ("DeliveryOrderNoPayload.java", {}),
}


def _properties(folder: str, name: str) -> set[str]:
    return set(_PROPERTY.findall(contract_file("wms", folder, name).read_text(encoding="utf-8")))


def _check(folder: str, classes: dict[str, Any], operation: str, data: Any) -> None:
    top, nested = classes[operation]
    allowed = _properties(folder, top)
    assert set(data) <= allowed, f"{operation}: {set(data) - allowed} not in {top}"
    for key, cls in nested.items():
        items = data.get(key) or []
        for item in items if isinstance(items, list) else [items]:
            inner = _properties(folder, cls)
            assert set(item) <= inner, f"{operation}.{key}: {set(item) - inner} not in {cls}"


def test_the_signed_common_parameters_are_the_sdks() -> None:
    request = _properties("winit", "WinitRequest.java")
    assert {"action", "app_key", "data", "format", "platform", "sign_method", "timestamp"} <= (
        request
    )
    client = contract_file("wms", "winit", "WinitClient.java").read_text(encoding="utf-8")
    assert (
        "%saction%sapp_key%sdata%sformat%splatform%ssign_method%stimestamp%sversion%s%s" in client
    )
    fop = contract_file("wms", "4px", "FopClient.java").read_text(encoding="utf-8")
    assert '"app_key%sformat%smethod%stimestamp%sv%s%s%s"' in fop
    assert '"result"' in contract_file("wms", "4px", "FopResp.java").read_text(encoding="utf-8")
    assert '"error_code"' in contract_file("wms", "4px", "Error.java").read_text(encoding="utf-8")
    assert '"code"' in contract_file("wms", "winit", "WinitResponse.java").read_text("utf-8")
    assert '"v"' in contract_file("wms", "4px", "CommonArgs.java").read_text(encoding="utf-8")


def assert_winit_requests_follow_the_sdk(sim: Any) -> None:
    """Every request in the WINIT simulator's journal uses only the SDK's fields."""
    for entry in sim.journal.entries:
        body = json.loads(entry.body)
        _check("winit", WINIT_CLASSES, body["action"], body.get("data") or {})


def assert_4px_requests_follow_the_sdk(sim: Any) -> None:
    """Every request in the 4PX simulator's journal uses only the SDK's fields."""
    for entry in sim.journal.entries:
        method = entry.query.split("method=")[1].split("&")[0]
        _check("4px", FOURPX_CLASSES, method, json.loads(entry.body or b"{}"))
