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
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Engine, event

from channelhub.core.redaction import SecretRedactor, active_redactor


def _clean(value: Any, redactor: SecretRedactor) -> Any:
    if isinstance(value, str):
        return redactor.redact(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return redactor.redact_bytes(bytes(value))
    if hasattr(value, "obj") and hasattr(value, "dumps"):  # psycopg Json / Jsonb
        if _untouchable(value, redactor):
            return value
        return type(value)(redactor.redact_value(value.obj), value.dumps)
    if hasattr(value, "obj") and isinstance(value.obj, bytes | bytearray | memoryview):
        return type(value)(redactor.redact_bytes(bytes(value.obj)))  # psycopg Binary
    return value


def _untouchable(document: Any, redactor: SecretRedactor) -> bool:
    """Whether no string of a psycopg JSON wrapper's document (keys too) could be changed by
    ``redactor``: its JSON text scanned once for the secrets' ends, where walking the
    document redacts string by string. The text is ``json.dumps``' with every character as
    it is (an escaped non-ASCII character would hide a secret's end from the scan), whatever
    writer the wrapper holds; a document it cannot write is walked."""
    try:
        text = json.dumps(document.obj, ensure_ascii=False)
    except (TypeError, ValueError):
        return False
    return not redactor.may_change_json(text)


def _plain_strings(params: Any) -> list[str] | None:
    """Every string of ``params`` (a parameter set, or executemany's list of them) when all
    its values are strings or other scalars; None when one is anything else (bytes, a JSON
    document, a wrapper), which the per-value path cleans."""
    sets = params if isinstance(params, list) else [params]
    found: list[str] = []
    for one in sets:
        values = one.values() if isinstance(one, Mapping) else one
        if not isinstance(values, tuple | list | type({}.values())):
            return None
        for value in values:
            if isinstance(value, str):
                found.append(value)
            elif not isinstance(value, _SCALARS) and value is not None:
                return None
    return found


#: Values no redactor changes (and ``None``).
_SCALARS = (int, float, Decimal, datetime, date, time, timedelta, UUID)


def _clean_params(params: Any, redactor: SecretRedactor) -> Any:
    strings = _plain_strings(params)
    if strings is not None and not redactor.may_change_any(strings):
        return params  # one scan of all its strings found no secret's end: nothing to mask
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
