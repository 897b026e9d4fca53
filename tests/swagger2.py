"""A small request validator for Swagger 2.0 specs (the Amazon SP-API models are Swagger 2.0).

Why our own: openapi-core only reads OpenAPI 3, and converting the Amazon models loses the
``collectionFormat`` and parameter rules we want to check. This checks what a connector can get
wrong when it *builds* a request:

- the method and path match one operation (or the named ``operationId``);
- every required parameter is present; no parameter the operation does not declare is sent;
- each query/path/header value fits its declared type, format (date-time), enum, minimum /
  maximum, and for arrays ``collectionFormat`` (csv by default), ``minItems``/``maxItems``
  and the items' enum;
- the JSON body validates against the operation's body schema, ``#/definitions/...`` refs
  resolved, with date-time formats checked (Draft 4, which Swagger 2.0 schemas are).

``validate_listings_feed`` checks a JSON_LISTINGS_FEED document against
``listings-feed-schema-v2.json``. Every check returns a list of sentences (empty = valid);
``assert_valid_*`` raise ``AssertionError`` with all of them.

Usage::

    spec = SwaggerSpec.load(contract_file("amazon", "orders_2026-01-01.json"))
    problems = spec.validate(RecordedRequest.from_httpx(request), operation_id="searchOrders")
    spec.assert_valid(RecordedRequest.from_httpx(request))   # operation found by method+path
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import httpx
from jsonschema import Draft4Validator, Draft7Validator, FormatChecker

_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
_FORMATS = FormatChecker()


@dataclass(frozen=True)
class RecordedRequest:
    """A request as a connector built it: ``query`` keeps repeated keys as a list."""

    method: str
    path: str  # as sent (percent-encoded), without the query string
    query: Mapping[str, Sequence[str]] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names
    body: Any = None  # parsed JSON, or None when no body was sent
    raw_body: bytes = b""

    @classmethod
    def from_httpx(cls, request: httpx.Request) -> RecordedRequest:
        """Record an ``httpx.Request`` (e.g. from a recording transport)."""
        raw = request.read()
        return cls.from_parts(
            request.method,
            str(request.url),
            headers={k.lower(): v for k, v in request.headers.items()},
            content=raw,
        )

    @classmethod
    def from_parts(
        cls,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        content: bytes = b"",
    ) -> RecordedRequest:
        """Record from a method, a URL (absolute or path?query) and raw body bytes."""
        parts = urlsplit(url)
        query: dict[str, list[str]] = {}
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            query.setdefault(key, []).append(value)
        body: Any = None
        if content:
            try:
                body = json.loads(content)
            except ValueError:
                body = content  # not JSON: the body check reports it
        return cls(
            method=method.upper(),
            path=parts.path,
            query=query,
            headers={k.lower(): v for k, v in (headers or {}).items()},
            body=body,
            raw_body=content,
        )


@dataclass(frozen=True)
class Operation:
    """One operation of the spec with its merged (path-level + operation-level) parameters."""

    operation_id: str
    method: str
    template: str
    parameters: tuple[Mapping[str, Any], ...]
    consumes: tuple[str, ...]

    def matches(self, path: str) -> dict[str, str] | None:
        """The path parameters when ``path`` fits this operation's template, else None."""
        pattern = "^" + re.sub(r"\\\{([^}]+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.template)) + "$"
        found = re.match(pattern, path)
        if found is None:
            return None
        return {k: unquote(v) for k, v in found.groupdict().items()}


class SwaggerSpec:
    """A loaded Swagger 2.0 document that validates requests against its operations."""

    def __init__(self, document: Mapping[str, Any], *, name: str = "spec") -> None:
        if document.get("swagger") != "2.0":
            raise ValueError(f"{name} is not a Swagger 2.0 document")
        self.document = document
        self.name = name
        self.base_path = str(document.get("basePath") or "").rstrip("/")
        self.operations: dict[str, Operation] = {}
        spec_consumes = tuple(document.get("consumes") or ("application/json",))
        for template, item in document["paths"].items():
            shared = [self._deref(p) for p in item.get("parameters", [])]
            for method in _METHODS:
                op = item.get(method)
                if op is None:
                    continue
                own = [self._deref(p) for p in op.get("parameters", [])]
                names = {(p["in"], p["name"]) for p in own}
                merged = [p for p in shared if (p["in"], p["name"]) not in names] + own
                self.operations[op["operationId"]] = Operation(
                    operation_id=op["operationId"],
                    method=method.upper(),
                    template=self.base_path + template,
                    parameters=tuple(merged),
                    consumes=tuple(op.get("consumes") or spec_consumes),
                )

    @staticmethod
    @cache
    def load(path: Path) -> SwaggerSpec:
        """Load (and cache) a spec file."""
        return SwaggerSpec(json.loads(Path(path).read_text(encoding="utf-8")), name=Path(path).name)

    def _deref(self, node: Mapping[str, Any]) -> Mapping[str, Any]:
        ref = node.get("$ref")
        if not ref:
            return node
        target: Any = self.document
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        return self._deref(target)

    def body_validator(self, schema: Mapping[str, Any]) -> Draft4Validator:
        """A validator for ``schema`` with this spec's ``#/definitions`` resolvable."""
        full = {**schema, "definitions": self.document.get("definitions", {})}
        return Draft4Validator(full, format_checker=_FORMATS)

    def find(self, method: str, path: str) -> Operation | None:
        """The operation that serves ``method path`` (literal segments beat parameters)."""
        candidates = [
            op
            for op in self.operations.values()
            if op.method == method.upper() and op.matches(path) is not None
        ]
        candidates.sort(key=lambda op: op.template.count("{"))
        return candidates[0] if candidates else None

    # --- validation ------------------------------------------------------------------------

    def validate(self, request: RecordedRequest, operation_id: str | None = None) -> list[str]:
        """Every way ``request`` breaks the spec, one sentence each (empty list = valid)."""
        where = f"{request.method} {request.path}"
        if operation_id is not None:
            op = self.operations.get(operation_id)
            if op is None:
                return [f"{self.name} has no operation {operation_id!r}"]
            if op.method != request.method.upper():
                return [f"{where}: {operation_id} is {op.method}, not {request.method}"]
        else:
            found = self.find(request.method, request.path)
            if found is None:
                return [f"{where}: no operation of {self.name} serves this method and path"]
            op = found
        path_values = op.matches(request.path)
        if path_values is None:
            return [f"{where}: path does not match {op.operation_id} ({op.template})"]
        problems: list[str] = []
        declared = {(p["in"], p["name"]) for p in op.parameters}
        for name in request.query:
            if ("query", name) not in declared:
                problems.append(f"{op.operation_id}: query parameter {name!r} is not declared")
        for param in op.parameters:
            problems += self._check_parameter(op, param, request, path_values)
        problems += self._check_body(op, request)
        return problems

    def assert_valid(self, request: RecordedRequest, operation_id: str | None = None) -> str:
        """Raise AssertionError listing every problem; return the operationId that matched."""
        problems = self.validate(request, operation_id)
        if problems:
            raise AssertionError(
                f"{request.method} {request.path} breaks {self.name}:\n  " + "\n  ".join(problems)
            )
        if operation_id is not None:
            return operation_id
        found = self.find(request.method, request.path)
        assert found is not None
        return found.operation_id

    def _check_parameter(
        self,
        op: Operation,
        param: Mapping[str, Any],
        request: RecordedRequest,
        path_values: Mapping[str, str],
    ) -> list[str]:
        location, name = param["in"], param["name"]
        label = f"{op.operation_id}: {location} parameter {name!r}"
        values: Sequence[str] | None
        if location == "query":
            values = request.query.get(name)
        elif location == "path":
            values = [path_values[name]] if name in path_values else None
        elif location == "header":
            header = request.headers.get(name.lower())
            values = [header] if header is not None else None
        else:
            return []  # body handled separately; formData unused by these specs
        if not values:
            return [f"{label} is required but missing"] if param.get("required") else []
        if param.get("type") == "array":
            return _check_array(label, param, values)
        if len(values) > 1:
            return [f"{label} is given {len(values)} times but is not an array"]
        return _check_scalar(label, param, values[0])

    def _check_body(self, op: Operation, request: RecordedRequest) -> list[str]:
        body_params = [p for p in op.parameters if p["in"] == "body"]
        if not body_params:
            if request.raw_body:
                return [f"{op.operation_id}: takes no body but one was sent"]
            return []
        param = body_params[0]
        if not request.raw_body:
            return (
                [f"{op.operation_id}: body is required but missing"]
                if param.get("required")
                else []
            )
        if isinstance(request.body, bytes):
            return [f"{op.operation_id}: body is not JSON"]
        problems: list[str] = []
        content_type = request.headers.get("content-type", "").split(";")[0].strip()
        if content_type not in op.consumes:
            problems.append(
                f"{op.operation_id}: content-type {content_type!r} is not one of {op.consumes}"
            )
        validator = self.body_validator(param["schema"])
        for error in sorted(validator.iter_errors(request.body), key=lambda e: list(e.path)):
            where = "body" + "".join(f"[{p!r}]" for p in error.absolute_path)
            problems.append(f"{op.operation_id}: {where}: {error.message}")
        return problems


def _check_array(label: str, param: Mapping[str, Any], values: Sequence[str]) -> list[str]:
    fmt = param.get("collectionFormat", "csv")
    separators = {"csv": ",", "ssv": " ", "tsv": "\t", "pipes": "|"}
    if fmt == "multi":
        items = list(values)
    else:
        if len(values) > 1:
            return [f"{label} is repeated {len(values)} times; collectionFormat {fmt} joins items"]
        items = values[0].split(separators[fmt]) if values[0] != "" else []
    problems: list[str] = []
    if "maxItems" in param and len(items) > param["maxItems"]:
        problems.append(f"{label} has {len(items)} items, more than maxItems {param['maxItems']}")
    if "minItems" in param and len(items) < param["minItems"]:
        problems.append(f"{label} has {len(items)} items, fewer than minItems {param['minItems']}")
    item_schema = {"type": "string", **param.get("items", {})}
    for index, item in enumerate(items):
        problems += _check_scalar(f"{label}[{index}]", item_schema, item)
    return problems


def _check_scalar(label: str, schema: Mapping[str, Any], raw: str) -> list[str]:
    kind = schema.get("type", "string")
    value: Any = raw
    if kind == "integer":
        if not re.fullmatch(r"-?\d+", raw):
            return [f"{label}: {raw!r} is not an integer"]
        value = int(raw)
    elif kind == "number":
        try:
            value = float(raw)
        except ValueError:
            return [f"{label}: {raw!r} is not a number"]
    elif kind == "boolean":
        if raw not in ("true", "false"):
            return [f"{label}: {raw!r} is not true or false"]
        value = raw == "true"
    problems: list[str] = []
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{label}: {raw!r} is not one of {schema['enum']}")
    if "minimum" in schema and value < schema["minimum"]:
        problems.append(f"{label}: {raw!r} is below the minimum {schema['minimum']}")
    if "maximum" in schema and value > schema["maximum"]:
        problems.append(f"{label}: {raw!r} is above the maximum {schema['maximum']}")
    if schema.get("format") == "date-time" and not _is_datetime(raw):
        problems.append(f"{label}: {raw!r} is not an ISO 8601 date-time with a timezone")
    return problems


def _is_datetime(raw: str) -> bool:
    if not _FORMATS.conforms(raw, "date-time"):
        return False
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00")).tzinfo is not None
    except ValueError:
        return False


# --- JSON_LISTINGS_FEED ----------------------------------------------------------------------


@cache
def _feed_validator(schema_path: Path) -> Draft7Validator:
    schema = json.loads(Path(schema_path).read_text(encoding="utf-8"))
    return Draft7Validator(schema, format_checker=_FORMATS)


def validate_listings_feed(document: Any, schema_path: Path) -> list[str]:
    """Every way a JSON_LISTINGS_FEED document breaks ``listings-feed-schema-v2.json``."""
    validator = _feed_validator(Path(schema_path))
    problems = []
    for error in validator.iter_errors(document):
        where = "".join(f"[{p!r}]" for p in error.absolute_path) or "(document)"
        problems.append(f"feed{where}: {error.message}")
    return problems


def validate_json_document(document: Any, schema_path: Path) -> list[str]:
    """Validate any JSON document against a Draft 7 JSON schema file (processing reports)."""
    return validate_listings_feed(document, schema_path)


class SpecSet:
    """Several specs served from one host (Amazon: orders, listings, feeds, tokens, ...)."""

    def __init__(self, specs: Iterable[SwaggerSpec]) -> None:
        self.specs = tuple(specs)

    @classmethod
    def load(cls, paths: Iterable[Path]) -> SpecSet:
        return cls(SwaggerSpec.load(Path(p)) for p in paths)

    def spec_for(self, request: RecordedRequest) -> SwaggerSpec | None:
        """The spec with an operation serving the request's method and path."""
        for spec in self.specs:
            if spec.find(request.method, request.path) is not None:
                return spec
        return None

    def validate(self, request: RecordedRequest) -> list[str]:
        spec = self.spec_for(request)
        if spec is None:
            names = ", ".join(s.name for s in self.specs)
            return [f"{request.method} {request.path}: no operation in {names} serves it"]
        return spec.validate(request)

    def assert_valid(self, request: RecordedRequest) -> str:
        """Raise AssertionError with every problem; return the operationId that matched."""
        spec = self.spec_for(request)
        if spec is None:
            raise AssertionError("\n".join(self.validate(request)))
        return spec.assert_valid(request)

    def assert_all_valid(self, requests: Iterable[RecordedRequest]) -> list[str]:
        """Assert every request validates; return the matched operationIds in order."""
        return [self.assert_valid(request) for request in requests]
