"""Temu's ``regionName1`` (a country *name*) -> ISO 3166-1 alpha-2.

Contract unverified: the transcript only says ``regionName1`` is "区域名称1（国家/地区）" (country
or region name) and shows no example value. We accept an alpha-2 code as it is, and the
English short names (plus common variants) of the countries Temu sells to. A name not in this
table is refused by the mapping (InvalidInput naming the field and value) rather than guessed:
add it here when a real answer shows one. Kept as a literal table (no pycountry dependency)
for the same reason core/codes.py is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from channelhub.core.codes import COUNTRIES

_NAMES: Mapping[str, str] = {
    # Americas
    "united states": "US",
    "united states of america": "US",
    "usa": "US",
    "canada": "CA",
    "mexico": "MX",
    "brazil": "BR",
    "chile": "CL",
    "colombia": "CO",
    "peru": "PE",
    "argentina": "AR",
    "puerto rico": "PR",
    # Europe
    "united kingdom": "GB",
    "great britain": "GB",
    "uk": "GB",
    "ireland": "IE",
    "germany": "DE",
    "france": "FR",
    "italy": "IT",
    "spain": "ES",
    "portugal": "PT",
    "netherlands": "NL",
    "the netherlands": "NL",
    "belgium": "BE",
    "luxembourg": "LU",
    "austria": "AT",
    "switzerland": "CH",
    "poland": "PL",
    "czech republic": "CZ",
    "czechia": "CZ",
    "slovakia": "SK",
    "hungary": "HU",
    "romania": "RO",
    "bulgaria": "BG",
    "greece": "GR",
    "croatia": "HR",
    "slovenia": "SI",
    "sweden": "SE",
    "denmark": "DK",
    "finland": "FI",
    "norway": "NO",
    "iceland": "IS",
    "estonia": "EE",
    "latvia": "LV",
    "lithuania": "LT",
    "malta": "MT",
    "cyprus": "CY",
    "serbia": "RS",
    "moldova": "MD",
    "ukraine": "UA",
    "bosnia and herzegovina": "BA",
    "north macedonia": "MK",
    "montenegro": "ME",
    "albania": "AL",
    "turkey": "TR",
    "turkiye": "TR",
    "türkiye": "TR",
    # Middle East and Africa
    "saudi arabia": "SA",
    "kingdom of saudi arabia": "SA",
    "ksa": "SA",
    "united arab emirates": "AE",
    "uae": "AE",
    "qatar": "QA",
    "kuwait": "KW",
    "bahrain": "BH",
    "oman": "OM",
    "jordan": "JO",
    "israel": "IL",
    "egypt": "EG",
    "morocco": "MA",
    "south africa": "ZA",
    "nigeria": "NG",
    # Asia-Pacific
    "australia": "AU",
    "new zealand": "NZ",
    "japan": "JP",
    "south korea": "KR",
    "korea": "KR",
    "republic of korea": "KR",
    "singapore": "SG",
    "malaysia": "MY",
    "philippines": "PH",
    "the philippines": "PH",
    "thailand": "TH",
    "vietnam": "VN",
    "viet nam": "VN",
    "taiwan": "TW",
    "hong kong": "HK",
    "kazakhstan": "KZ",
    "uzbekistan": "UZ",
}


def country_code(value: str) -> str | None:
    """The alpha-2 code of a Temu country name or code; ``None`` when it is not one we know."""
    cleaned = re.sub(r"\s+", " ", value.strip())
    if len(cleaned) == 2 and cleaned.upper() in COUNTRIES:
        return cleaned.upper()
    return _NAMES.get(cleaned.casefold())
