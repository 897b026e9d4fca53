"""Reports over seeded data with a known pattern (see seed.py), on SQLite and PostgreSQL.

The replenishment numbers are checked against the hand computation written out below.
"""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from channelhub.core.replenishment import DemandStats, ReplenishmentConfig, RouteLeadTimes
from channelhub.core.trends import Bucket, Period
from channelhub.jobs.analytics.reports import replenish_report, stock_lines, stock_report, trends
from channelhub.store.repos.analytics import stock_stats
from tests.reports.seed import AS_OF, FIRST, WINDOW, day, mug_units, seed, us_sales

CONFIG = ReplenishmentConfig(
    window_days=WINDOW,
    review_days=7,
    service_level=0.95,
    routes={"CN->US": RouteLeadTimes.model_validate({"sea": 35, "air": 8})},
    default_lead_days=35,
)
PERIOD = Period(FIRST, AS_OF)


@pytest.fixture
def seeded(session: Session) -> Session:
    seed(session)
    return session


def _by(report_rows: list[list[object]], *keys: object) -> list[object]:
    return next(r for r in report_rows if tuple(r[: len(keys)]) == keys)


def test_trends_by_sku_count_pairings_combos_and_components(seeded: Session) -> None:
    series, summary = trends(seeded, by="sku", bucket=Bucket.DAY, period=PERIOD)
    # day 3: L-MUG 13 (+5 if Saturday) x1, no 2-pack (odd day), the SET: 1 MUG as a component;
    # MUG was in 2 orders; revenue is the L-MUG line's only (the SET's is the SET's)
    k = 3
    row = _by(series.rows, day(k).date().isoformat(), "MUG")
    assert row[2:6] == [mug_units(k), 1, 2, Decimal("5.00") * mug_units(k)]
    # day 4 (even): + one 2-pack = 2 MUG, in a third order
    row = _by(series.rows, day(4).date().isoformat(), "MUG")
    assert row[2:5] == [mug_units(4) + 2, 1, 3]
    lid = _by(series.rows, day(4).date().isoformat(), "LID")  # MUG-CH's global binding lost
    assert lid[2:6] == [0, 2, 1, Decimal(0)]
    assert _by(series.rows, day(4).date().isoformat(), "SET")[2:5] == [1, 0, 1]
    assert _by(series.rows, day(0).date().isoformat(), "(unpaired)")[2] == 1

    mug = _by(summary.rows, "MUG")
    current = sum(mug_units(k) + (2 if k % 2 == 0 else 0) + 1 for k in range(WINDOW))
    assert mug[1:6] == [current, 8 * WINDOW, f"{current / (8 * WINDOW) - 1:+.1%}", 4 * WINDOW,
                        f"{current / (4 * WINDOW) - 1:+.1%}"]  # fmt: skip
    # the trend: +1 unit a day (the Saturday bumps and the 2-pack days move it a little)
    assert float(mug[6]) == pytest.approx(1.0, abs=0.15)
    # the same trend read from weekly buckets: weekly totals rise 7 x 7 = 49 a week -> 1 a day
    _, weekly = trends(seeded, by="sku", bucket=Bucket.WEEK, period=PERIOD)
    assert float(_by(weekly.rows, "MUG")[6]) == pytest.approx(1.0, abs=0.05)


def test_trends_weekly_season_and_other_dimensions(seeded: Session) -> None:
    series, _ = trends(seeded, by="channel", bucket=Bucket.DAY, period=PERIOD)
    units = {r[0]: r[2] for r in series.rows}
    saturdays = [k for k in range(WINDOW) if day(k).weekday() == 5]
    fridays = [k - 1 for k in saturdays]
    # the season: each Saturday sells 5 more L-MUG than the trend (+1 a day) explains
    for sat, fri in zip(saturdays, fridays, strict=True):
        jump = units[day(sat).date().isoformat()] - units[day(fri).date().isoformat()]
        two_pack = (2 if sat % 2 == 0 else 0) - (2 if fri % 2 == 0 else 0)  # channel units: 1
        assert jump == 1 + 5 + two_pack // 2
    weekly, _ = trends(seeded, by="country", bucket=Bucket.WEEK, period=PERIOD)
    assert [r[0] for r in weekly.rows] == [day(7 * w).date().isoformat() for w in range(4)]
    assert sum(r[2] for r in weekly.rows) == sum(units.values())
    _, summary = trends(seeded, by="warehouse", bucket=Bucket.MONTH, period=PERIOD)
    shipped = {r[0]: r[1] for r in summary.rows}  # what the ledger consumed, per warehouse
    assert shipped == {"US-EAST": sum(us_sales(k) for k in range(WINDOW)), "DE-CENTRAL": WINDOW}


def test_demand_stats_in_sql_match_the_definition(seeded: Session) -> None:
    stats = {(s.position.sku, s.position.warehouse): s for s in stock_stats(
        seeded, as_of=AS_OF, window_days=WINDOW)}  # fmt: skip
    us = stats[("MUG", "US-EAST")]
    daily = [(us_sales(k), not 20 <= k <= 24) for k in range(WINDOW)]
    assert us.demand == DemandStats.from_daily(daily)
    assert us.position.days_at_zero == 5
    assert (us.position.on_hand, us.position.reserved, us.position.in_flight) == (90, 0, 24)
    assert us.position.oldest_unit_age == 3  # the 100 of day 25 (90 left); the 60 are gone
    # time-weighted on hand: closing balance of each day of the window
    balance, closing = 60, []
    for k in range(WINDOW):
        balance += (100 if k == 25 else 0) - us_sales(k)
        closing.append(balance)
    assert us.position.avg_on_hand == pytest.approx(sum(closing) / WINDOW)
    de = stats[("MUG", "DE-CENTRAL")]
    assert de.demand == DemandStats.from_daily([(1, True)] * WINDOW)
    assert de.position.oldest_unit_age == 58  # received 30 days before the window
    assert stats[("OLD", "DE-CENTRAL")].demand.units == 0


def test_stock_health_finds_the_stock_out_and_its_lost_sales(seeded: Session) -> None:
    lines = {(li.health.position.sku, li.health.position.warehouse): li
             for li in stock_lines(seeded, as_of=AS_OF, config=CONFIG)}  # fmt: skip
    us = lines[("MUG", "US-EAST")].health
    # velocity, weights 1 (day 0) .. 28 (day 27); days 20..24 (weights 21..25) at zero:
    #   weighted units = sum 2(k+1) over even k<20 (= 2 x 100) + sum 4(k+1) over odd k<20
    #                    (= 4 x 110) + 4x26 + 2x27 + 4x28 = 200 + 440 + 270 = 910
    #   in-stock weight = 28 x 29 / 2 - (21+22+23+24+25) = 406 - 115 = 291
    velocity = 910 / 291  # = 3.1271 units a day
    assert us.velocity == pytest.approx(velocity)
    assert us.lost_sales == pytest.approx(5 * velocity)  # 5 days at zero x velocity = 15.64
    assert us.days_of_cover == pytest.approx(90 / velocity)
    assert any("lost sales = 5 days at zero" in line for line in us.lines)
    assert lines[("OLD", "DE-CENTRAL")].health.status == "dead"
    report = stock_report(list(lines.values()))
    assert _by(report.rows, "MUG", "US-EAST")[9:] == [5, f"{5 * velocity:,.1f}", "ok"]


def test_replenishment_matches_the_hand_computation(seeded: Session) -> None:
    lines = {(li.suggestion.sku, li.suggestion.warehouse): li
             for li in stock_lines(seeded, as_of=AS_OF, config=CONFIG)}  # fmt: skip
    s = lines[("MUG", "US-EAST")].suggestion
    velocity = 910 / 291  # see the stock-health test
    # sigma over the 23 in-stock days: 10 x 2, 10 x 4 (days 0..19), then 4, 2, 4
    #   units 70, mean 70/23 = 3.0435; sum of squares 10x4 + 10x16 + 16+4+16 = 236
    #   variance 236/23 - (70/23)^2 = 10.2609 - 9.2628 = 0.9981 -> sigma 0.9991
    sigma = math.sqrt(236 / 23 - (70 / 23) ** 2)
    # lead time CN->US sea 35 days + review 7 = 42; z(0.95) = 1.6449
    z = 1.6448536269514722
    safety = z * sigma * math.sqrt(42)  # 1.6449 x 0.9991 x 6.4807 = 10.65
    reorder = velocity * 35 + safety  # 109.45 + 10.65 = 120.10
    target = velocity * 42 + safety  # 131.34 + 10.65 = 141.99
    position = 90 + 24  # on hand 90 - reserved 0 + in flight 24 = 114 (<= 120.10: order now)
    # max(0, 141.99 - 114) = 27.99 -> 28 units -> cartons of 12: 3 cartons = 36
    assert (s.lead_days, s.carton_size) == (35, 12)
    assert s.safety_stock == pytest.approx(safety)
    assert s.reorder_point == pytest.approx(reorder)
    assert s.target == pytest.approx(target)
    assert round(safety, 2) == 10.65 and round(target, 2) == 141.99
    assert (s.quantity, s.cartons, s.below_reorder_point) == (36, 3, True)
    assert lines[("MUG", "US-EAST")].health.position.position == position
    assert s.lines[-1] == "suggested = max(0, 141.99 - 114) = 28 -> 3 carton(s) of 12 = 36"
    # DE-CENTRAL: 1 a day, sigma 0; no CN->DE route: default 35 days
    #   target = 1 x 42 + 0 = 42, position 372: nothing to order
    de = lines[("MUG", "DE-CENTRAL")].suggestion
    assert (de.target, de.quantity) == (pytest.approx(42.0), 0)


def test_transfers_move_excess_to_the_warehouse_running_short(seeded: Session) -> None:
    lines = stock_lines(seeded, as_of=AS_OF, config=CONFIG)
    _, transfers = replenish_report(lines, CONFIG, explain=True)
    # DE-CENTRAL: 372 available > 42 x 1.25 = 52.5: floor(319.5) = 319 -> 26 cartons = 312 spare
    # US-EAST needs ceil(141.99 - 114) = 28 -> whole cartons of 12 from the spare: 24
    assert transfers.rows == [["MUG", "DE-CENTRAL", "US-EAST", 24]]
    assert any("312 to spare" in note for note in transfers.notes)
