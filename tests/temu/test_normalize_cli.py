"""``channelhub normalize ebay|temu order|listing FILE`` on the shipped examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import channelhub.cli.commands  # noqa: F401  (registers the commands)
from channelhub.cli import app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize(
    ("platform", "kind", "file", "count"),
    [
        ("ebay", "order", "ebay/get_orders.json", 2),
        ("ebay", "listing", "ebay/inventory.json", 2),
        ("temu", "order", "temu/order_list.json", 3),
        ("temu", "order", "temu/order_detail.json", 1),
        ("temu", "listing", "temu/goods_list.json", 3),
    ],
)
def test_normalize_examples(platform: str, kind: str, file: str, count: int) -> None:
    result = CliRunner().invoke(app, ["normalize", platform, kind, str(EXAMPLES / file)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines() if line.strip()]
    assert len(lines) == count
    assert all(line["channel"] == platform for line in lines)
