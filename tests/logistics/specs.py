"""Load the carrier and WMS contracts and validate instances against their component schemas."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema.exceptions import ValidationError
from openapi_schema_validator import OAS30Validator, OAS31Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.contracts import contract_file

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = REPO_ROOT / "examples"


@cache
def ups_spec(name: str) -> dict[str, Any]:
    """A UPS YAML contract. Tracking.yaml holds a tab in a blank default: YAML forbids it."""
    text = contract_file("carriers", "ups", name).read_text().replace("\t", " ")
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


def _ref_siblings_dropped(node: Any) -> Any:
    """OpenAPI 3.0 ignores the siblings of ``$ref``; ShipBob's generator also writes
    ``additionalProperties: false`` on every schema, including ``oneOf`` wrappers that
    declare no ``properties`` of their own. A JSON Schema validator would apply both and
    refuse every object, so the ``$ref`` siblings and the property-less
    ``additionalProperties: false`` are dropped; schemas that list their properties keep it."""
    if isinstance(node, dict):
        if "$ref" in node:
            return {"$ref": node["$ref"]}
        cleaned = {k: _ref_siblings_dropped(v) for k, v in node.items()}
        if cleaned.get("additionalProperties") is False and "properties" not in cleaned:
            del cleaned["additionalProperties"]
        return cleaned
    if isinstance(node, list):
        return [_ref_siblings_dropped(v) for v in node]
    return node


@cache
def shipbob_spec() -> dict[str, Any]:
    """The ShipBob 2026-01 spec with OpenAPI 3.0 ``$ref`` semantics applied."""
    raw = json.loads(contract_file("wms", "shipbob", "openapi-2026-01.json").read_text())
    cleaned: dict[str, Any] = _ref_siblings_dropped(raw)
    # A schema extended through ``allOf`` cannot be closed: the extension's own properties
    # would be "additional" to it. ShipBob's generator closes its allOf bases anyway.
    schemas = cleaned["components"]["schemas"]
    for schema in list(schemas.values()):
        for part in (p for p in schema.get("allOf", []) if "$ref" in p):
            base = schemas[part["$ref"].rsplit("/", 1)[1]]
            base.pop("additionalProperties", None)
    return cleaned


def schema_errors(spec: dict[str, Any], schema_name: str, instance: object) -> list[str]:
    """Every violation of ``#/components/schemas/<schema_name>`` by ``instance``."""
    resource = Resource.from_contents(spec, default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource("urn:spec", resource)
    validator_cls = OAS31Validator if str(spec["openapi"]).startswith("3.1") else OAS30Validator
    validator = validator_cls(
        {"$ref": f"urn:spec#/components/schemas/{schema_name}"}, registry=registry
    )
    errors: list[ValidationError] = list(validator.iter_errors(instance))
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]


def example(*parts: str) -> Any:
    return json.loads(EXAMPLES.joinpath(*parts).read_text())
