"""Carrier code tables per channel."""

from __future__ import annotations

import pytest

from channelhub.core.errors import InvalidInput
from channelhub.mappings.carriers import (
    CANONICAL_CARRIERS,
    CHANNEL_TABLES,
    canonical_carrier,
    canonical_carrier_or_raw,
    canonical_for,
    carrier_for,
)


@pytest.mark.parametrize(
    ("channel", "canonical", "code"),
    [
        ("amazon", "ups", "UPS"),
        ("amazon", "fedex", "FedEx"),
        ("amazon", "dhl_ecommerce", "DHL eCommerce"),
        ("amazon", "4px", "4PX"),
        ("shopify", "dhl", "DHL Express"),
        ("shopify", "china_post", "China Post"),
        ("ebay", "usps", "USPS"),
        ("ebay", "royal_mail", "RoyalMail"),
    ],
)
def test_carrier_for_and_back(channel: str, canonical: str, code: str) -> None:
    assert carrier_for(channel, canonical) == code
    assert canonical_for(channel, code) == canonical


def test_every_table_only_names_canonical_carriers() -> None:
    for _label, _name, table in CHANNEL_TABLES.values():
        assert set(table) <= CANONICAL_CARRIERS


def test_unmapped_carrier_error_names_the_table() -> None:
    with pytest.raises(
        InvalidInput,
        match=r"carrier 'xyz' has no Amazon carrier code; add it to AMAZON_CARRIER_CODES",
    ):
        carrier_for("amazon", "xyz")
    with pytest.raises(InvalidInput, match="has no eBay shippingCarrierCode"):
        carrier_for("ebay", "yanwen")


def test_temu_is_unverified_and_needs_overrides() -> None:
    with pytest.raises(InvalidInput, match="TEMU_CARRIER_IDS"):
        carrier_for("temu", "yanwen")
    assert carrier_for("temu", "yanwen", overrides={"yanwen": "699272611"}) == "699272611"
    assert canonical_for("temu", "699272611", overrides={"yanwen": "699272611"}) == "yanwen"


def test_aliases_and_unknown_channel() -> None:
    assert canonical_carrier("United Parcel Service") == "ups"
    assert canonical_carrier("DHL Express") == "dhl"
    assert carrier_for("amazon", "Royal Mail") == "Royal Mail"
    assert canonical_carrier_or_raw("Local Courier X") == "local courier x"
    with pytest.raises(InvalidInput, match="not a known carrier"):
        canonical_carrier("Local Courier X")
    with pytest.raises(InvalidInput, match="channel"):
        carrier_for("alibaba", "ups")  # no contract, no table
    with pytest.raises(InvalidInput, match="not in AMAZON_CARRIER_CODES"):
        canonical_for("amazon", "Pigeon Post")
