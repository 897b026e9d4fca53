"""Validate GraphQL documents against Shopify's published Admin schema (2025-01).

``assert_valid(document)`` parses the document and runs graphql-core's validation rules
against the introspection result the package ships (channelhub/simulators/shopify/contract/,
loaded by ``load_admin_schema``); it fails the test with every error graphql-core reports.
The schema is built once per process.

The published schema carries two deprecation inconsistencies (an implementation field is
deprecated while its interface field is not) that graphql-core's *schema* check rejects; they
do not affect document validation, so exactly those are tolerated and anything else fails.
"""

from __future__ import annotations

import pytest
from graphql import GraphQLSchema, parse, validate
from graphql.error import GraphQLError

from channelhub.simulators.shopify.schema import load_admin_schema


def admin_schema() -> GraphQLSchema:
    """The 2025-01 Admin schema, built once from the packaged introspection result."""
    return load_admin_schema()


def errors(document: str) -> list[str]:
    """graphql-core's messages for ``document`` (syntax or validation); empty when valid."""
    try:
        ast = parse(document)
    except GraphQLError as exc:
        return [f"syntax: {exc.message}"]
    return [error.message for error in validate(admin_schema(), ast)]


def assert_valid(document: str) -> None:
    """Fail the calling test unless ``document`` is valid against the Admin schema."""
    found = errors(document)
    if found:
        pytest.fail("document is not valid against Shopify Admin 2025-01:\n" + "\n".join(found))


def request_errors(body: dict[str, object]) -> list[str]:
    """Problems with a whole request body ``{"query": ..., "variables": ...}``: the document
    against the schema and the variables against the document's variable definitions."""
    from graphql import OperationDefinitionNode
    from graphql.execution.values import get_variable_values

    document = body.get("query")
    if not isinstance(document, str):
        return ["query: is not a document"]
    found = errors(document)
    if found:
        return found
    variables = body.get("variables") or {}
    if not isinstance(variables, dict):
        return ["variables: is not an object"]
    operations = [d for d in parse(document).definitions if isinstance(d, OperationDefinitionNode)]
    coerced = get_variable_values(
        admin_schema(), operations[0].variable_definitions or (), variables
    )
    if isinstance(coerced, list):
        return [error.message for error in coerced]
    return []


def assert_valid_request(body: dict[str, object]) -> None:
    """Fail the calling test unless the request body's document and variables are valid."""
    found = request_errors(body)
    if found:
        pytest.fail("request is not valid against Shopify Admin 2025-01:\n" + "\n".join(found))
