"""Column types that keep the canonical model's guarantees in both SQLite and PostgreSQL.

Migrations import this module by name: rename nothing here without a migration.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, Numeric, String
from sqlalchemy.types import TypeDecorator, TypeEngine


class JsonDocument(TypeDecorator[Any]):
    """JSON column: JSONB on PostgreSQL (indexable, compact), JSON text on SQLite."""

    impl = JSON()
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            # the dialect's own module: loaded with the engine, not by every command on SQLite
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out; naive datetimes are refused, not guessed.

    SQLite has no time zone type, so values are stored as naive UTC text there (which
    sorts and compares correctly) and given back their UTC zone on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} refused: pass an aware UTC time")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


#: SQLAlchemy's SQLite ``DATETIME`` storage format (its default): what :func:`sqlite_utc_text`
#: writes directly.
SQLITE_DATETIME_FORMAT = (
    "%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d.%(microsecond)06d"
)


def sqlite_utc_text(processor: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """:class:`UTCDateTime`'s SQLite bind ``processor`` (for a ``DATETIME`` stored in
    :data:`SQLITE_DATETIME_FORMAT`), a UTC datetime's text written directly.

    Why: the processor converts to UTC, drops the zone, then fills SQLAlchemy's format from
    seven attributes (~3.5 µs a value); ``isoformat`` writes the same text in one C call
    (~0.5 µs). A datetime whose offset is zero is its own UTC wall time, and its
    ``isoformat(" ", "microseconds")`` is the stored text and ``+00:00``; any other value
    (another offset, a naive one, a subclass, None) goes to ``processor``, which converts,
    refuses or stores it as before."""

    def process(value: Any) -> Any:
        if type(value) is datetime:
            text = value.isoformat(" ", "microseconds")
            if text.endswith("+00:00"):
                return text[:-6]
        return processor(value)

    return process


class ExactDecimal(TypeDecorator[Decimal]):
    """Money amounts and quantities: NUMERIC on PostgreSQL, exact decimal text on SQLite.

    SQLite's NUMERIC goes through float, which would break the "never float" rule.
    """

    impl = Numeric(20, 6)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(20, 6))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"amount {value!r} refused: pass a Decimal, never a float")
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(str(value))
