"""The published Shopify Admin schema (2025-01) the simulator validates every request with.

The introspection result ships inside the package (``contract/``, with its SOURCE and licence
note) and is read with importlib.resources, so an installed wheel finds it as well as a
checkout does. The published introspection carries two deprecation inconsistencies that
graphql-core's schema check rejects although they do not affect documents; exactly those are
tolerated.
"""

from __future__ import annotations

import gzip
import json
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable

from graphql import GraphQLSchema, build_client_schema, validate_schema

from channelhub.core.errors import ConfigError

SCHEMA_NAME = "admin_schema_2025-01.json.gz"
_TOLERATED = "must not be deprecated."


def schema_resource() -> Traversable:
    """The packaged schema file (``channelhub/simulators/shopify/contract/``)."""
    return files(__package__ or "channelhub.simulators.shopify").joinpath("contract", SCHEMA_NAME)


@cache
def load_admin_schema() -> GraphQLSchema:
    """Build the schema once per process from the packaged, gzipped introspection result."""
    resource = schema_resource()
    if not resource.is_file():
        raise ConfigError(
            f"the Shopify Admin schema is missing from the installed package ({resource}); "
            "reinstall channelhub"
        )
    with resource.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as handle:
        schema = build_client_schema(json.load(handle)["data"])
    problems = [e.message for e in validate_schema(schema) if not e.message.endswith(_TOLERATED)]
    if problems:
        raise ConfigError(f"the Shopify Admin schema has unexpected problems: {problems[:3]}")
    schema._validation_errors = []  # only the tolerated deprecation notes (checked above)
    return schema
