"""A JSON column's value given as its finished text, for :mod:`channelhub.store.returning`.

Why: an intake stores every new order's whole document. ``model_dump(mode="json")`` then the
column's ``json.dumps`` cost ~20 µs an order; pydantic's own ``model_dump_json`` writes the
same JSON value's text in ~7 µs. The same value: one serializer makes both (datetimes,
decimals and enums as in ``mode="json"``); only whitespace and the escaping of non-ASCII
text differ, and the databases parse what they store (SQLite's JSON type, PostgreSQL's JSONB).

Secrets: the database redacts every parameter by value (:mod:`channelhub.store.redaction`),
a document string by string on PostgreSQL and as its text on SQLite. On SQLite the text is
sent as a string like the document's ``json.dumps`` text: the engine's hook scans it with the
statement's other strings (one substring search per secret's core over them all: ~3 µs for an
order's document, where its own scan for every secret's ends, ``may_change_json``, cost ~5)
and redacts it as a text where a secret occurs, as it redacts the ``json.dumps`` text (the
same JSON value, but for whitespace and the escaping of non-ASCII text). On PostgreSQL a
text in which the active redactor could change nothing (:meth:`~channelhub.core.redaction.
SecretRedactor.may_change_json`) is sent as it is; any other is parsed back and sent as the
document was, so what is stored is exactly what the document gave (redaction included). A
text checked so goes to the database marked as checked (psycopg's wrapper writing it with
:func:`~channelhub.store.redaction.scanned_as_is`), and is not scanned a second time.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticSerializationError, to_json
from sqlalchemy import JSON, Column

from channelhub.core.redaction import active_redactor
from channelhub.store.redaction import scanned_as_is


@dataclass(frozen=True, slots=True)
class JsonText:
    """A JSON document's text, to store in a JSON column as the document it encodes."""

    text: str


def model_document(model: BaseModel, *, exclude: set[str]) -> JsonText | dict[str, Any]:
    """``model`` as a JSON column's value, written by pydantic in one step; a model it
    cannot write as text (a lone surrogate set without validation) as the document,
    which stores as before."""
    try:
        return JsonText(model.model_dump_json(exclude=exclude))
    except PydanticSerializationError:
        document: dict[str, Any] = model.model_dump(mode="json", exclude=exclude)
        return document


def plain_document_text(document: dict[str, Any]) -> JsonText | dict[str, Any]:
    """``document`` as its finished text, written by pydantic (~5 µs for a warehouse order's
    outbox payload where ``json.dumps`` took ~10); a document it cannot write as UTF-8 text
    (a lone surrogate) as it is, which stores as before. Only for documents made of JSON's
    own values (:func:`plain_json_text`)."""
    text = plain_json_text(document)
    return document if text is None else JsonText(text)


def plain_json_text(value: object) -> str | None:
    """``value``'s JSON text written by pydantic; None where it cannot write it as UTF-8
    (a lone surrogate).

    Only for values made of JSON's own: text keys; text, integers, booleans, ``None``, lists
    and dicts of them (``mode="json"`` dumps of models with no float). Of those pydantic and
    ``json.dumps`` write the same JSON value (only whitespace and the escaping of non-ASCII
    text differ); of others they may not (a decimal, a datetime, a ``None`` key, an infinite
    float are written differently or refused by one of them)."""
    try:
        return to_json(value).decode()
    except PydanticSerializationError:
        return None


def accepting_text(
    column: Column[Any], process: Callable[[Any], Any] | None, dialect: Any
) -> Callable[[Any], Any] | None:
    """``process`` (``column``'s bind processor for ``dialect``, made for one statement,
    :func:`~channelhub.store.bulk.insert_rows`' ``COPY`` one too) taking a :class:`JsonText`
    too where ``column`` is JSON: the text itself on SQLite, psycopg's ``Json``/``Jsonb``
    writing it as it is on PostgreSQL, there parsed and processed as a document when the
    active redactor could change it (see module docstring).

    The wrapper is the column's own bind processor's for ``dialect`` (not ``process``'s:
    ``COPY``'s gives the empty document as the text ``"{}"``)."""
    kind = getattr(column.type, "impl", column.type)
    if process is None or not isinstance(kind, JSON):
        return process
    processed = process  # narrowed: not None
    wrapper: Any = None  # SQLite: the text, as the column's processor gives a document
    if dialect.name != "sqlite":
        own = column.type.dialect_impl(dialect).bind_processor(dialect)
        wrapper = None if own is None else type(own({}))  # psycopg's Json or Jsonb
        if wrapper is None or wrapper is str:
            raise ValueError(f"{dialect.name}: no driver wrapper known for a JSON text")
    redactor = active_redactor() or None

    def convert(value: Any) -> Any:
        if not isinstance(value, JsonText):
            return processed(value)
        if wrapper is None:  # SQLite: a string the cursor hook scans with the statement's
            return value.text
        if redactor is None:
            return wrapper(value.text, _as_is)
        if redactor.may_change_json(value.text):
            return processed(json.loads(value.text))
        # checked: the cursor hook (or COPY's cleaning) sends it without a second scan
        return wrapper(value.text, scanned_as_is)

    return convert


def _as_is(text: str) -> str:
    """psycopg's ``dumps`` for a text already JSON."""
    return text
