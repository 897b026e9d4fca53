"""Goodcang 谷仓 answer envelopes and error codes (contract unverified).

V1 operations answer ``{"ask": "Success"|"Failure", "message", "Error": {"errCode",
"errMessage"}}`` (ResponseAsk / Error in the vendored SDK); V2 ones (batch tracking) answer
``{"code": 0, "message", "data"}`` with a non-zero code on failure. The mirrored docs list no
error codes: the codes below are GUESSED, named so the simulator and the connector agree, and
the connector falls back to the message for any other code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

AUTH_FAILED = "10001"  # app-key / app-token missing or wrong
TOO_FREQUENT = "10002"  # request rate exceeded
SYSTEM_BUSY = "10003"  # try again
INVALID_PARAMETER = "20001"  # a field missing or malformed
DUPLICATE_REFERENCE = "30001"  # reference_no already used by an order of this customer
ORDER_NOT_FOUND = "30002"
CANNOT_CANCEL = "30003"  # shipped (or being shipped): too late to intercept
STOCK_SHORT = "30004"  # not enough sellable stock in that warehouse
UNKNOWN_CODE = "30005"  # unknown warehouse_code / shipping_method / product_sku


@dataclass(frozen=True)
class Answer:
    """One answer's outcome: ok, Goodcang's code and message (both V1 and V2 shapes)."""

    ok: bool
    code: str
    message: str
    body: Mapping[str, Any]

    def said(self) -> str:
        return f"Goodcang {self.code or 'error'}: {self.message}".strip()


def read_answer(payload: object) -> Answer:
    """Success or failure of a V1 (``ask``) or V2 (``code``) envelope."""
    if not isinstance(payload, Mapping):
        return Answer(False, "", "the answer is not a JSON object", {})
    if "ask" in payload:
        found = payload.get("Error")
        error: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
        ok = payload.get("ask") == "Success"
        code = str(error.get("errCode") or payload.get("errCode") or "")
        message = str(error.get("errMessage") or payload.get("message") or "")
        return Answer(ok, code, message, payload)
    status = payload.get("code")
    return Answer(status in (0, "0"), str(status), str(payload.get("message") or ""), payload)


def v1_failure(code: str, message: str) -> dict[str, Any]:
    """A V1 failure envelope (what the simulator answers)."""
    return {"ask": "Failure", "message": message, "Error": {"errCode": code, "errMessage": message}}
