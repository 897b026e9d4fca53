"""Shared set-up for the Goodcang tests: one manual clock for the simulator and the connector,
the connector reaching the simulator in process, and the check of every request against the
vendored references (the SDK classes' ``@JsonProperty`` names, the docs' tables)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import httpx
from pydantic import SecretStr

from channelhub.connectors.goodcang import GoodcangWarehouse
from channelhub.connectors.plugin import ConnectorContext
from channelhub.simulators.clock import ManualClock
from channelhub.simulators.goodcang import DEFAULT_CREDENTIALS, create_app
from tests.contracts import contract_file

START = datetime(2026, 3, 1, 12, tzinfo=UTC)
ACCOUNT = "gc-eu"
SETTINGS: dict[str, Any] = {
    "warehouses": {"GC-DE": "DEWH", "GC-US": "USEA"},
    "shipping_methods": {"GC-DE/default": "DHL-DE-PARCEL", "GC-DE/express": "GLS-DE"},
}
_FIELD = re.compile(r'(?:@JsonProperty\("([^"]+)"\)\s*)?private [\w<>\[\], ]+? (\w+)(?: = [^;]+)?;')


@cache
def properties(java_file: str) -> frozenset[str]:
    """The JSON names a vendored SDK class declares: each field's ``@JsonProperty`` name,
    else (Jackson's default) the field's own name."""
    text = contract_file("wms", "goodcang", java_file).read_text(encoding="utf-8")
    text = re.sub(r"/\*\*.*?\*/", "", text, flags=re.S)
    return frozenset(named or plain for named, plain in _FIELD.findall(text))


def doc_fields(doc: str, operation_path: str) -> frozenset[str]:
    """The request field names of one operation's table in a vendored docs page."""
    text = contract_file("wms", "goodcang", doc).read_text(encoding="utf-8")
    section = text[text.index(operation_path) :]
    table = section[section.index("请求JSON\n\n参数名") : section.index("响应JSON\n\n参数名")]
    names = (line.split("\t")[0] for line in table.splitlines() if "\t" in line)
    return frozenset(names) - {"参数名"}


#: path -> (the reference that defines its request body, allowed top-level names)
def allowed_fields(path: str) -> frozenset[str]:
    if path == "/order/create_order":
        return properties("CreateOrderPayload.java")
    if path == "/order/cancel_order":
        return properties("CancelOrderPayload.java")
    if path == "/order/get_order_by_ref_code":
        return properties("ReferenceNoPayload.java")
    if path == "/order/batch_query_tracking_status":
        return properties("QueryTrackingStatusPayload.java") | doc_fields(
            "order.md", "batch_query_tracking_status"
        )
    if path == "/inventory/get_product_inventory":
        return (
            properties("GetProductInventoryPayload.java")
            | properties("PagePayload.java")
            | doc_fields("inventory.md", "get_product_inventory")
        )
    raise AssertionError(f"{path} is not an operation the references name")


@dataclass
class Rig:
    sim: Any
    clock: ManualClock
    transport: httpx.ASGITransport

    def context(self, **settings: Any) -> ConnectorContext:
        async def sleep(seconds: float) -> None:
            self.clock.tick(timedelta(seconds=seconds))

        return ConnectorContext(
            platform="goodcang",
            account=ACCOUNT,
            base_url="http://gc.sim",
            credentials={k: SecretStr(v) for k, v in DEFAULT_CREDENTIALS.items()},
            settings={**SETTINGS, **settings},
            transport=self.transport,
            clock=lambda: self.clock().timestamp(),
            sleep=sleep,
            now=self.clock,
        )

    def connector(self, **settings: Any) -> GoodcangWarehouse:
        return GoodcangWarehouse(self.context(**settings))

    def assert_requests_follow_the_references(self) -> list[str]:
        """Every request is a POST to a path the SDK client names, with both auth headers,
        a JSON object of only the reference's field names (items: OrderItem's); returns the
        paths seen."""
        client = contract_file("wms", "goodcang", "GoodCangClient.java").read_text("utf-8")
        item_names = properties("OrderItem.java")
        seen = []
        for entry in self.sim.journal.entries:
            if entry.path.startswith("/_sim"):
                continue
            assert entry.method == "POST"
            assert f'"{entry.path}"' in client, f"{entry.path} is not in GoodCangClient.java"
            headers = {k.lower(): v for k, v in entry.headers.items()}
            assert headers["app-key"] == DEFAULT_CREDENTIALS["app_key"]
            assert headers["app-token"] == DEFAULT_CREDENTIALS["app_token"]
            body = entry.json()
            assert isinstance(body, dict)
            extra = set(body) - allowed_fields(entry.path)
            assert not extra, f"{entry.path} sends {extra}, not in the references"
            for item in body.get("items", []):
                assert set(item) <= item_names, f"items carry {set(item) - item_names}"
            seen.append(entry.path)
        return seen


def make_rig(**options: Any) -> Rig:
    clock = ManualClock(START)
    sim = create_app(clock=clock, **options)
    return Rig(sim=sim, clock=clock, transport=httpx.ASGITransport(app=sim))
