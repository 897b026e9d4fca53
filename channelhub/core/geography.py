"""How far a warehouse is from a destination when no zone table says so.

A seller who configured nothing still expects a US order to ship from the US warehouse, so
the NEAREST strategy falls back to what the warehouses' own addresses say: same country and
region 0, same country 1, same trade zone 2, anywhere else 3. The trade zones are a small
static table (customs unions and the regions parcels cross cheaply), not a map: good enough to
keep a parcel on its continent, and the zone table overrides it wherever a seller knows better.
The warehouses' countries come in as data (:class:`Origin`), read from the store by the caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple


class Origin(NamedTuple):
    """Where a warehouse is: ISO country and, when known, its region (state / province)."""

    country: str
    region: str | None = None


Origins = Mapping[str, Origin]
"""Warehouse code -> where it is."""

_ZONES: dict[str, str] = {
    # the EU, the EEA, its customs-union and single-market neighbours, and the UK
    "Europe": "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK"
    " IS LI NO CH GB MC SM AD VA",
    "North America": "US CA MX PR",
    "GCC": "SA AE QA KW BH OM",
    "East Asia": "CN HK MO TW JP KR",
    "Southeast Asia": "SG MY TH VN ID PH BN KH LA MM",
    "Oceania": "AU NZ",
    "South America": "BR AR UY PY CL BO PE CO EC VE",
}
TRADE_ZONES: Mapping[str, str] = {
    country: zone for zone, countries in _ZONES.items() for country in countries.split()
}
"""ISO country -> the trade zone / continent it ships within cheaply."""

SAME_REGION, SAME_COUNTRY, SAME_ZONE, ELSEWHERE = 0, 1, 2, 3


@dataclass(frozen=True)
class Distance:
    """A distance and where it came from, so the allocation reason can say so."""

    value: int
    basis: str  # "zone table", "same country", "same trade zone: Europe", ...

    @property
    def label(self) -> str:
        """What the reason shows: the zone table's number, or the fallback's basis."""
        return str(self.value) if self.basis == "zone table" else self.basis


def address_distance(origin: Origin, country: str, region: str | None) -> Distance:
    """The fallback distance from ``origin`` to a destination country (and region)."""
    if origin.country == country:
        if origin.region and region and origin.region.casefold() == region.casefold():
            return Distance(SAME_REGION, "same region")
        return Distance(SAME_COUNTRY, "same country")
    zone = TRADE_ZONES.get(origin.country)
    if zone is not None and zone == TRADE_ZONES.get(country):
        return Distance(SAME_ZONE, f"same trade zone: {zone}")
    return Distance(ELSEWHERE, "another trade zone")
