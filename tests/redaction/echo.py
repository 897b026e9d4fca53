"""A hostile upstream for every platform: it hands out fresh tokens on the token endpoints and
echoes every other request it gets (method, URL, headers, body) back in its error answer.

Modes: ``400``, ``401``, ``500`` (an error status with the echo as JSON and as free text),
``200`` (the platform's "error in a 200": Shopify GraphQL ``errors``, Temu ``success: false``,
and for the others the echo itself as the answer, which the mappings then choke on), and
``refuse_tokens`` (the token endpoints echo too: the client id, secret and refresh token).

The secrets it must never see again are the accounts' credentials and every token it issued;
:func:`forms` is the test's own list of their encodings (independent of the redactor's).
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import quote, quote_plus

import httpx

TOKEN_PATHS = ("/auth/o2/token", "/identity/v1/oauth2/token", "/security/v1/oauth/token")
RDT_PATH = "/tokens/2021-03-01/restrictedDataToken"


def unprefixed_secret() -> str:
    """A secret no pattern knows, with characters that change under every encoding."""
    return f"{secrets.token_urlsafe(15)}/+={secrets.token_hex(4)}"


def forms(secret: str) -> set[str]:
    """The encodings a leak may take: raw, URL-encoded, base64 (both alphabets, with and
    without padding) and JSON-escaped."""
    raw = secret.encode()
    out = {
        secret,
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        json.dumps(secret).replace("/", "\\/")[1:-1],
    }
    for encoded in (base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()):
        out |= {encoded, encoded.rstrip("=")}
    return out


def pair_forms(first: str, second: str) -> set[str]:
    """``Basic base64(first:second)`` as a client-credentials header carries them."""
    raw = f"{first}:{second}".encode()
    return {base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode().rstrip("=")}


@dataclass
class EchoUpstream:
    """The handler respx routes every request to."""

    mode: int = 400
    #: the token endpoints echo too (an LWA refusal quoting the refresh token and secret)
    refuse_tokens: bool = False
    issued: list[str] = field(default_factory=list)  # tokens handed out
    issued_to: dict[str, list[str]] = field(default_factory=dict)  # host -> its tokens
    echoed: list[str] = field(default_factory=list)  # every echoed request, as text

    @property
    def seen(self) -> int:
        return len(self.echoed)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if self.refuse_tokens and any(path.endswith(p) for p in (*TOKEN_PATHS, RDT_PATH)):
            return self._echo(request)
        if any(path.endswith(p) for p in TOKEN_PATHS):
            token = self._issue(request.url.host)
            return httpx.Response(
                200,
                json={"access_token": token, "token_type": "bearer", "expires_in": 3600},
            )
        if path.endswith(RDT_PATH):
            return httpx.Response(
                200,
                json={"restrictedDataToken": self._issue(request.url.host), "expiresIn": 3600},
            )
        return self._echo(request)

    def _issue(self, host: str) -> str:
        token = unprefixed_secret()
        self.issued.append(token)
        self.issued_to.setdefault(host, []).append(token)
        return token

    def _echo(self, request: httpx.Request) -> httpx.Response:
        body = request.content.decode("utf-8", errors="replace")
        pairs = [[k, v] for k, v in request.headers.items()]
        text = f"refused {request.method} {request.url} headers={pairs} body={body}"
        self.echoed.append(text)
        echo = {
            "message": text,
            "url_encoded": quote(text, safe=""),
            "headers": pairs,
            "request_url": str(request.url),
            "request_body": body,
            "b64": base64.b64encode(text.encode()).decode(),
        }
        host = request.url.host
        if self.mode == 200:
            if request.url.path.endswith("/graphql.json"):  # Shopify: errors in a 200
                return httpx.Response(200, json={"errors": [{"message": text}], "data": None})
            if "temu" in host:
                return httpx.Response(
                    200, json={"success": False, "errorCode": 4000004, "errorMsg": text}
                )
            return httpx.Response(200, json={"errors": [echo], **echo})
        if "temu" in host:  # Temu answers HTTP errors too, with its envelope
            return httpx.Response(
                self.mode, json={"success": False, "errorCode": self.mode, "errorMsg": text}
            )
        return httpx.Response(
            self.mode,
            json={"errors": [{"code": "Echo", "message": text, "details": json.dumps(echo)}]},
        )


def needles(values: Iterable[str], pairs: Iterable[tuple[str, str]] = ()) -> dict[str, str]:
    """form -> the secret it encodes, for every secret and credential pair."""
    found: dict[str, str] = {}
    for value in values:
        for form in forms(value):
            found[form] = value
    for first, second in pairs:
        for form in pair_forms(first, second):
            found[form] = f"{first}:{second}"
    return found
