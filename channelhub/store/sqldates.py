"""Dialect-aware SQL for dates and money in reports (SQLite and PostgreSQL disagree on both).

SQLite stores times as naive UTC text and has ``date()``/``strftime()``/``julianday()``;
PostgreSQL has ``timestamptz``, ``date_trunc`` and date arithmetic (read in UTC here, never in
the session's time zone). Money is exact decimal text on SQLite: summing it there would go
through float, so :func:`money_micros` turns each value into whole millionths first (exact for
the six decimals :class:`~channelhub.store.types.ExactDecimal` keeps) and Python divides the
integer sum back.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Date, DateTime, Float, Integer, cast, func, literal
from sqlalchemy.sql.elements import ColumnElement

MICROS = 1_000_000
#: julianday('1970-01-01'): SQLite day numbers count from there, like PostgreSQL's below.
_UNIX_EPOCH_JULIAN = 2440587.5


class Dialect:
    """The few expressions reports need, for one database dialect (``sqlite``/``postgresql``)."""

    def __init__(self, name: str) -> None:
        if name not in ("sqlite", "postgresql"):
            raise RuntimeError(f"unsupported database dialect {name!r}")
        self.name = name

    @property
    def pg(self) -> bool:
        return self.name == "postgresql"

    def _utc(self, column: Any) -> Any:
        return func.timezone("UTC", column) if self.pg else column

    def bucket(self, column: Any, width: str) -> ColumnElement[str]:
        """The first day of ``column``'s day, week (Monday) or month, as ``YYYY-MM-DD``."""
        if width not in ("day", "week", "month"):
            raise ValueError(f"unknown bucket {width!r}")
        if self.pg:
            start = func.date_trunc(width, self._utc(column))
            return func.to_char(start, "YYYY-MM-DD")
        if width == "day":
            return func.date(column)
        if width == "week":  # the coming Sunday (or today if Sunday), back to its Monday
            return func.date(column, "weekday 0", "-6 days")
        return func.strftime("%Y-%m-01", column)

    def day_number(self, column: Any) -> ColumnElement[int]:
        """Whole days from 1970-01-01 to ``column``'s UTC date."""
        if self.pg:
            return cast(cast(self._utc(column), Date) - literal("1970-01-01", Date), Integer)
        return cast(func.julianday(func.date(column)) - _UNIX_EPOCH_JULIAN, Integer)

    def day_bucket(self, day: Any, width: str) -> ColumnElement[int]:
        """The day number that starts ``day``'s (a day number's) day, week (Monday) or month."""
        if width == "day":
            same: ColumnElement[int] = day
            return same
        if width == "week":  # 1970-01-01 was a Thursday: day + 3 counts from a Monday
            monday: ColumnElement[int] = day - (day + 3) % 7
            return monday
        if width != "month":
            raise ValueError(f"unknown bucket {width!r}")
        if self.pg:
            epoch = literal("1970-01-01", Date)
            first = cast(func.date_trunc("month", cast(epoch + day, DateTime)), Date)
            return cast(first - epoch, Integer)
        month = func.strftime("%Y-%m-01", day * 86400, "unixepoch")
        return cast(func.julianday(month) - _UNIX_EPOCH_JULIAN, Integer)

    def micros(self, column: Any) -> ColumnElement[int]:
        """An exact money column in whole millionths, an integer on both dialects."""
        if self.pg:
            return cast(func.round(column * Decimal(MICROS)), BigInteger)
        return self.money_micros(column)

    def greatest(self, *values: Any) -> ColumnElement[Any]:
        return func.greatest(*values) if self.pg else func.max(*values)

    def least(self, *values: Any) -> ColumnElement[Any]:
        return func.least(*values) if self.pg else func.min(*values)

    def money_micros(self, column: Any) -> ColumnElement[Any]:
        """An exact money column as a number that sums exactly (see the module docstring)."""
        if self.pg:
            exact: ColumnElement[Any] = column
            return exact
        return cast(func.round(cast(column, Float) * MICROS), BigInteger)

    def money(self, summed: Any) -> Decimal:
        """A sum of :meth:`money_micros` values back as a Decimal."""
        if summed is None:
            return Decimal(0)
        if self.pg:
            return Decimal(summed)
        return Decimal(int(summed)) / MICROS
