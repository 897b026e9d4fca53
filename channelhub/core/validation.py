"""Turn pydantic validation errors into sentences a seller understands.

Each sentence names the field (a dotted path), the value that was given and why it was
refused: ``ship_to.country: 'USA' is not an ISO 3166-1 alpha-2 country code (e.g. 'US')``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from channelhub.core.errors import InvalidInput, excerpt

ModelT = TypeVar("ModelT", bound=BaseModel)

_REASONS: Mapping[str, str] = {
    "missing": "is missing",
    "extra_forbidden": "is not a known field",
    "int_type": "is not a whole number",
    "int_from_float": "is not a whole number",
    "string_type": "is not text",
    "bool_type": "is not true or false",
    "decimal_type": "is not a decimal amount",
    "datetime_type": "is not a date and time",
    "timezone_aware": "has no timezone (times must carry one, e.g. '2026-01-31T10:00:00Z')",
    "greater_than": "must be greater than {gt}",
    "greater_than_equal": "must be at least {ge}",
    "less_than_equal": "must be at most {le}",
    "string_too_short": "is too short (at least {min_length} characters)",
    "string_too_long": "is too long (at most {max_length} characters)",
    "enum": "is not one of {expected}",
    "literal_error": "is not one of {expected}",
    "list_type": "is not a list",
    "model_type": "is not an object",
    "dict_type": "is not an object",
}


def _path(loc: tuple[int | str, ...], at: str = "") -> str:
    parts: list[str] = [at] if at else []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif item.startswith("function-") or item.endswith("]"):
            continue  # pydantic's internal validator tags carry no meaning for a seller
        else:
            parts.append(("." if parts else "") + item)
    return "".join(parts) or "(value)"


def _reason(error: Mapping[str, Any]) -> str:
    kind = str(error.get("type", ""))
    template = _REASONS.get(kind)
    ctx = error.get("ctx") or {}
    if template:
        try:
            return template.format(**ctx)
        except (KeyError, IndexError):
            return template
    message = str(error.get("msg", "is invalid"))
    # "Value error, is not an ISO ..." -> "is not an ISO ..."
    return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def describe(exc: ValidationError, *, at: str = "") -> list[str]:
    """One sentence per fault: ``field: 'value' reason`` (``at``: where the validated value
    sits in a larger document, ``levels[3]``, the start of every field's path)."""
    sentences: list[str] = []
    for error in exc.errors(include_url=False):
        field = _path(tuple(error.get("loc", ())), at)
        reason = _reason(error)
        if error.get("type") == "missing":
            sentences.append(f"{field} {reason}")
        else:
            sentences.append(f"{field}: {excerpt(error.get('input'))} {reason}")
    return sentences


def parse(model: type[ModelT], data: object, *, source: str | None = None, at: str = "") -> ModelT:
    """Validate ``data`` as ``model``; on failure raise InvalidInput with readable sentences
    (``at``: where ``data`` sits, to start each field's path)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(describe(exc, at=at), source=source) from exc


def build(model: type[ModelT], *, source: str | None = None, **fields: object) -> ModelT:
    """Construct ``model`` from keyword fields with readable errors (used by mappings)."""
    return parse(model, fields, source=source)


@contextmanager
def refusing(source: str | None = None) -> Iterator[None]:
    """Inside, a model refusing a value built from wire data is InvalidInput, not a crash.

    Mappings build most models through :func:`parse`; this covers the few built directly
    (``Address(...)``), so a bad value always surfaces as the hub's own error.
    """
    try:
        yield
    except ValidationError as exc:
        raise InvalidInput(describe(exc), source=source) from exc
