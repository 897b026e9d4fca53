"""Sales trends: the periods a report compares and the arithmetic on its aggregated series.

Pure: the store sums units, orders and revenue per bucket in SQL; this module names the
comparison periods, fits a least-squares slope through a series (the trend), and computes
changes. Slopes come from :func:`statistics.linear_regression` (standard library).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from statistics import StatisticsError, linear_regression


class Bucket(StrEnum):
    """The width of a trend bucket."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True)
class Period:
    """A half-open time range [since, until)."""

    since: datetime
    until: datetime

    @property
    def days(self) -> float:
        return (self.until - self.since) / timedelta(days=1)

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        length = self.until - self.since
        return Period(self.since - length, self.since)

    def last_year(self) -> Period:
        """The same dates one year earlier (29 February falls back to the 28th)."""
        return Period(_year_back(self.since), _year_back(self.until))


def _year_back(when: datetime) -> datetime:
    try:
        return when.replace(year=when.year - 1)
    except ValueError:  # 29 February
        return when.replace(year=when.year - 1, day=28)


def slope(series: Sequence[float]) -> float:
    """Least-squares change per bucket of an evenly spaced series (0 when under 2 points)."""
    if len(series) < 2:
        return 0.0
    try:
        return linear_regression(range(len(series)), list(series)).slope
    except StatisticsError:  # every value equal on a constant x cannot happen; be explicit
        return 0.0


def change(current: float, before: float) -> float | None:
    """Relative change from ``before`` to ``current`` (0.25 = +25 %); None when before is 0."""
    return None if before == 0 else (current - before) / before
