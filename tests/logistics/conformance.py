"""Check real httpx exchanges against an OpenAPI document with openapi-core."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import httpx
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse


def mock_request(request: httpx.Request, host_url: str, prefix: str = "") -> MockRequest:
    """``prefix`` is the server URL's path the simulator does not mount (e.g. ``/channelhub``)."""
    args = {k: v[0] for k, v in parse_qs(request.url.query.decode()).items()}
    return MockRequest(
        host_url,
        request.method.lower(),
        prefix + request.url.path,
        args=args,
        headers=dict(request.headers),
        data=request.content or None,
        content_type=request.headers.get("content-type", "application/json"),
    )


def check_exchange(
    spec: OpenAPI, response: httpx.Response, host_url: str, prefix: str = ""
) -> None:
    """Raise when the request or the response breaks the document."""
    request = mock_request(response.request, host_url, prefix)
    spec.validate_request(request)
    spec.validate_response(
        request,
        MockResponse(
            response.content,
            status_code=response.status_code,
            headers=dict(response.headers),
            content_type=response.headers.get("content-type", "application/json"),
        ),
    )


def openapi(document: dict[str, Any], *, check_spec: bool = True) -> OpenAPI:
    """``check_spec=False`` for vendor specs with known defects (ShipBob's
    AddProductToOrderByProductIdModel requires an undefined ``product_id``)."""
    if check_spec:
        return OpenAPI.from_dict(document)
    return OpenAPI.from_dict(document, config=Config(spec_validator_cls=None))


class RecordingTransport(httpx.AsyncBaseTransport):
    """Wraps a transport and keeps every (request, response) so tests can check them."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.exchanges: list[httpx.Response] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        content = await response.aread()
        recorded = httpx.Response(
            response.status_code, headers=response.headers, content=content, request=request
        )
        self.exchanges.append(recorded)
        return httpx.Response(
            response.status_code, headers=response.headers, content=content, request=request
        )
