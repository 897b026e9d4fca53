"""Amazon carrier codes come from the shared carrier table; unknown carriers go as Other."""

from channelhub.mappings.amazon.requests import carrier_code
from channelhub.mappings.carriers import AMAZON_CARRIER_CODES


def test_known_carrier_uses_the_shared_table() -> None:
    assert carrier_code("UPS") == (AMAZON_CARRIER_CODES["ups"], None)


def test_unknown_carrier_goes_as_other_with_its_name() -> None:
    assert carrier_code(" Saudi Post Express ") == ("Other", "Saudi Post Express")
