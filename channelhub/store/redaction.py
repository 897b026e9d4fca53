"""The database's one choke point for secrets: every bound parameter of every statement.

A platform's error may echo our request back (its token, its signature, base64'd or
URL-encoded), and that text reaches many tables: the run log, dead letters, reconcile runs,
stored raw answers, outbox errors. Rather than trusting each repository to redact, the engine
redacts what it sends: a ``before_cursor_execute`` hook passes every string, byte string and
JSON parameter through the *active* redactor (:func:`channelhub.core.redaction.active_redactor`,
set by the job runner for its account). Outside such a scope nothing changes.

A write that bypasses the cursor (``COPY`` in :mod:`channelhub.store.bulk`) passes its rows
through :func:`redacted` instead, the same cleaning.

The hook sees what the driver gets: text, bytes (raw payload bodies, as received), and on
PostgreSQL psycopg's ``Json``/``Jsonb`` and ``Binary`` wrappers (redacted inside); on SQLite
a JSON column arrives already serialised, hence the JSON-escaped forms in the redactor.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import chain
from typing import Any, NamedTuple
from uuid import UUID

from sqlalchemy import Engine, event

from channelhub.core.redaction import SecretRedactor, active_redactor


def scanned_as_is(text: str) -> str:
    """psycopg's ``dumps`` for a document's finished text the active redactor already found
    nothing to mask in (:mod:`channelhub.store.json_text`, :mod:`channelhub.store.bulk`): a
    wrapper carrying it is sent as it is instead of being scanned again. Made only under the
    redactor that checked it, for one statement."""
    return text


def _clean(value: Any, redactor: SecretRedactor) -> Any:
    if isinstance(value, str):
        return redactor.redact(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return redactor.redact_bytes(bytes(value))
    if hasattr(value, "obj") and hasattr(value, "dumps"):  # psycopg Json / Jsonb
        if value.dumps is scanned_as_is or _untouchable(value, redactor):
            return value
        return type(value)(redactor.redact_value(value.obj), value.dumps)
    if hasattr(value, "obj") and isinstance(value.obj, bytes | bytearray | memoryview):
        return type(value)(redactor.redact_bytes(bytes(value.obj)))  # psycopg Binary
    return value


def checked_text(document: Any, redactor: SecretRedactor) -> str | None:
    """``document``'s JSON text when ``redactor`` could change none of its strings (keys too),
    scanned once where walking the document redacts string by string; None when it could,
    or when ``json`` cannot write it. The text keeps every character as it is (an escaped
    non-ASCII character would hide a secret's end from the scan)."""
    try:
        text = json.dumps(document, ensure_ascii=False)
    except (TypeError, ValueError):
        return None
    return None if redactor.may_change_json(text) else text


def _untouchable(wrapper: Any, redactor: SecretRedactor) -> bool:
    """Whether no string of a psycopg JSON wrapper's document could be changed by
    ``redactor``, whatever writer the wrapper holds (:func:`checked_text`)."""
    return checked_text(wrapper.obj, redactor) is not None


class _Batch(NamedTuple):
    """A statement's parameters sorted for the batch check: its strings, scanned together
    (each once: a chunk's 72 strings an order are 10 distinct ones, its kinds, actors and
    reasons repeated), and its JSON wrappers' documents, each scanned as one text."""

    strings: set[str]
    documents: list[Any]


def _batch(params: Any) -> _Batch | None:
    """The strings and JSON wrappers of ``params`` (a parameter set, or executemany's or
    COPY's list of them) when every other value is a scalar (:data:`_SCALARS`, exactly: a
    subclass may carry anything); None when one is anything else (bytes, a binary
    wrapper), which the per-value path cleans. A value already checked (a wrapper writing
    its text with :func:`scanned_as_is`) is in neither list.

    Rows given as tuples (executemany's, COPY's, a multi-row statement's one set) are taken
    as one run of values, checked in C: row by row, the checks cost more than the scan of
    the strings (~0.7 µs a row: a third of the hook's time at 440 rows a statement)."""
    if type(params) is tuple:
        return _batch_of(params, _Batch(set(), []))
    if type(params) is list and _TUPLE.issuperset(map(type, params)):
        return _batch_of(list(chain.from_iterable(params)), _Batch(set(), []))
    sets = params if isinstance(params, list) else [params]
    batch = _Batch(set(), [])
    for one in sets:
        values = one.values() if isinstance(one, Mapping) else one
        if not isinstance(values, tuple | list | type({}.values())):
            return None
        if _batch_of(values, batch) is None:
            return None
    return batch


def _batch_of(values: Collection[Any], batch: _Batch) -> _Batch | None:
    """``batch`` with the strings and JSON wrappers of ``values`` (one run of values) added;
    None if one of them is neither (nor a scalar)."""
    if not _SCALARS.issuperset(map(type, values)):  # the types, checked in C
        for value in values:
            if type(value) in _SCALARS:
                continue
            if not _is_document(value):
                return None
            if value.dumps is not scanned_as_is:
                batch.documents.append(value)
    batch.strings.update([value for value in values if type(value) is str])
    return batch


#: the type of executemany's and COPY's rows, taken as one run of values by :func:`_batch`
_TUPLE = frozenset({tuple})


def _is_document(value: Any) -> bool:
    """psycopg's ``Json``/``Jsonb`` (a document and its writer), not its ``Binary``."""
    return (
        hasattr(value, "obj")
        and hasattr(value, "dumps")
        and not isinstance(value.obj, bytes | bytearray | memoryview)
    )


#: The types of values the batch check takes: strings, which it scans, and values the hook
#: never changes: ``None``, and a list (PostgreSQL's array of ids or codes for ``= ANY(..)``,
#: a read's filter: :func:`_clean` sends a list as it is).
_SCALARS = frozenset(
    {str, int, bool, float, Decimal, datetime, date, time, timedelta, UUID, type(None)} | {list}
)


def _clean_params(params: Any, redactor: SecretRedactor) -> Any:
    batch = _batch(params)
    if (
        batch is not None
        and not redactor.may_change_any(batch.strings)
        and all(_untouchable(document, redactor) for document in batch.documents)
    ):
        return params  # one scan of its strings, one per document: nothing to mask
    if isinstance(params, Mapping):
        return {key: _clean(value, redactor) for key, value in params.items()}
    if isinstance(params, tuple):
        return tuple(_clean(value, redactor) for value in params)
    if isinstance(params, list):  # executemany: a list of parameter sets
        return [_clean_params(p, redactor) for p in params]
    if isinstance(params, Sequence) and not isinstance(params, str | bytes):
        return [_clean(value, redactor) for value in params]
    return params


def redacted(parameters: Any) -> Any:
    """``parameters`` as the hook would send them, for a write that bypasses the cursor."""
    redactor = active_redactor()
    if redactor is None or not redactor or not parameters:
        return parameters
    return _clean_params(parameters, redactor)


def _before_cursor_execute(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> tuple[str, Any]:
    redactor = active_redactor()
    if redactor is None or not redactor or not parameters:
        return statement, parameters
    return statement, _clean_params(parameters, redactor)


def install_redaction(engine: Engine) -> None:
    """Redact every parameter ``engine`` sends by the active redactor (idempotent)."""
    if not event.contains(engine, "before_cursor_execute", _before_cursor_execute):
        event.listen(engine, "before_cursor_execute", _before_cursor_execute, retval=True)
