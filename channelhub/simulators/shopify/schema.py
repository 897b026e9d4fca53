"""The published Shopify Admin schema (2025-01) the simulator validates every request with.

It is read from ``shared/contracts/shopify`` beside the repository (or ``CHANNELHUB_CONTRACTS``).
The published introspection carries two deprecation inconsistencies that graphql-core's
schema check rejects although they do not affect documents; exactly those are tolerated.
"""

from __future__ import annotations

import gzip
import json
import os
from functools import cache
from pathlib import Path

from graphql import GraphQLSchema, build_client_schema, validate_schema

from channelhub.core.errors import ConfigError

SCHEMA_FILE = Path("shopify") / "admin_schema_2025-01.json.gz"
_TOLERATED = "must not be deprecated."


def _candidates() -> list[Path]:
    override = os.environ.get("CHANNELHUB_CONTRACTS")
    repo = Path(__file__).resolve().parents[3]
    found = [Path(override)] if override else []
    return [*found, repo.parent / "shared" / "contracts", repo / "shared" / "contracts"]


def schema_path() -> Path:
    """Where the schema file is; ConfigError naming the places looked at when it is absent."""
    for folder in _candidates():
        if (folder / SCHEMA_FILE).is_file():
            return folder / SCHEMA_FILE
    looked = ", ".join(str(p / SCHEMA_FILE) for p in _candidates())
    raise ConfigError(
        f"the Shopify Admin schema was not found (looked at {looked}); "
        "set CHANNELHUB_CONTRACTS to the contracts folder"
    )


@cache
def load_admin_schema(path: Path | None = None) -> GraphQLSchema:
    """Build the schema once per process from the gzipped introspection result."""
    with gzip.open(path or schema_path(), "rt", encoding="utf-8") as handle:
        schema = build_client_schema(json.load(handle)["data"])
    problems = [e.message for e in validate_schema(schema) if not e.message.endswith(_TOLERATED)]
    if problems:
        raise ConfigError(f"the Shopify Admin schema has unexpected problems: {problems[:3]}")
    schema._validation_errors = []  # only the tolerated deprecation notes (checked above)
    return schema
