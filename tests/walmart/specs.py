"""The vendored Walmart specs (OpenAPI 3.0.1 YAML), parsed once, and a journal check.

Walmart authenticates with the ``WM_SEC.ACCESS_TOKEN`` header (a required header parameter
of every operation, which openapi-core checks), not ``Authorization: Bearer``, so requests are
validated here directly rather than through :func:`tests.openapi3.assert_valid_request`.
"""

from __future__ import annotations

import warnings
from functools import cache
from typing import Any

import yaml
from openapi_core import Config, OpenAPI

from channelhub.simulators.base import Simulator
from channelhub.simulators.journal import JournalEntry
from tests.contracts import contract_file
from tests.openapi3 import SpecRequest

SERVER = "https://marketplace.walmartapis.com"
FILES = {
    "authentication": "walmart-marketplace-authentication-openapi-original.yml",
    "orders": "walmart-marketplace-orders-openapi-original.yml",
    "inventory": "walmart-marketplace-inventory-openapi-original.yml",
    "items": "walmart-marketplace-items-openapi-original.yml",
    "feeds": "walmart-marketplace-feeds-openapi-original.yml",
    "notifications": "walmart-marketplace-notifications-openapi-original.yml",
}


@cache
def raw(name: str) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loaded: dict[str, Any] = yaml.load(contract_file("walmart", FILES[name]).read_text(), loader)
    return loaded


@cache
def spec(name: str) -> OpenAPI:
    document = dict(raw(name))
    document["servers"] = [{"url": SERVER}]
    # the mirror's files omit ``info.version``: the document check is skipped, not the requests
    return OpenAPI.from_dict(document, config=Config(spec_validator_cls=None))


def spec_for(method: str, path: str) -> OpenAPI:
    """Which vendored spec holds ``method path`` (``POST /v3/feeds`` is the inventory feed)."""
    if path == "/v3/token":
        return spec("authentication")
    if path.startswith("/v3/orders"):
        return spec("orders")
    if path.startswith("/v3/items"):
        return spec("items")
    if (path == "/v3/feeds" and method == "POST") or path.startswith("/v3/inventor"):
        return spec("inventory")
    if path.startswith("/v3/feeds"):
        return spec("feeds")
    return spec("notifications")


def validate_entry(entry: JournalEntry) -> None:
    """Raise when one journaled request breaks its operation in the spec."""
    content_type = entry.headers.get("content-type", "application/json").split(";")[0].strip()
    if "multipart" in content_type:
        content_type = entry.headers["content-type"]
    request = SpecRequest(
        entry.method,
        SERVER + entry.path + (f"?{entry.query}" if entry.query else ""),
        headers={k: v for k, v in entry.headers.items()},
        body=entry.body or None,
        content_type=content_type,
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning)
        spec_for(entry.method, entry.path).validate_request(request)


def assert_journal_matches_specs(sim: Simulator) -> int:
    """Every request the simulator received is valid against its vendored spec."""
    for entry in sim.journal.entries:
        validate_entry(entry)
    return len(sim.journal.entries)
