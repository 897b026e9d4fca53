"""X-EBAY-SIGNATURE verification with eBay's own test vectors, and the deletion challenge."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from channelhub.core.errors import InvalidInput
from channelhub.mappings.ebay import (
    PublicKey,
    challenge_response,
    is_fresh,
    parse_signature_header,
    verify_signature,
)
from tests.contracts import contract_file
from tests.ebay import specs
from tests.openapi3 import assert_valid_response

VECTORS: dict[str, Any] = json.loads(
    contract_file("ebay", "event-notification-test-vectors.json").read_text(encoding="utf-8")
)
KEY = PublicKey.from_response(VECTORS["VALID"]["response"])


def _raw(case: str) -> bytes:
    """The body as eBay sent it: the message as compact JSON in its own key order."""
    message = VECTORS[case]["message"]
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode()


def test_public_key_response_has_the_published_shape() -> None:
    assert_valid_response(
        specs.notification(), "GET", "/public_key/x", 200, VECTORS["VALID"]["response"]
    )


def test_valid_vector_verifies() -> None:
    header = parse_signature_header(VECTORS["VALID"]["signature"])
    assert header.kid == "9936261a-7d7b-4621-a0f1-96ccb428af49"
    assert header.digest == "SHA1"
    assert verify_signature(_raw("VALID"), header, KEY)


def test_tampered_message_fails() -> None:
    header = parse_signature_header(VECTORS["INVALID"]["signature"])
    assert not verify_signature(_raw("INVALID"), header, KEY)


def test_mismatched_signature_fails() -> None:
    header = parse_signature_header(VECTORS["SIGNATURE_MISMATCH"]["signature"])
    assert not verify_signature(_raw("SIGNATURE_MISMATCH"), header, KEY)


def test_one_changed_byte_fails() -> None:
    header = parse_signature_header(VECTORS["VALID"]["signature"])
    raw = _raw("VALID").replace(b"test_user", b"test_usex")
    assert not verify_signature(raw, header, KEY)


def test_digest_mismatch_between_header_and_key_fails() -> None:
    header = parse_signature_header(VECTORS["VALID"]["signature"])
    assert not verify_signature(_raw("VALID"), header, PublicKey(KEY.key, "ECDSA", "SHA256"))


def test_error_vector_has_no_key_to_read() -> None:
    with pytest.raises(InvalidInput):
        PublicKey.from_response(VECTORS["ERROR"]["response"])


@pytest.mark.parametrize("value", ["", "not base64!", "eyJhbGciOiJlY2RzYSJ9"])
def test_malformed_headers_are_refused(value: str) -> None:
    with pytest.raises(InvalidInput, match="X-EBAY-SIGNATURE"):
        parse_signature_header(value)


def test_replay_window() -> None:
    published = datetime(2021, 3, 19, 20, 43, 59, 679000, tzinfo=UTC)
    assert is_fresh(_raw("VALID"), now=published + timedelta(minutes=5))
    assert not is_fresh(_raw("VALID"), now=published + timedelta(hours=2))
    assert not is_fresh(b"{}", now=published)


def test_challenge_response_is_sha256_hex_of_the_three_parts() -> None:
    code, token, endpoint = (
        "a8628072-3d33-45ee-9004-bee86830a22d",
        "71745723-d031-455c-bfa5-f90d11b4f20a",
        "https://hub.example.com/webhooks/ebay",
    )
    expected = hashlib.sha256((code + token + endpoint).encode()).hexdigest()
    assert challenge_response(code, token, endpoint) == expected
    assert len(expected) == 64
    assert challenge_response(code, token, endpoint + "/") != expected
