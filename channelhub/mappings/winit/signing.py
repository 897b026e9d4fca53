"""WINIT 万邑通 open-platform signing (contract unverified: third-party SDK, see
contracts/wms/winit/SOURCE.txt).

One gateway (``POST /openapi/service``); every request body carries the common parameters
``action``, ``app_key``, ``client_id``, ``data``, ``format`` (json), ``language``,
``platform``, ``sign_method`` (md5), ``timestamp`` (``yyyy-MM-dd HH:mm:ss``), ``version``
(1.0) and two signatures (WinitClient.getSign)::

    sign        = UPPER(MD5(token  + "action"+a + "app_key"+k + "data"+D + "format"+f
                            + "platform"+p + "sign_method"+m + "timestamp"+t + "version"+v
                            + token))
    client_sign = the same with the app's client_secret in place of the token

``D`` is the data as compact JSON with keys sorted (the SDK's Jackson mapper sorts properties
alphabetically and leaves nulls out); no data is the empty string. The sorted names are fixed,
so the string is built in that order. The timestamp is China time (UTC+8): the SDK formats its
local clock, and WINIT runs in China (guessed, not documented).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from channelhub.mappings.gateway_signing import compact_json, md5_hex, signature_matches

CHINA = timezone(timedelta(hours=8))
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
#: the parameters inside the signature, in their (sorted) order
SIGNED = ("action", "app_key", "data", "format", "platform", "sign_method", "timestamp", "version")


def data_text(data: Any) -> str:
    """``D``: compact JSON with sorted keys, nulls left out; "" for no data."""
    if data is None:
        return ""
    return compact_json(_without_nulls(data), sort_keys=True).decode("utf-8")


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def sign_string(params: Mapping[str, Any], secret: str) -> str:
    """secret + name+value for each signed parameter in sorted order + secret."""
    values = {**params, "data": data_text(params.get("data"))}
    inner = "".join(f"{name}{'' if values.get(name) is None else values[name]}" for name in SIGNED)
    return f"{secret}{inner}{secret}"


def compute_sign(params: Mapping[str, Any], secret: str) -> str:
    """Upper-case hex MD5 of :func:`sign_string`."""
    return md5_hex(sign_string(params, secret), upper=True)


def timestamp_of(now: datetime) -> str:
    """``yyyy-MM-dd HH:mm:ss`` in China time."""
    return now.astimezone(CHINA).strftime(TIMESTAMP_FORMAT)


def signed_body(
    action: str,
    data: Any,
    *,
    app_key: str,
    client_id: str,
    platform: str,
    token: str,
    client_secret: str,
    now: datetime,
) -> dict[str, Any]:
    """The request body of one call: common parameters, ``data``, ``sign`` and ``client_sign``."""
    body: dict[str, Any] = {
        "action": action,
        "app_key": app_key,
        "client_id": client_id,
        "data": _without_nulls(data) if data is not None else None,
        "format": "json",
        "language": "zh_CN",
        "platform": platform,
        "sign_method": "md5",
        "timestamp": timestamp_of(now),
        "version": "1.0",
    }
    body["sign"] = compute_sign(body, token)
    body["client_sign"] = compute_sign(body, client_secret)
    if body["data"] is None:
        del body["data"]
    return body


def signs_match(body: Mapping[str, Any], *, token: str, client_secret: str) -> bool:
    """Both signatures of a received body are right (constant-time compares)."""
    return signature_matches(body.get("sign"), compute_sign(body, token)) and signature_matches(
        body.get("client_sign"), compute_sign(body, client_secret)
    )
