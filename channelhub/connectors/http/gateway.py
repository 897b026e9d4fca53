"""A shared base for signed, method-named gateways (Temu, WINIT 万邑通, 4PX 递四方, Alibaba IOP).

Many platforms — most of the Chinese ones — expose their whole API as **one POST endpoint**:
the operation is named in the request (Temu's ``type``, WINIT's ``action``, 4PX's ``method``),
a **signature** is computed over the sorted common parameters, the business data and a secret
(usually an MD5 or HMAC in hex), and every answer, errors included, is HTTP 200 with an
**envelope** (a code, a message, the data). What differs from one platform to the next is
small, so a connector states only that, as a :class:`GatewayScheme`:

- :meth:`GatewayScheme.build`: the query parameters and exact body bytes of one call of
  ``method`` with ``data`` at ``now`` (sign inside; keep the hashing itself a pure function
  in ``mappings/<platform>/signing.py`` so the simulator verifies with the same code);
- :meth:`GatewayScheme.read`: the envelope of an answer body (raise ``ValueError`` when the
  body is not one: it becomes a :class:`~channelhub.connectors.errors.ContractViolation`);
- :meth:`GatewayScheme.classify` (optional): which envelope codes mean throttled
  (``throttled_codes``), a transient fault (``retryable_codes``), refused credentials
  (``auth_codes``) or a refusal to keep (everything else: :class:`GatewayError`).

and gets a :class:`SignedGateway`: ``await gateway.call(method, data)`` returns the
:class:`Envelope` of a successful answer. Underneath is the ordinary
:class:`~channelhub.connectors.http.client.ConnectorHttpClient`, so retries, rate limits per
method (or one shared bucket, ``bucket_of``), redaction and observation work as for every
other connector. The signing hook re-signs **every attempt** (a retry gets a fresh timestamp)
and sends exactly the bytes it signed.

Pure helpers for the hashing (re-exported here, defined in
:mod:`channelhub.mappings.gateway_signing` so a simulator verifies with the same code):
:func:`md5_hex`, :func:`hmac_hex` (HMAC-SHA256, Alibaba IOP style), :func:`sorted_concat`
(``k1v1k2v2...``), :func:`compact_json` (Jackson-like bytes), :func:`signature_matches`
(constant time). Rate limits are per method unless ``bucket_of`` names a shared bucket.
Implementations: :mod:`channelhub.connectors.temu.auth`, :mod:`channelhub.connectors.winit`,
:mod:`channelhub.connectors.fourpx`; their tests (``tests/connectors/test_gateway.py``) show
a toy HMAC-signed scheme end to end.

Example (a platform whose envelope is ``{"code": "0", "msg": ..., "data": ...}``)::

    class AcmeScheme(GatewayScheme):
        label = "Acme"
        path = "/router"
        throttled_codes = frozenset({"429"})

        def build(self, method, data, now):
            body = compact_json(data)
            query = {"method": method, "app_key": self.key, "timestamp": str(int(now.timestamp()))}
            query["sign"] = md5_hex(sorted_concat(query) + body.decode() + self.secret)
            return SignedRequest(query=query, body=body)

        def read(self, body):
            return Envelope(ok=body["code"] == "0", code=str(body["code"]),
                            message=str(body.get("msg")), data=body.get("data"))

    gateway = SignedGateway(context, AcmeScheme(...), default_base_url=..., limits=...)
    order = (await gateway.call("order.get", {"id": "1"})).data
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

import httpx

from channelhub.connectors.errors import (
    ConnectorError,
    ContractViolation,
    FatalError,
    RateLimited,
    ServerError,
    Unauthorized,
)
from channelhub.connectors.http.client import ConnectorHttpClient
from channelhub.connectors.http.ratelimit import RateLimit
from channelhub.connectors.plugin import ConnectorContext, http_client_for
from channelhub.mappings.gateway_signing import (
    compact_json,
    hmac_hex,
    md5_hex,
    signature_matches,
    sorted_concat,
)

_CALL_HEADER = "x-channelhub-gateway-method"


@dataclass(frozen=True)
class SignedRequest:
    """What one signed call sends: query parameters (may be empty) and the exact body bytes."""

    body: bytes
    query: Mapping[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


@dataclass(frozen=True)
class Envelope:
    """A gateway answer: ``ok``, the platform's code and message as text, and its data."""

    ok: bool
    code: str
    message: str
    data: Any = None
    raw: Any = None  # the whole decoded body, for a caller that needs another field


class GatewayError(FatalError):
    """A refusal in the gateway's envelope that retrying will not fix (``code`` is the
    platform's own, ``method`` the operation)."""

    def __init__(self, message: str, *, code: str, method: str, envelope: Envelope) -> None:
        super().__init__(message, status=200)
        self.code = code
        self.method = method
        self.envelope = envelope


class GatewayScheme(ABC):
    """One gateway's wire rules (see the module docstring)."""

    #: the platform's name in messages ("WINIT", "4PX")
    label: ClassVar[str] = "gateway"
    #: the one endpoint, relative to the account's base URL
    path: ClassVar[str] = "/"
    throttled_codes: ClassVar[frozenset[str]] = frozenset()
    retryable_codes: ClassVar[frozenset[str]] = frozenset()
    auth_codes: ClassVar[frozenset[str]] = frozenset()

    @abstractmethod
    def build(self, method: str, data: Any, now: datetime) -> SignedRequest:
        """The signed query and body of one call of ``method`` with ``data`` at ``now``."""

    @abstractmethod
    def read(self, body: Any) -> Envelope:
        """The envelope of a decoded JSON answer; ``ValueError`` when it is none."""

    def classify(self, method: str, envelope: Envelope) -> ConnectorError | None:
        """The hub's error for a failed envelope (None when ``ok``)."""
        if envelope.ok:
            return None
        text = f"{self.label} error {envelope.code} on {method}: {envelope.message}"
        if envelope.code in self.throttled_codes:
            return RateLimited(text, status=200, retry_after=1.0)
        if envelope.code in self.retryable_codes:
            return ServerError(text, status=200)
        if envelope.code in self.auth_codes:
            return Unauthorized(text + " (check the account's credentials)", status=200)
        return GatewayError(text, code=envelope.code, method=method, envelope=envelope)


class GatewaySigningAuth:
    """AuthHook: turns the client's placeholder request into the scheme's signed one, on every
    attempt (so a retry is signed with a fresh timestamp)."""

    def __init__(self, scheme: GatewayScheme, now: Callable[[], datetime]) -> None:
        self.scheme = scheme
        self._now = now

    def __repr__(self) -> str:
        return f"GatewaySigningAuth({self.scheme.label})"

    async def apply(self, request: httpx.Request) -> httpx.Request:
        method = request.headers[_CALL_HEADER]
        data = json.loads(request.content) if request.content else None
        signed = self.scheme.build(method, data, self._now())
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() not in ("content-length", "content-type", _CALL_HEADER)
        }
        headers["Content-Type"] = signed.content_type
        url = request.url.copy_merge_params(dict(signed.query)) if signed.query else request.url
        return httpx.Request(request.method, url, headers=headers, content=signed.body)

    async def on_unauthorized(self) -> bool:
        return False  # gateway secrets are issued by a person, never refreshed by us


class SignedGateway:
    """One account's client of a signed, method-named gateway."""

    def __init__(
        self,
        context: ConnectorContext,
        scheme: GatewayScheme,
        *,
        default_base_url: str,
        limits: Mapping[str, RateLimit],
        bucket_of: Callable[[str], str | None] = lambda method: None,
    ) -> None:
        self.scheme = scheme
        self._bucket_of = bucket_of
        self.http: ConnectorHttpClient = http_client_for(
            context,
            default_base_url=default_base_url,
            limits=limits,
            auth=GatewaySigningAuth(scheme, context.now),
            inspect_response=self.inspect,
            limit_feedback=None,
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    def inspect(self, operation: str, response: httpx.Response) -> ConnectorError | None:
        """The error hidden in a 200 envelope (None: success or not a 200)."""
        if response.status_code != 200:
            return None
        label = self.scheme.label
        try:
            envelope = self.scheme.read(response.json())
        except ValueError as exc:
            return ContractViolation(
                f"{label} answered 200 without its envelope: {exc}", status=200
            )
        return self.scheme.classify(operation, envelope)

    async def call(self, method: str, data: Any = None, *, idempotent: bool = True) -> Envelope:
        """One signed call of ``method``; the envelope of its successful answer.

        ``idempotent=False`` for a call that creates something without a key the platform
        dedupes on: it is then repeated only when the platform cannot have acted.
        """
        response = await self.http.request(
            method,
            "POST",
            self.scheme.path,
            content=b"" if data is None else compact_json(data),
            headers={_CALL_HEADER: method},
            idempotent=idempotent,
            bucket=self._bucket_of(method),
        )
        return self.scheme.read(response.json())


__all__ = [
    "Envelope",
    "GatewayError",
    "GatewayScheme",
    "GatewaySigningAuth",
    "SignedGateway",
    "SignedRequest",
    "compact_json",
    "hmac_hex",
    "md5_hex",
    "signature_matches",
    "sorted_concat",
]
