"""Carrier code tables: one canonical carrier name -> what each channel calls it.

Why tables and not free text: a channel that does not recognise the carrier either refuses
the fulfilment or stores it without a tracking link, and the buyer never sees their parcel.
An unmapped carrier is therefore an error that names the table to extend, never a guess.

Sources, per table:
- Amazon: v0 ``confirmShipment`` ``PackageDetail.carrierCode`` (contracts/amazon/ordersV0.json
  says only "identifies the carrier"; the values are Amazon's published CarrierCode list,
  the spec's own example is ``FedEx``). ``Other`` + ``carrierName`` is Amazon's escape hatch,
  deliberately not used silently.
- Shopify: ``trackingInfo.company`` names from Shopify's supported tracking companies list
  (not in the contracts folder: the GraphQL schema types it as a free String).
- eBay: ``shippingCarrierCode`` (contracts/ebay/sell_fulfillment_v1_oas3.json defers to the
  Trading API ``ShippingCarrierCodeType`` enumeration, not in the contracts folder): only
  codes of that enumeration we are sure of are listed; extend it when GeteBayDetails says so.
- Temu: ``carrierId`` values are per-region numeric ids returned by
  ``bg.logistics.companies.get``; the transcript gives only one example id (``699272611``)
  without its carrier name. The Temu table is therefore **unverified** and empty: pass the
  ids fetched from ``bg.logistics.companies.get`` as ``overrides``.
"""

from __future__ import annotations

from collections.abc import Mapping

from channelhub.core.errors import InvalidInput, excerpt

#: Every carrier the hub knows, by canonical name.
CANONICAL_CARRIERS: frozenset[str] = frozenset(
    {
        "ups",
        "usps",
        "fedex",
        "dhl",
        "dhl_ecommerce",
        "aramex",
        "smsa",
        "yanwen",
        "yunexpress",
        "4px",
        "china_post",
        "royal_mail",
        "canada_post",
        "australia_post",
        "sf_express",
        "ontrac",
        "dpd",
        "amazon_shipping",
    }
)

AMAZON_CARRIER_CODES: Mapping[str, str] = {
    "ups": "UPS",
    "usps": "USPS",
    "fedex": "FedEx",
    "dhl": "DHL",
    "dhl_ecommerce": "DHL eCommerce",
    "aramex": "Aramex",
    "smsa": "SMSA",
    "yanwen": "Yanwen",
    "yunexpress": "YunExpress",
    "4px": "4PX",
    "china_post": "China Post",
    "royal_mail": "Royal Mail",
    "canada_post": "Canada Post",
    "australia_post": "Australia Post",
    "sf_express": "SF Express",
    "ontrac": "OnTrac",
    "dpd": "DPD",
    "amazon_shipping": "Amazon Shipping",
}

SHOPIFY_TRACKING_COMPANIES: Mapping[str, str] = {
    "ups": "UPS",
    "usps": "USPS",
    "fedex": "FedEx",
    "dhl": "DHL Express",
    "dhl_ecommerce": "DHL eCommerce",
    "aramex": "Aramex",
    "smsa": "SMSA Express",
    "yanwen": "Yanwen",
    "yunexpress": "YunExpress",
    "4px": "4PX",
    "china_post": "China Post",
    "royal_mail": "Royal Mail",
    "canada_post": "Canada Post",
    "australia_post": "Australia Post",
    "sf_express": "SF Express",
    "ontrac": "OnTrac",
    "dpd": "DPD",
}

EBAY_CARRIER_CODES: Mapping[str, str] = {
    "ups": "UPS",
    "usps": "USPS",
    "fedex": "FedEx",
    "dhl": "DHL",
    "royal_mail": "RoyalMail",
    "china_post": "ChinaPost",
    "canada_post": "CanadaPost",
    "australia_post": "AustraliaPost",
}

#: Unverified (see the module docstring): configure from ``bg.logistics.companies.get``.
TEMU_CARRIER_IDS: Mapping[str, str] = {}

#: Walmart ``trackingInfo.carrierName.carrier``: values of the enum in
#: contracts/walmart/walmart-marketplace-orders-openapi-original.yml (shippingUpdates).
WALMART_CARRIERS: Mapping[str, str] = {
    "ups": "UPS",
    "usps": "USPS",
    "fedex": "FedEx",
    "dhl": "DHL",
    "dhl_ecommerce": "DHL Ecommerce - US",
    "ontrac": "OnTrac",
    "yanwen": "Yanwen",
    "yunexpress": "YunExpress",
    "4px": "4PX",
    "china_post": "China Post",
    "royal_mail": "Royal Mail",
    "canada_post": "Canada Post",
    "sf_express": "SF Express",
}

#: Wish ``shipping_provider`` names: UNVERIFIED (the SDK types it as a free string; the
#: accepted names come from GET /api/v3/shipping_carriers): configure overrides from there.
WISH_PROVIDERS: Mapping[str, str] = {
    "ups": "UPS",
    "usps": "USPS",
    "fedex": "FedEx",
    "dhl": "DHL",
    "yanwen": "Yanwen",
    "yunexpress": "YunExpress",
    "4px": "4PX",
    "china_post": "ChinaAirPost",
}

CHANNEL_TABLES: Mapping[str, tuple[str, str, Mapping[str, str]]] = {
    # channel -> (what the value is called, where to add it, table)
    "amazon": ("Amazon carrier code", "AMAZON_CARRIER_CODES", AMAZON_CARRIER_CODES),
    "shopify": (
        "Shopify tracking company",
        "SHOPIFY_TRACKING_COMPANIES",
        SHOPIFY_TRACKING_COMPANIES,
    ),
    "ebay": ("eBay shippingCarrierCode", "EBAY_CARRIER_CODES", EBAY_CARRIER_CODES),
    "temu": ("Temu carrierId", "TEMU_CARRIER_IDS", TEMU_CARRIER_IDS),
    "walmart": ("Walmart carrierName.carrier", "WALMART_CARRIERS", WALMART_CARRIERS),
    "wish": ("Wish shipping_provider", "WISH_PROVIDERS", WISH_PROVIDERS),
}

#: Other spellings carriers, WMSes and channels use -> canonical name (keys are folded).
ALIASES: Mapping[str, str] = {
    "unitedparcelservice": "ups",
    "unitedstatespostalservice": "usps",
    "federalexpress": "fedex",
    "dhlexpress": "dhl",
    "dhlecommerce": "dhl_ecommerce",
    "dhlecommerceasia": "dhl_ecommerce",
    "dhlglobalmail": "dhl_ecommerce",
    "smsaexpress": "smsa",
    "yunexpresss": "yunexpress",
    "yun": "yunexpress",
    "4pxexpress": "4px",
    "chinapost": "china_post",
    "chinaems": "china_post",
    "royalmail": "royal_mail",
    "canadapost": "canada_post",
    "australiapost": "australia_post",
    "sfexpress": "sf_express",
    "sf": "sf_express",
}


def _fold(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


_BY_FOLDED: dict[str, str] = {_fold(c): c for c in CANONICAL_CARRIERS} | dict(ALIASES)


def canonical_carrier(name: str) -> str:
    """The canonical name of a carrier as anyone spells it (``"DHL Express"`` -> ``dhl``)."""
    found = _BY_FOLDED.get(_fold(name))
    if found is None:
        raise InvalidInput.field(
            "carrier",
            name,
            "is not a known carrier; add it to CANONICAL_CARRIERS or ALIASES in "
            "channelhub/mappings/carriers.py",
        )
    return found


def canonical_carrier_or_raw(name: str) -> str:
    """Like :func:`canonical_carrier`, but an unknown name is kept (lower-cased), not refused.

    Used when reading what a carrier or warehouse reported: its word must never be lost.
    """
    return _BY_FOLDED.get(_fold(name), name.strip().lower() or "unknown")


def _table(channel: str) -> tuple[str, str, Mapping[str, str]]:
    try:
        return CHANNEL_TABLES[channel]
    except KeyError:
        raise InvalidInput.field(
            "channel", channel, f"has no carrier table (known: {', '.join(sorted(CHANNEL_TABLES))})"
        ) from None


def carrier_for(channel: str, canonical: str, *, overrides: Mapping[str, str] | None = None) -> str:
    """What ``channel`` calls the ``canonical`` carrier; ``overrides`` win over the table.

    Raises InvalidInput naming the table to extend when the carrier has no code there.
    """
    label, table_name, table = _table(channel)
    carrier = canonical_carrier_or_raw(canonical)
    if overrides and carrier in overrides:
        return overrides[carrier]
    code = table.get(carrier)
    if code is None:
        raise InvalidInput(
            [
                f"carrier {excerpt(canonical)} has no {label}; add it to {table_name} in "
                "channelhub/mappings/carriers.py (or configure an override)"
            ]
        )
    return code


def canonical_for(channel: str, code: str, *, overrides: Mapping[str, str] | None = None) -> str:
    """The reverse lookup: the canonical carrier behind a channel's carrier code or name."""
    label, table_name, table = _table(channel)
    for source in (overrides or {}, table):
        for canonical, value in source.items():
            if value == code or _fold(value) == _fold(code):
                return canonical
    try:
        return canonical_carrier(code)
    except InvalidInput:
        raise InvalidInput(
            [f"{label} {excerpt(code)} is not in {table_name} in channelhub/mappings/carriers.py"]
        ) from None
