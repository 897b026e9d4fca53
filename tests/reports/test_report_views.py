"""What the console's analytics pages read from the reports service: the trends chart's
comparison lines per bucket, each replenishment row with its own explanation, the top lost
sales, and the console-facing parsing of since/until (the same the CLI uses)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from channelhub.core.errors import InvalidInput
from channelhub.core.trends import Bucket
from channelhub.jobs.analytics.reports import (
    replenish_report,
    replenish_view,
    report_period,
    stock_lines,
    top_lost_sales,
    trends,
    trends_view,
    window_lines,
)
from tests.reports.seed import AS_OF, FIRST, WINDOW, mug_units
from tests.reports.test_reports import CONFIG, PERIOD
from tests.reports.test_reports import seeded as seeded


def test_trends_view_draws_this_period_against_the_previous_and_last_year(
    seeded: Session,
) -> None:
    view = trends_view(seeded, by="sku", bucket=Bucket.DAY, period=PERIOD, group="MUG")
    units = view.lines["units"]
    # MUG: L-MUG + 2 x L-2PK on even days + 1 as SET's component
    assert units["this period"] == [
        mug_units(k) + (2 if k % 2 == 0 else 0) + 1 for k in range(WINDOW)
    ]
    assert units["previous period"] == [8] * WINDOW
    assert units["last year"] == [4] * WINDOW
    assert view.lines["revenue"]["previous period EUR"] == [40.0] * WINDOW
    assert "MUG" in view.groups and len(view.labels) == WINDOW
    assert (view.series, view.summary) == trends(seeded, by="sku", bucket=Bucket.DAY, period=PERIOD)
    weekly = trends_view(seeded, by="channel", bucket=Bucket.WEEK, period=PERIOD)
    assert weekly.lines["units"]["previous period"] == [56] * 4  # L-MUG 8 a day, no combos


def test_each_replenishment_row_carries_its_own_explanation(seeded: Session) -> None:
    lines = stock_lines(seeded, as_of=AS_OF, config=CONFIG)
    view = replenish_view(lines, CONFIG)
    for row, why in zip(view.orders.rows, view.orders_why, strict=True):
        assert why[0].startswith(f"{row[0]} -> {row[1]}")
    us = next(i for i, r in enumerate(view.orders.rows) if r[:2] == ["MUG", "US-EAST"])
    assert view.orders.rows[us][-2:] == [36, 3]
    assert view.orders_why[us][-1].endswith("3 carton(s) of 12 = 36")
    assert len(view.transfers_why) == len(view.transfers.rows) == 1
    orders, moves = replenish_report(lines, CONFIG)
    assert (orders.rows, moves.rows) == (view.orders.rows, view.transfers.rows)
    assert top_lost_sales(lines) == {"MUG @ US-EAST": pytest.approx(15.6, abs=0.05)}


def test_periods_and_windows_name_the_field_a_mistake_is_in(seeded: Session) -> None:
    names = ("since", "until")
    period = report_period(None, f"{AS_OF:%Y-%m-%d}", default_days=WINDOW, today=date(2030, 1, 1))
    assert (period.since, period.until) == (FIRST, AS_OF)
    with pytest.raises(InvalidInput, match=r"^since: .* must be before until"):
        report_period(f"{AS_OF:%Y-%m-%d}", f"{FIRST:%Y-%m-%d}", default_days=1,
                      today=date(2030, 1, 1), names=names)  # fmt: skip
    with pytest.raises(InvalidInput, match=r"^until: .* ISO date"):
        report_period(None, "soon", default_days=1, today=date(2030, 1, 1), names=names)
    short = report_period(None, f"{AS_OF:%Y-%m-%d}", default_days=3, today=date(2030, 1, 1))
    with pytest.raises(InvalidInput, match=r"^since: .* under 7 days"):
        window_lines(seeded, CONFIG, short, since_name="since")
    config, lines = window_lines(seeded, CONFIG, period)
    assert config.window_days == WINDOW and {li.health.position.sku for li in lines} == {
        "MUG",
        "OLD",
    }
