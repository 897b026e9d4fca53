"""Validate a request a connector built against a published OpenAPI 3 spec (openapi-core).

Connectors talk to a configurable base URL (a simulator in tests), so the request's own host is
replaced by the spec's first server before validation: what is checked is the method, the path
under the API's base path, the query, the headers and the JSON body. Specs are parsed once per
test session (they are large).

    spec = openapi_spec(contract_file("ebay", "sell_fulfillment_v1_oas3.json"))
    assert_valid_request(spec, "GET", "/sell/fulfillment/v1/order", query={"limit": "200"})
    assert_valid_httpx_request(spec, captured_httpx_request)
"""

from __future__ import annotations

import json as jsonlib
import warnings
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

_SERVER_BASES: dict[int, str] = {}


@lru_cache(maxsize=16)
def openapi_spec(path: Path) -> OpenAPI:
    """The parsed spec at ``path`` (cached: each eBay spec is several hundred kB)."""
    raw = jsonlib.loads(Path(path).read_text(encoding="utf-8"))
    server = raw["servers"][0]
    url = str(server["url"])
    for name, variable in (server.get("variables") or {}).items():
        url = url.replace("{" + name + "}", str(variable["default"]))
    # openapi-core matches a server variable within one path segment; eBay's ``{basePath}``
    # spans several, so the server is pinned to its default before parsing.
    raw["servers"] = [{"url": url.rstrip("/")}]
    spec = OpenAPI.from_dict(raw)
    _SERVER_BASES[id(spec)] = url.rstrip("/")
    return spec


def _server_base(spec: OpenAPI) -> str:
    """The spec's first server URL with its variables at their defaults."""
    return _SERVER_BASES[id(spec)]


def _validate(spec: OpenAPI, request: SpecRequest) -> None:
    """Validate, and check the bearer token openapi-core cannot (it skips oauth2 schemes)."""
    header = request.parameters.header
    authorization = header.get("Authorization", "") if header is not None else ""
    if not str(authorization).startswith("Bearer "):
        raise AssertionError(f"{request.method.upper()} {request.path}: no OAuth bearer token")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Unsupported scheme type", UserWarning)
        spec.validate_request(request)


class SpecRequest:
    """The minimal request object openapi-core validates (its ``Request`` protocol)."""

    def __init__(
        self,
        method: str,
        full_url: str,
        *,
        query: Mapping[str, str | Sequence[str]] | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        content_type: str = "application/json",
    ) -> None:
        parts = urlsplit(full_url)
        merged: dict[str, list[str]] = {k: list(v) for k, v in parse_qs(parts.query).items()}
        for key, value in (query or {}).items():
            merged.setdefault(key, []).extend([value] if isinstance(value, str) else value)
        self._method = method.lower()
        self._host_url = f"{parts.scheme}://{parts.netloc}"
        self._path = parts.path
        self._body = body
        self._content_type = content_type
        self.parameters = RequestParameters(
            query=ImmutableMultiDict([(k, v) for k, vs in merged.items() for v in vs]),
            header=Headers(dict(headers or {})),
            cookie=ImmutableMultiDict(),
        )

    @property
    def host_url(self) -> str:
        return self._host_url

    @property
    def path(self) -> str:
        return self._path

    @property
    def method(self) -> str:
        return self._method

    @property
    def body(self) -> bytes | None:
        return self._body

    @property
    def content_type(self) -> str:
        return self._content_type


def _full_url(spec: OpenAPI, path: str) -> str:
    """Re-host ``path`` on the spec's server; a path without the base path gets it prepended."""
    base = _server_base(spec)
    base_path = urlsplit(base).path
    server_root = base[: len(base) - len(base_path)] if base_path else base
    if base_path and not path.startswith(base_path + "/") and path != base_path:
        path = base_path + path
    return server_root + path


def assert_valid_request(
    spec: OpenAPI,
    method: str,
    path: str,
    *,
    query: Mapping[str, str | Sequence[str]] | None = None,
    headers: Mapping[str, str] | None = None,
    json: Any = None,
    content: bytes | None = None,
) -> None:
    """Raise openapi-core's validation error when the request breaks the spec.

    ``path`` may include the query string and the API's base path (``/sell/inventory/v1``) or
    not. Every eBay operation requires an OAuth ``Authorization: Bearer`` header; its absence
    fails too (openapi-core itself does not check oauth2 schemes).
    """
    body = content if content is not None else None
    if json is not None:
        body = jsonlib.dumps(json).encode()
    request = SpecRequest(
        method,
        _full_url(spec, urlsplit(path).path) + (f"?{urlsplit(path).query}" if "?" in path else ""),
        query=query,
        headers=headers,
        body=body,
        content_type=(headers or {}).get("Content-Type", "application/json"),
    )
    _validate(spec, request)


def assert_valid_httpx_request(spec: OpenAPI, request: httpx.Request) -> None:
    """Validate a request captured from an ``httpx`` client (e.g. in a simulator test)."""
    content = request.content or None
    headers = {k: v for k, v in request.headers.items()}
    content_type = headers.get("content-type", "application/json")
    full = _full_url(spec, request.url.path)
    query = request.url.query.decode() if isinstance(request.url.query, bytes) else ""
    validated = SpecRequest(
        request.method,
        full + (f"?{query}" if query else ""),
        headers=headers,
        body=content,
        content_type=content_type.split(";")[0].strip(),
    )
    _validate(spec, validated)


class SpecResponse:
    """The minimal response object openapi-core validates."""

    def __init__(self, status_code: int, body: Any, headers: Mapping[str, str] | None = None):
        self.status_code = status_code
        self.content_type = "application/json"
        self.headers = Headers(dict(headers or {}))
        self.data = jsonlib.dumps(body).encode()


def assert_valid_response(
    spec: OpenAPI,
    method: str,
    path: str,
    status: int,
    body: Any,
    *,
    headers: Mapping[str, str] | None = None,
) -> None:
    """Raise when ``body`` is not what the spec says ``method path`` answers with ``status``.

    Used to prove that example payloads and simulator answers have the published shape.
    """
    request = SpecRequest(
        method, _full_url(spec, path), headers={"Authorization": "Bearer x"}, body=None
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Unsupported scheme type", UserWarning)
        spec.validate_response(request, SpecResponse(status, body, headers))
