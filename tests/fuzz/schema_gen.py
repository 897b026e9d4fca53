"""Documents generated from a published response schema (Swagger 2 / OpenAPI 3 subset).

hypothesis-jsonschema would be the library for this, but its 0.23 release does not run on the
hypothesis this project pins (it calls internals that moved), and the vendored specs use
OpenAPI's dialect (``nullable``, ``x-`` keys, Swagger ``definitions``) rather than plain JSON
Schema. This walker is enough for fuzzing: it follows ``$ref``, ``allOf``, ``properties``,
``items`` and ``enum``, writes plausible values most of the time and hostile ones otherwise,
seeded by a ``random.Random`` so the same seed gives the same document.
"""

from __future__ import annotations

import random
from typing import Any

from tests.fuzz.mutate import HOSTILE

_PLAUSIBLE_STRINGS = ("A1", "USD", "SAR", "EUR", "12.50", "0", "3", "ok", "B08N5WRWNW", "")
_TIMES = ("2026-01-15T10:00:00Z", "2026-01-15T10:00:00.000Z", "2025-12-31T23:59:59+03:00")


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    seen = 0
    while "$ref" in schema and seen < 20:
        parts = schema["$ref"].removeprefix("#/").split("/")
        node: Any = root
        for part in parts:
            node = node[part.replace("~1", "/").replace("~0", "~")]
        schema = node
        seen += 1
    return schema


def generate(
    schema: dict[str, Any], root: dict[str, Any], rng: random.Random, depth: int = 0
) -> Any:
    """One value for ``schema`` (``root`` holds the definitions its ``$ref`` point into)."""
    schema = _resolve(schema, root)
    if rng.random() < 0.03:
        return rng.choice(HOSTILE)
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = generate(part, root, rng, depth)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    for key in ("oneOf", "anyOf"):
        if key in schema:
            return generate(rng.choice(schema[key]), root, rng, depth)
    if "enum" in schema:
        return rng.choice(schema["enum"])
    kind = schema.get("type") or ("object" if "properties" in schema else "string")
    if kind == "object":
        if depth > 8:
            return {}
        required = set(schema.get("required", ()))
        return {
            name: generate(sub, root, rng, depth + 1)
            for name, sub in schema.get("properties", {}).items()
            if name in required or rng.random() < 0.8
        }
    if kind == "array":
        if depth > 8:
            return []
        return [
            generate(schema.get("items", {}), root, rng, depth + 1)
            for _ in range(rng.choice((0, 1, 1, 2, 3)))
        ]
    if kind == "integer":
        return rng.choice((0, 1, 2, 5, 10, rng.randint(-5, 100_000)))
    if kind == "number":
        return rng.choice((0, 1, 2.5, 12.5, rng.randint(0, 1000)))
    if kind == "boolean":
        return rng.random() < 0.5
    if schema.get("format") == "date-time":
        return rng.choice(_TIMES)
    return rng.choice(_PLAUSIBLE_STRINGS)
