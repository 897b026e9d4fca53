"""What a GraphQL document will cost before it is sent: Shopify's *requested* query cost.

Shopify admits a query only when its cost bucket holds the requested cost (and refuses any
query requesting more than 1000 points), so the connector must know that figure in advance to
pace itself instead of collecting ``THROTTLED`` answers, and page sizes must be chosen so a
page stays under the single-query limit. The rules (shopify.dev, "GraphQL Admin API rate
limits"): scalars and enums cost 0, an object 1, a connection ``2 + first x`` the cost of one
node (its ``pageInfo`` object adds 1), a list read with ``first`` that many objects, a mutation
a flat 10.

This estimator needs no schema: in the documents channelhub sends a field with a selection
set is an object, one with ``first``/``last`` whose selection holds ``edges``/``nodes``/
``pageInfo`` is a connection, and ``nodes(ids:)`` at the root costs one object per id. The
simulator prices the same documents from the published schema; a test holds the two equal
for every document and page size used.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    parse,
    value_from_ast_untyped,
)

MAX_QUERY_COST = 1000  # Shopify refuses a single query requesting more (MAX_COST_EXCEEDED)
MUTATION_COST = 10
MAX_PAGE = 250  # Shopify's cap on ``first``
_CONNECTION_PARTS = frozenset({"edges", "nodes", "pageInfo"})


@cache
def _parsed(document: str) -> DocumentNode:
    return parse(document, no_location=True)


def _argument(node: FieldNode, name: str, variables: Mapping[str, Any]) -> Any:
    for arg in node.arguments or ():
        if arg.name.value == name:
            if isinstance(arg.value, VariableNode):
                return variables.get(arg.value.name.value)
            return value_from_ast_untyped(arg.value, dict(variables))
    return None


class _Pricer:
    def __init__(
        self, fragments: Mapping[str, FragmentDefinitionNode], variables: Mapping[str, Any]
    ) -> None:
        self.fragments = fragments
        self.variables = variables

    def selection(self, selection_set: SelectionSetNode | None, *, root: bool = False) -> int:
        if selection_set is None:
            return 0
        total = 0
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                total += self.field(sel, root=root)
            elif isinstance(sel, InlineFragmentNode):
                total += self.selection(sel.selection_set)
            elif isinstance(sel, FragmentSpreadNode):
                total += self.selection(self.fragments[sel.name.value].selection_set)
        return total

    def field(self, node: FieldNode, *, root: bool) -> int:
        if node.selection_set is None:
            return 0  # a scalar, an enum or a list of them
        name = node.name.value
        first = _argument(node, "first", self.variables) or _argument(node, "last", self.variables)
        children = [s for s in node.selection_set.selections if isinstance(s, FieldNode)]
        if first is not None and any(c.name.value in _CONNECTION_PARTS for c in children):
            per_node = page_info = 0
            for child in children:
                if child.name.value == "pageInfo":
                    page_info += 1
                elif child.name.value == "edges":  # an edge is free, its node is not
                    per_node += self.selection(child.selection_set)
                else:
                    per_node += self.field(child, root=False)
            return 2 + int(first) * per_node + page_info
        inner = self.selection(node.selection_set)
        if root and name == "nodes":
            ids = _argument(node, "ids", self.variables) or ()
            return len(ids) * (1 + inner)
        return int(first or 1) * (1 + inner)


def requested_cost(document: str, variables: Mapping[str, Any] | None = None) -> int:
    """The cost Shopify will request for ``document`` with ``variables`` (its first
    operation), which its bucket must hold before the query is admitted."""
    parsed = _parsed(document)
    operation = next(d for d in parsed.definitions if isinstance(d, OperationDefinitionNode))
    if operation.operation is OperationType.MUTATION:
        return MUTATION_COST
    fragments = {
        d.name.value: d for d in parsed.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return _Pricer(fragments, variables or {}).selection(operation.selection_set, root=True)


def largest_page(
    document: str, variable: str = "first", variables: Mapping[str, Any] | None = None
) -> int:
    """The largest value of ``variable`` (a page size, at most 250) whose requested cost stays
    within the single-query limit; 1 when even one item does not fit (Shopify then refuses)."""
    fixed = dict(variables or {})
    low, high = 1, MAX_PAGE  # the cost grows with the page size: bisect for the last fit
    while low < high:
        middle = (low + high + 1) // 2
        if requested_cost(document, {**fixed, variable: middle}) <= MAX_QUERY_COST:
            low = middle
        else:
            high = middle - 1
    return low
