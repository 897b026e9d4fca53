"""Plain inserts of many rows at the least cost: ``COPY`` on PostgreSQL (binary where
psycopg knows every column's type), one prepared ``executemany`` on SQLite.

Why not ``session.execute(insert(table), rows)``: SQLAlchemy builds every row's parameters
through its compiler (``construct_params`` and each column's bind processor, row by row),
which cost three times the insert itself for the pipeline's decisions, transitions and ledger
rows on SQLite; and on PostgreSQL each row is an ``INSERT`` the server plans and executes,
where ``COPY`` streams them all. :func:`insert_rows` takes each column's own bind processor
(the same conversion SQLAlchemy applies: aware datetimes, JSON documents, exact decimals) once
per call and applies it in one loop, then hands the tuples to the driver. No library offers
this for both databases (psycopg's ``copy`` is PostgreSQL's alone, and it is used here).

Only for inserts that need nothing back (no ``RETURNING``, no conflict clause) into tables
whose omitted columns are filled by the database (the autoincrement key): a column the rows
do not name and that has a Python-side default is refused rather than left empty.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import cache
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Column, Connection, DateTime, Table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from channelhub.core.redaction import active_redactor
from channelhub.store.json_text import accepting_text
from channelhub.store.redaction import checked_text, redacted, scanned_as_is
from channelhub.store.types import SQLITE_DATETIME_FORMAT, UTCDateTime, sqlite_utc_text


class RowsRefused(Exception):
    """The database refused the rows (a unique key, a check): the transaction is to be rolled
    back. The message is the database's own, naming the constraint."""


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (every row naming the same columns) into ``table`` in the session's
    transaction; :class:`RowsRefused` when a constraint refuses them."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    columns = [c for c in table.columns if c.name in rows[0]]
    refuse_unfilled(table, columns)
    copy = dialect.name == "postgresql"
    by_column = processed_columns(rows, columns, lambda c: value_processor(c, dialect, copy=copy))
    values = list(zip(*by_column, strict=True))
    assert dialect.dbapi is not None  # a connected engine's
    refused = (IntegrityError, dialect.dbapi.IntegrityError)
    try:
        _send(connection, table, columns, values)
    except refused as error:
        raise RowsRefused(str(getattr(error, "orig", error)).splitlines()[0]) from error


def processed_columns(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[Column[Any]],
    processor: Callable[[Column[Any]], Callable[[Any], Any] | None],
) -> list[list[Any]]:
    """Each of ``columns``' values over ``rows``, converted by its ``processor`` (None: as
    they are): column by column, so the loops over rows run in C (a row-by-row generator
    cost more than the conversions themselves)."""
    out: list[list[Any]] = []
    for column in columns:
        values = list(map(itemgetter(column.name), rows))
        process = processor(column)
        out.append(values if process is None else list(map(process, values)))
    return out


def _send(
    connection: Connection, table: Table, columns: list[Column[Any]], values: list[Any]
) -> None:
    listed = ", ".join(f'"{c.name}"' for c in columns)
    if connection.dialect.name == "postgresql":
        driver = connection.connection.driver_connection
        assert driver is not None  # a checked-out connection
        names = _type_names(connection.dialect, tuple(columns))
        types = _binary_types(driver.adapters.types, names)
        binary = " (FORMAT BINARY)" if types is not None else ""
        cursor = driver.cursor()  # psycopg, in the transaction
        with cursor, cursor.copy(f'COPY "{table.name}" ({listed}) FROM STDIN{binary}') as copy:
            if types is not None:
                copy.set_types(types)
            for value in redacted(values):  # COPY passes no cursor hook: cleaned here
                copy.write_row(value)
        return
    marks = ", ".join("?" for _ in columns)
    connection.exec_driver_sql(f'INSERT INTO "{table.name}" ({listed}) VALUES ({marks})', values)


@cache
def _type_names(dialect: Any, columns: tuple[Column[Any], ...]) -> tuple[str, ...]:
    """Each column's PostgreSQL type by name, less its modifiers (``VARCHAR(64)``:
    ``varchar``), as psycopg's registry names them: compiled once per engine and columns
    (~3 µs a column, some forty columns a planned page)."""
    return tuple(
        c.type.dialect_impl(dialect).compile(dialect=dialect).split("(")[0].strip().lower()
        for c in columns
    )


def _binary_types(registry: Any, names: tuple[str, ...]) -> list[int] | None:
    """The oids of ``names`` for a binary ``COPY`` (psycopg dumps each value with its
    column's type's binary dumper), or None when a type is not one psycopg knows (a
    float, an enum of the database's): that ``COPY`` goes as text.

    Why binary: the server parses no text (timestamps, numbers, escaped strings) and
    psycopg writes each value without quoting it; measured on the decisions, transitions,
    movements and outbox rows of a page of 100 orders (900 rows, PostgreSQL on the same
    host), replayed alternately in one process: 14.8 -> 13.4 ms a page, and under load
    22.0 -> 17.6 ms (the CPU of client and server 14.9 -> 11.6 ms). The server checks each
    value against its column as text input does (a varchar's length, a numeric's scale:
    the receive functions apply the column's modifier)."""
    oids: list[int] = []
    for name in names:
        info = registry.get(name)
        if info is None:
            return None
        oids.append(info.oid)
    return oids


def value_processor(
    column: Column[Any], dialect: Any, *, copy: bool = False
) -> Callable[[Any], Any] | None:
    """:func:`column_processor`, a JSON column's taking a document's finished text too
    (:class:`~channelhub.store.json_text.JsonText`: order documents, the pipeline's outbox
    payloads and decision details, written once by pydantic where ``json.dumps`` cost twice
    as much), for :func:`insert_rows` and :func:`~channelhub.store.returning.insert_returning`."""
    return accepting_text(column, column_processor(column, dialect, copy=copy), dialect)


def column_processor(
    column: Column[Any], dialect: Any, *, copy: bool = False
) -> Callable[[Any], Any] | None:
    """The conversion SQLAlchemy applies to ``column``'s values for ``dialect`` (None: none),
    a datetime column's run once per distinct value, a JSON column's once for ``{}``.

    ``copy``: for PostgreSQL's ``COPY``: a document given as its text, written once
    (:func:`_written_once`)."""
    processor: Callable[[Any], Any] | None = column.type.dialect_impl(dialect).bind_processor(
        dialect
    )
    if processor is None:
        return None
    kind = getattr(column.type, "impl", column.type)
    if isinstance(kind, DateTime):
        if _stored_as_sqlite_text(column, dialect):
            processor = sqlite_utc_text(processor)
        return _once_per_value(processor)
    if isinstance(kind, JSON):
        return _written_once(processor) if copy else _empty_once(processor, processor({}))
    return processor


def _stored_as_sqlite_text(column: Column[Any], dialect: Any) -> bool:
    """Whether ``column`` is a :class:`~channelhub.store.types.UTCDateTime` SQLite stores as
    SQLAlchemy's default ``DATETIME`` text (:func:`~channelhub.store.types.sqlite_utc_text`)."""
    if dialect.name != "sqlite" or not isinstance(column.type, UTCDateTime):
        return False
    impl = getattr(column.type.dialect_impl(dialect), "impl_instance", None)
    return getattr(impl, "_storage_format", None) == SQLITE_DATETIME_FORMAT


def _once_per_value(processor: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``processor`` run once per distinct datetime of a call (None too: a column most rows
    leave empty, an order's ``ship_by``): a chunk's rows mostly carry the same few times (the
    run's ``now``), and formatting one is a tenth of a row's cost. (Equal aware datetimes
    are the same instant: the hub's datetime columns store UTC.)"""
    done: dict[datetime | None, Any] = {}

    def process(value: Any) -> Any:
        out = done.get(value, _NOT_DONE)
        if out is _NOT_DONE:
            out = done[value] = processor(value)
        return out

    return process


#: :func:`_once_per_value`'s mark of a value not processed yet
_NOT_DONE = object()


def _empty_once(processor: Callable[[Any], Any], empty: Any) -> Callable[[Any], Any]:
    """``processor``, the empty document's value (``empty``) processed once: most of the
    pipeline's decisions carry no detail, and serialising ``{}`` cost as much as the rest of
    its row. (Only ``{}`` is shared: the processed value, text or a driver's wrapper, is not
    changed by the insert; and no redactor changes ``"{}"``: it matches 8 characters or
    more.)"""

    def process(value: Any) -> Any:
        if type(value) is dict and not value:
            return empty
        return processor(value)

    return process


def _written_once(processor: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A JSON column's processor for ``COPY``: under a redactor, each document written to its
    text once.

    Why: psycopg's wrapper writes a document when ``COPY`` sends it, and the cleaning of the
    rows (:func:`~channelhub.store.redaction.redacted`) wrote it too, to scan it for the run's
    secrets. Here the text the scan needs is written first
    (:func:`~channelhub.store.redaction.checked_text`) and handed to psycopg to send as it is
    (:func:`~channelhub.store.redaction.scanned_as_is`: the cleaning skips it). A document the
    redactor could change, one ``json`` cannot write, or a text UTF-8 cannot encode (a lone
    surrogate) takes the wrapper as before: redacted string by string, refused as before; so
    does every document when no redactor is active (nothing scans it then). The empty
    document is one wrapper of ``"{}"`` shared by the call's rows (no redactor changes it:
    :func:`_empty_once`), not the bare text: a binary ``COPY`` would write that as a JSON
    string."""
    wrapper = type(processor({}))
    redactor = active_redactor() or None
    empty = wrapper("{}", scanned_as_is)

    def process(value: Any) -> Any:
        if type(value) is dict and not value:
            return empty
        text = None if redactor is None else checked_text(value, redactor)
        if text is None or not _encodable(text):
            return processor(value)
        return wrapper(text, scanned_as_is)

    return process


def _encodable(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def refuse_unfilled(table: Table, named: list[Column[Any]]) -> None:
    """Refuse rows that leave out a column SQLAlchemy's own insert would fill in Python."""
    names = {c.name for c in named}
    for column in table.columns:
        if column.name in names or column.primary_key:
            continue
        if column.default is not None:
            raise ValueError(f"{table.name}.{column.name} has a Python default the rows must give")
