"""eBay notification verification (``X-EBAY-SIGNATURE``) and the account-deletion challenge.

The header is base64 of a JSON object ``{alg, kid, signature, digest}``; ``signature`` is a
base64 DER ECDSA signature over the raw request body, made with the key eBay serves at
``getPublicKey(kid)`` (commerce_notification_v1_oas3.json: ``{algorithm, digest, key}``).
Fetching and caching that key is the connector's job; the checks here are pure and tested
with eBay's own vectors (contracts/ebay/event-notification-test-vectors.json).

The challenge answer for the marketplace account-deletion endpoint is
``hex(sha256(challengeCode + verificationToken + endpoint))``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key

from channelhub.core.errors import InvalidInput
from channelhub.mappings._fieldpath import iso_time, obj

SOURCE = "X-EBAY-SIGNATURE"
DEFAULT_REPLAY_WINDOW = timedelta(minutes=30)
_DIGESTS: dict[str, type[hashes.HashAlgorithm]] = {
    "SHA1": hashes.SHA1,
    "SHA256": hashes.SHA256,
    "SHA384": hashes.SHA384,
    "SHA512": hashes.SHA512,
}


@dataclass(frozen=True)
class SignatureHeader:
    """The decoded ``X-EBAY-SIGNATURE`` header."""

    alg: str
    kid: str
    signature: bytes
    digest: str


@dataclass(frozen=True)
class PublicKey:
    """A getPublicKey answer: the PEM key text, its algorithm and digest."""

    key: str
    algorithm: str = "ECDSA"
    digest: str = "SHA1"

    @classmethod
    def from_response(cls, body: object) -> PublicKey:
        """Read ``{key, algorithm, digest}`` from the getPublicKey JSON body."""
        data = obj(body, "(public key)", source="ebay getPublicKey")
        key = data.get("key")
        if not isinstance(key, str) or "PUBLIC KEY" not in key:
            raise InvalidInput.field(
                "key", key, "is not a PEM public key", source="ebay getPublicKey"
            )
        return cls(
            key=key,
            algorithm=str(data.get("algorithm") or "ECDSA"),
            digest=str(data.get("digest") or "SHA1"),
        )


def parse_signature_header(value: str) -> SignatureHeader:
    """Decode the header; a malformed one is InvalidInput (answer 400/412, do not process)."""
    try:
        decoded = json.loads(base64.b64decode(value.strip(), validate=True))
        signature = base64.b64decode(decoded["signature"], validate=True)
        header = SignatureHeader(
            alg=str(decoded["alg"]),
            kid=str(decoded["kid"]),
            signature=signature,
            digest=str(decoded["digest"]),
        )
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput.field(
            "X-EBAY-SIGNATURE", value[:40], "is not a base64 JSON signature header"
        ) from exc
    if not header.kid:
        raise InvalidInput.field("X-EBAY-SIGNATURE.kid", header.kid, "is empty")
    return header


def _load_key(pem: str) -> ec.EllipticCurvePublicKey:
    """eBay serves the PEM without line breaks; read the base64 between the markers."""
    body = re.sub(r"-----(BEGIN|END) PUBLIC KEY-----|\s", "", pem)
    try:
        key = load_der_public_key(base64.b64decode(body, validate=True))
    except (binascii.Error, ValueError, UnsupportedAlgorithm) as exc:
        raise InvalidInput.field(
            "key", pem[:40], "is not a readable public key", source="ebay getPublicKey"
        ) from exc
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise InvalidInput.field(
            "key", pem[:40], "is not an elliptic-curve key", source="ebay getPublicKey"
        )
    return key


def verify_signature(raw_body: bytes, header: SignatureHeader, public_key: PublicKey) -> bool:
    """True when ``header.signature`` is the key's ECDSA signature of ``raw_body``."""
    if header.alg.upper() != "ECDSA" or public_key.algorithm.upper() != "ECDSA":
        return False
    digest = _DIGESTS.get(public_key.digest.upper())
    if digest is None or public_key.digest.upper() != header.digest.upper():
        return False
    try:
        _load_key(public_key.key).verify(header.signature, raw_body, ec.ECDSA(digest()))
    except InvalidSignature:
        return False
    return True


def is_fresh(raw_body: bytes, *, now: datetime, window: timedelta = DEFAULT_REPLAY_WINDOW) -> bool:
    """Whether the notification's ``publishDate`` is within ``window`` of ``now`` (replay guard)."""
    try:
        payload = json.loads(raw_body)
        published = iso_time(
            payload["notification"]["publishDate"], "notification.publishDate", source=SOURCE
        )
    except (ValueError, KeyError, TypeError, InvalidInput):
        return False
    return abs(now - published) <= window


def challenge_response(challenge_code: str, verification_token: str, endpoint: str) -> str:
    """The ``challengeResponse`` for eBay's GET ``?challenge_code=``: hex SHA-256."""
    digest = hashlib.sha256()
    digest.update(challenge_code.encode("utf-8"))
    digest.update(verification_token.encode("utf-8"))
    digest.update(endpoint.encode("utf-8"))
    return digest.hexdigest()
