"""The example rule file loads, and a bad one names every fault."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from channelhub.core.errors import InvalidInput
from channelhub.core.rulebook import load_rulebook
from channelhub.core.shadowing import shadowing

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "rules.example.toml"


def test_example_rules_load_and_do_not_shadow_each_other() -> None:
    book = load_rulebook(tomllib.loads(EXAMPLE.read_text(encoding="utf-8")), source=str(EXAMPLE))
    assert len(book.review.rules) == 6
    assert book.allocation.allowed_for("amazon", "us1") == ("US-EAST", "US-WEST")
    assert book.pairing.regex_rules[0].multiplier == 2
    assert shadowing(book.review) == ()


def test_bad_rules_name_field_and_value() -> None:
    with pytest.raises(InvalidInput) as err:
        load_rulebook(
            {
                "review": {
                    "rules": [{"name": "v", "kind": "order_value_above", "limits": {"USD": 1.5}}]
                },
                "merge": {"max_orders": 1},
            },
            source="rules.toml",
        )
    text = " | ".join(err.value.problems)
    assert "review.rules[0]" in text and "not a float" in text
    assert "merge.max_orders: 1" in text
