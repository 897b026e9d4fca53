"""The published protocol document, shipped inside the package so the hub can serve it at
``/openapi/outbound-protocol.json``. ``docs/outbound-protocol.openapi.json`` is the same file
for readers of the repository (a test keeps the two identical)."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

SERVED_PATH = "/openapi/outbound-protocol.json"


def protocol_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the channelhub outbound protocol."""
    text = files("channelhub.connectors.outbound_protocol").joinpath("openapi.json").read_text()
    document: dict[str, Any] = json.loads(text)
    return document
