"""Strict values at the mapping boundary (core/strict.py) and the shared excerpt helper."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from channelhub.core import strict
from channelhub.core.errors import InvalidInput, excerpt
from channelhub.core.money import Money


@pytest.mark.parametrize(
    "value",
    ["1e999999", "-1e999999", "9" * 5_000, 10**40, "²", "²³", "٣", "１２", "𝟙", "NaN", "1_000"],
)
def test_hostile_numbers_are_refused_quickly_naming_the_field(value: object) -> None:
    started = time.process_time()
    with pytest.raises(InvalidInput, match=r"^x\.quantity: "):
        strict.quantity(value, "x.quantity")
    assert time.process_time() - started < 1.0  # a hang detector, not a speed assertion


def test_numbers_read_exactly_within_bounds() -> None:
    assert strict.quantity("12", "q") == 12
    assert strict.quantity(" 3 ", "q") == 3
    assert strict.quantity("4.0", "q") == 4
    assert strict.amount("12.50", "a") == Decimal("12.50")
    assert strict.amount(Decimal("0.0001"), "a") == Decimal("0.0001")
    assert strict.amount("-0", "a") == 0 and not strict.amount("-0", "a").is_signed()
    with pytest.raises(InvalidInput, match="must be at most 100,000"):
        strict.quantity(100_001, "q")
    with pytest.raises(InvalidInput, match="must be at least 1"):
        strict.quantity(0, "q", minimum=1)
    with pytest.raises(InvalidInput, match="not a whole number"):
        strict.quantity("1.5", "q")


def test_amount_sign_size_and_places() -> None:
    with pytest.raises(InvalidInput, match="is negative"):
        strict.amount("-12.50", "price")
    assert strict.amount("-12.50", "discount", signed=True) == Decimal("-12.50")
    with pytest.raises(InvalidInput, match="below 1,000,000,000"):
        strict.amount("1000000000", "a")
    with pytest.raises(InvalidInput, match="more than 4 decimal places"):
        strict.amount("0.00001", "a")
    with pytest.raises(InvalidInput, match="float"):
        strict.amount(1.5, "a")
    with pytest.raises(InvalidInput, match="not a decimal amount"):
        strict.amount(True, "a")


def test_a_mixed_sum_names_both_currencies() -> None:
    parts = [
        ("taxLines[0].currencyCode", Money.of("1.00", "EUR")),
        ("taxLines[1].currencyCode", Money.of("500", "JPY")),
    ]
    with pytest.raises(InvalidInput) as caught:
        strict.money_sum(parts, "line tax")
    message = str(caught.value)
    assert "taxLines[1].currencyCode" in message and "EUR" in message and "JPY" in message
    same = [("a", Money.of("1.00", "EUR")), ("b", Money.of("2.50", "EUR"))]
    assert strict.money_sum(same, "tax") == Money.of("3.50", "EUR")
    assert strict.money_sum([], "tax") is None


def test_text_is_text_and_bounded() -> None:
    assert strict.text("  Mug  ", "title") == "Mug"
    with pytest.raises(InvalidInput, match="is not text"):
        strict.text({"a": 1}, "tags[0]")
    with pytest.raises(InvalidInput, match="longer than 255"):
        strict.text("x" * 256, "name")
    assert strict.opt_text("   ", "name") is None
    assert strict.text(123, "id", numbers=True) == "123"
    with pytest.raises(InvalidInput, match="is not text"):
        strict.tags(["ok", ["nested"]], "tags")


def test_ids_have_their_platforms_shape() -> None:
    assert strict.identifier("123-4567890-1234567", "orderId") == "123-4567890-1234567"
    for bad in ("²³", "Ⅻ", "a b", "", "x" * 129):
        with pytest.raises(InvalidInput, match="orderId"):
            strict.identifier(bad, "orderId")
    assert strict.identifier("5001", "id", shape=strict.DIGITS_ID) == "5001"
    with pytest.raises(InvalidInput):
        strict.identifier("A1", "id", shape=strict.DIGITS_ID)


def test_instants_are_bounded() -> None:
    assert strict.iso_instant("2026-01-15T10:00:00Z", "t") == datetime(2026, 1, 15, 10, tzinfo=UTC)
    for bad in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "1900-01-01T00:00Z"):
        with pytest.raises(InvalidInput, match=r"^t: "):
            strict.iso_instant(bad, "t")
    with pytest.raises(InvalidInput, match="has no timezone"):
        strict.iso_instant("2026-01-15T10:00:00", "t")
    east = datetime(2026, 1, 1, 3, tzinfo=timezone(timedelta(hours=3)))
    assert strict.instant(east, "t") == datetime(2026, 1, 1, tzinfo=UTC)


def test_excerpt_quotes_at_most_about_200_characters() -> None:
    huge = "x" * 2_000_067
    shown = excerpt(huge)
    assert len(shown) < 260 and "2,000,067 characters" in shown
    assert excerpt({"a": 1, "b": 2}) == "<object of 2 keys>"
    assert excerpt([]) == "[]"
    assert "digits" in excerpt(10**5000)
    error = InvalidInput.field("title", huge, "is too long")
    assert len(str(error)) < 300


@given(st.one_of(st.text(max_size=60), st.integers(), st.decimals(), st.floats(), st.none()))
def test_any_value_is_a_bounded_number_or_invalid_input(value: object) -> None:
    try:
        number = strict.amount(value, "a", signed=True)
    except InvalidInput as exc:
        assert str(exc).startswith("a: ") and len(str(exc)) < 400
    else:
        assert number.is_finite() and abs(number) < strict.MAX_AMOUNT


@given(st.text(max_size=300))
def test_any_text_is_an_ascii_id_or_invalid_input(value: str) -> None:
    try:
        ident = strict.identifier(value, "id")
    except InvalidInput:
        return
    assert ident.isascii() and " " not in ident and 0 < len(ident) <= strict.ID_CHARS


def test_json_amount_reads_a_parsed_float_as_its_exact_text() -> None:
    assert strict.json_amount(0.1, "a") == Decimal("0.1")
    assert strict.json_amount(-12.34, "a", signed=True) == Decimal("-12.34")
    assert strict.json_amount(999999999.9999, "a") == Decimal("999999999.9999")
    for bad in (float("inf"), float("nan"), 1e300, 0.123456, -1.0):
        with pytest.raises(InvalidInput):
            strict.json_amount(bad, "a")


def test_money_node_names_the_bad_field() -> None:
    node = {"currencyAmount": -3.1, "currencyCode": "usd"}
    assert strict.money_node(
        node, where="fee", amount_key="currencyAmount", currency_key="currencyCode"
    ) == (Decimal("-3.1"), "USD")
    with pytest.raises(InvalidInput, match=r"^fee\.currencyCode: "):
        strict.money_node(
            {**node, "currencyCode": "XX1"},
            where="fee",
            amount_key="currencyAmount",
            currency_key="currencyCode",
        )
    with pytest.raises(InvalidInput, match=r"^fee\.currencyAmount: "):
        strict.money_node(
            {**node, "currencyAmount": "1e999999"},
            where="fee",
            amount_key="currencyAmount",
            currency_key="currencyCode",
        )
