"""Temu ``bg.order.shippinginfo.v2.get`` -> the canonical ship-to Address of a parent order.

Contract unverified (no public spec): fields follow the response table of the transcript in
contracts/temu/ (``receiptName, receiptAdditionalName, mobile, backupMobile, mail,
regionName1..4, addressLine1..3, addressLineAll, postCode, taxCode, warning``). The order
list and detail carry no address, so merchant-fulfilled orders need this separate call, one
per parent order (all child orders of a parent share it).

Reading: ``regionName1`` country (name or code -> alpha-2, see countries.py), ``regionName2``
state/province -> ``region``, ``regionName3`` city, ``regionName4`` district: kept as an address
line (Gulf couriers route on the district). ``addressLineAll`` is used only when the split lines
are all empty. ``mobile`` (else ``backupMobile``) and ``mail`` are kept. A ``warning`` with
``isRestriction: true`` tags the order ``temu:address-restricted`` so a review rule can hold it.
The connector puts the answer's ``result`` beside the order group under ``shippingInfo``
(:data:`SHIPPING_INFO_KEY`), so a kept raw group replays to the same orders.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from channelhub.core import strict
from channelhub.core.errors import InvalidInput, excerpt
from channelhub.core.models import Address, Order
from channelhub.core.validation import build
from channelhub.mappings._fieldpath import obj, opt_text
from channelhub.mappings.temu.countries import country_code

SOURCE = "temu shipping info"
SHIPPING_INFO_KEY = "shippingInfo"
ADDRESS_RESTRICTED_TAG = "temu:address-restricted"
MAX_LINES = 3


@dataclass(frozen=True)
class TemuShipTo:
    """The mapped address and Temu's restriction warning (``reason`` is Temu's raw code)."""

    address: Address
    restricted: bool = False
    restriction_reason: int | None = None


def _result(payload: object, path: str | None) -> tuple[str, Mapping[str, Any]]:
    root = obj(payload, path or "(payload)", source=SOURCE)
    if root.get("success") is False:
        raise InvalidInput.field(
            "errorCode",
            root.get("errorCode"),
            f"Temu refused the call: {excerpt(root.get('errorMsg'))}",
        )
    if "result" in root:
        where = f"{path}.result" if path else "result"
        return where, obj(root["result"], where, source=SOURCE)
    return path or "result", root


def _lines(data: Mapping[str, Any], path: str) -> list[str]:
    lines = [
        line
        for key in ("addressLine1", "addressLine2", "addressLine3")
        if (line := opt_text(data, key, path, source=SOURCE)) and line.strip()
    ]
    if not lines:
        whole = opt_text(data, "addressLineAll", path, source=SOURCE, limit=strict.TITLE_CHARS)
        if whole and whole.strip():
            lines = [whole]
    if not lines:
        raise InvalidInput(
            [f"{path}.addressLine1 and {path}.addressLineAll are both missing: no street"],
            source=SOURCE,
        )
    district = opt_text(data, "regionName4", path, source=SOURCE)
    if district and district.strip() and not any(district in line for line in lines):
        lines.append(district)
    if len(lines) > MAX_LINES:
        lines = [*lines[: MAX_LINES - 1], ", ".join(lines[MAX_LINES - 1 :])]
    return [line.strip() for line in lines]


def _warning(data: Mapping[str, Any], path: str) -> tuple[bool, int | None]:
    raw = data.get("warning")
    if raw is None:
        return False, None
    warning = obj(raw, f"{path}.warning", source=SOURCE)
    restricted = warning.get("isRestriction", False)
    if not isinstance(restricted, bool):
        raise InvalidInput.field(
            f"{path}.warning.isRestriction", restricted, "is not true or false", source=SOURCE
        )
    reason = warning.get("reason")
    if reason is not None and (isinstance(reason, bool) or not isinstance(reason, int)):
        raise InvalidInput.field(
            f"{path}.warning.reason", reason, "is not an integer", source=SOURCE
        )
    if reason is not None:
        reason = strict.whole(
            reason, f"{path}.warning.reason", minimum=-(2**31), maximum=2**31 - 1, source=SOURCE
        )
    return restricted, reason


def normalize_shipping_info(payload: object, *, path: str | None = None) -> TemuShipTo:
    """The ship-to of a whole ``bg.order.shippinginfo.v2.get`` answer or its ``result``.

    ``path`` is where the payload sits (errors then name ``path.regionName1``; by default
    ``result.regionName1``, as Temu's table does).
    """
    path, data = _result(payload, path)
    country_text = opt_text(data, "regionName1", path, source=SOURCE)
    if country_text is None:
        raise InvalidInput([f"{path}.regionName1 (the country) is missing"], source=SOURCE)
    country = country_code(country_text)
    if country is None:
        raise InvalidInput.field(
            f"{path}.regionName1",
            country_text,
            "is not a country we can map to ISO 3166-1 alpha-2 (see mappings/temu/countries.py)",
            source=SOURCE,
        )
    name = opt_text(data, "receiptName", path, source=SOURCE) or opt_text(
        data, "receiptAdditionalName", path, source=SOURCE
    )
    if name is None:
        raise InvalidInput([f"{path}.receiptName (the recipient) is missing"], source=SOURCE)
    lines = _lines(data, path)
    phone = opt_text(data, "mobile", path, source=SOURCE) or opt_text(
        data, "backupMobile", path, source=SOURCE
    )
    restricted, reason = _warning(data, path)
    address = build(
        Address,
        source=SOURCE,
        name=name.strip(),
        line1=lines[0],
        line2=lines[1] if len(lines) > 1 else None,
        line3=lines[2] if len(lines) > 2 else None,
        city=opt_text(data, "regionName3", path, source=SOURCE),
        region=opt_text(data, "regionName2", path, source=SOURCE),
        postal_code=opt_text(data, "postCode", path, source=SOURCE),
        country=country,
        phone=phone,
        email=opt_text(data, "mail", path, source=SOURCE),
    )
    return TemuShipTo(address, restricted, reason)


def with_ship_to(order: Order, ship_to: TemuShipTo) -> Order:
    """``order`` with the address set (and the restriction tag when Temu warns)."""
    tags = order.tags
    if ship_to.restricted and ADDRESS_RESTRICTED_TAG not in tags:
        tags = (*tags, ADDRESS_RESTRICTED_TAG)
    return order.model_copy(update={"ship_to": ship_to.address, "tags": tags})
