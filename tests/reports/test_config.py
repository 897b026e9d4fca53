"""``[replenishment]`` in rules.toml: routes, defaults, and faults named by field."""

from __future__ import annotations

import pytest

from channelhub.core.errors import InvalidInput
from channelhub.core.replenishment import DemandStats, ReplenishmentConfig
from channelhub.core.rulebook import load_rulebook
from channelhub.core.trends import Period, change, slope


def test_route_lead_times_from_the_rulebook() -> None:
    book = load_rulebook(
        {"replenishment": {"review_days": 14, "routes": {"CN->US": {"sea": 35, "air": 8}}}}
    )
    config = book.replenishment
    assert config.lead_time("US") == (35, "route CN->US sea")
    assert config.model_copy(update={"mode": "air"}).lead_time("US") == (8, "route CN->US air")
    assert config.lead_time("DE") == (35, "default lead time (no route CN->DE configured)")
    assert config.model_copy(update={"mode": "rail"}).lead_time("US")[0] == 8  # fastest given
    assert config.review_days == 14
    assert load_rulebook({}).replenishment.z() == pytest.approx(1.6448536)


@pytest.mark.parametrize(
    ("section", "fault"),
    [
        ({"routes": {"CNUS": {"sea": 3}}}, "ORIGIN->DESTINATION"),
        ({"routes": {"CN->US": {"sea": 0}}}, "whole number of days"),
        ({"cartons": {"MUG": 0}}, "carton size must be positive"),
        ({"service_level": 1.2}, "service_level"),
    ],
)
def test_bad_replenishment_settings_are_named(section: dict[str, object], fault: str) -> None:
    with pytest.raises(InvalidInput, match=fault):
        load_rulebook({"replenishment": section})


def test_velocity_weights_recent_days_and_skips_days_at_zero() -> None:
    # 3 days: 0, 0, 6 units (weights 1, 2, 3): weighted 18 / 6 = 3 a day, plain mean 2
    rising = DemandStats.from_daily([(0, True), (0, True), (6, True)])
    assert (rising.velocity, rising.mean) == (3.0, 2.0)
    # the middle day at zero: weights 1 + 3 = 4 -> 18 / 4 = 4.5 a day over 2 in-stock days
    gap = DemandStats.from_daily([(0, True), (0, False), (6, True)])
    assert (gap.velocity, gap.in_stock_days) == (4.5, 2)
    assert DemandStats.from_daily([(0, False)] * 3).velocity == 0.0
    assert ReplenishmentConfig().window_days == 56


def test_trend_arithmetic() -> None:
    assert slope([1, 3, 5, 7]) == pytest.approx(2.0)
    assert slope([4]) == 0.0
    assert change(150, 100) == pytest.approx(0.5)
    assert change(5, 0) is None
    from datetime import UTC, datetime

    p = Period(datetime(2024, 2, 29, tzinfo=UTC), datetime(2024, 3, 7, tzinfo=UTC))
    assert p.previous().since == datetime(2024, 2, 22, tzinfo=UTC)
    assert p.last_year().since == datetime(2023, 2, 28, tzinfo=UTC)
