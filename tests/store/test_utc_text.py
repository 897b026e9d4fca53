"""sqlite_utc_text: UTCDateTime's SQLite text written directly is the processor's own, for
every datetime (any zone, any offset, naive ones refused alike), and bulk inserts use it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter
from sqlalchemy import create_engine

from channelhub.store import bulk
from channelhub.store.bulk import column_processor
from channelhub.store.tables.orders import OrderRow
from channelhub.store.types import sqlite_utc_text

_SQLITE = create_engine("sqlite://").dialect
_COLUMN = OrderRow.__table__.c.placed_at
_PROCESSOR = _COLUMN.type.dialect_impl(_SQLITE).bind_processor(_SQLITE)
#: pydantic's own zone (what a parsed ``...Z`` carries), stdlib's, fixed offsets, a real zone
_PYDANTIC_UTC = TypeAdapter(datetime).validate_python("2026-01-01T00:00:00Z").tzinfo
_ZONES = st.sampled_from(
    [UTC, _PYDANTIC_UTC, timezone(timedelta(0), "Z"), timezone(timedelta(hours=5, minutes=30)),
     timezone(timedelta(hours=-8)), timezone(timedelta(seconds=1)), ZoneInfo("Europe/London"),
     ZoneInfo("America/New_York")]
)  # fmt: skip
_MOMENTS = st.datetimes()  # the whole range: near its ends another zone overflows UTC


def _outcome(process: Any, value: Any) -> Any:
    try:
        return process(value)
    except (ValueError, TypeError, AttributeError, OverflowError) as error:
        return type(error)


@given(_MOMENTS, st.none() | _ZONES)
def test_the_text_is_the_processors_own(moment: datetime, zone: Any) -> None:
    value = moment if zone is None else moment.replace(tzinfo=zone)
    fast = sqlite_utc_text(_PROCESSOR)
    assert _outcome(fast, value) == _outcome(_PROCESSOR, value)


@pytest.mark.parametrize("value", [None, "2026-01-01", datetime(2026, 1, 1)])
def test_anything_else_goes_to_the_processor(value: Any) -> None:
    assert _outcome(sqlite_utc_text(_PROCESSOR), value) == _outcome(_PROCESSOR, value)


def test_bulk_inserts_write_the_text_directly(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[Any] = []

    def recording(processor: Any) -> Any:
        made.append(processor)
        return sqlite_utc_text(processor)

    monkeypatch.setattr(bulk, "sqlite_utc_text", recording)
    process = column_processor(_COLUMN, _SQLITE)
    assert process is not None and len(made) == 1
    moment = datetime(2026, 3, 1, 12, 0, 5, 7, tzinfo=UTC)
    assert process(moment) == "2026-03-01 12:00:05.000007"
    assert process(moment.astimezone(timezone(timedelta(hours=2)))) == _PROCESSOR(moment)


def test_an_empty_time_is_processed_once_and_stored_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []

    def counting(processor: Any) -> Any:
        def process(value: Any) -> Any:
            calls.append(value)
            return processor(value)

        return sqlite_utc_text(process)

    monkeypatch.setattr(bulk, "sqlite_utc_text", counting)
    process = column_processor(_COLUMN, _SQLITE)
    assert process is not None
    assert [process(None) for _ in range(3)] == [None, None, None]
    assert calls == [None]
