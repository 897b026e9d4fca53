"""The webhook bench at a tiny scale, against a real `channelhub run`: every delivery is
accepted, /health answers during the burst, and every order is stored exactly once after the
intake job ran (correctness only: no timing is asserted)."""

from __future__ import annotations

import pytest

from bench import bench_webhooks


@pytest.fixture(scope="module")
def figures() -> dict[str, bench_webhooks.Figure]:
    return {f.name: f for f in bench_webhooks.measure("", "sqlite", 40)}


def test_every_delivery_is_accepted_and_every_order_stored_once(
    figures: dict[str, bench_webhooks.Figure],
) -> None:
    assert figures["sqlite: deliveries accepted (200)"].value == 40
    assert figures["sqlite: orders stored (distinct)"].value == 40
    assert figures["sqlite: orders stored twice"].value == 0
    assert figures["sqlite: deliveries left pending"].value == 0


def test_health_answers_during_the_burst(figures: dict[str, bench_webhooks.Figure]) -> None:
    assert figures["sqlite: /health p50 during the burst"].value > 0


def test_deliveries_are_distinct_and_signed() -> None:
    items = bench_webhooks.deliveries(3)
    assert len({body for body, _ in items}) == 3
    assert all(h["X-Shopify-Hmac-Sha256"] for _, h in items)
