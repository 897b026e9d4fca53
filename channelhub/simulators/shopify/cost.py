"""Shopify's calculated query cost and the leaky bucket it is charged against.

Cost rules (shopify.dev, GraphQL Admin API rate limits): scalars and enums 0, objects 1,
connections 2 + ``first`` x the cost of one node, mutations 10. A query may cost at most
1000; the bucket (default 2000 points, restoring 100/s, the Standard plan) must hold the
*requested* cost, and the *actual* cost (what was really returned) is charged.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_leaf_type,
    value_from_ast_untyped,
)

MAX_QUERY_COST = 1000
MUTATION_COST = 10


def _argument(node: FieldNode, name: str, variables: Mapping[str, Any]) -> Any:
    for arg in node.arguments or ():
        if arg.name.value == name:
            if isinstance(arg.value, VariableNode):
                return variables.get(arg.value.name.value)
            return value_from_ast_untyped(arg.value, dict(variables))
    return None


def _is_list(type_: Any) -> bool:
    inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    return isinstance(inner, GraphQLList)


@dataclass
class _Coster:
    schema: GraphQLSchema
    fragments: Mapping[str, FragmentDefinitionNode]
    variables: Mapping[str, Any]

    def selection(self, selection_set: SelectionSetNode | None, parent: Any) -> int:
        if selection_set is None:
            return 0
        total = 0
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                total += self.field(sel, parent)
            elif isinstance(sel, InlineFragmentNode):
                cond = sel.type_condition
                target = self.schema.get_type(cond.name.value) if cond else parent
                total += self.selection(sel.selection_set, target)
            elif isinstance(sel, FragmentSpreadNode):
                fragment = self.fragments[sel.name.value]
                target = self.schema.get_type(fragment.type_condition.name.value)
                total += self.selection(fragment.selection_set, target)
        return total

    def field(self, node: FieldNode, parent: Any) -> int:
        fields = getattr(parent, "fields", {})
        definition = fields.get(node.name.value)
        if definition is None:
            return 0  # __typename and friends
        named = get_named_type(definition.type)
        if is_leaf_type(named):
            return 0
        if named.name.endswith("Connection"):
            first = _argument(node, "first", self.variables) or _argument(
                node, "last", self.variables
            )
            per_node = page_info = 0
            for sel in node.selection_set.selections if node.selection_set else ():
                one = SelectionSetNode(selections=(sel,))
                if isinstance(sel, FieldNode) and sel.name.value == "pageInfo":
                    page_info += self.selection(one, named)
                else:
                    per_node += self.selection(one, named)
            return 2 + int(first or 0) * per_node + page_info
        children = self.selection(node.selection_set, named)
        if node.name.value == "nodes" and parent is self.schema.query_type:
            ids = _argument(node, "ids", self.variables) or []
            return len(ids) * (1 + children)
        if named.name.endswith("Edge"):
            return children
        if _is_list(definition.type):
            first = _argument(node, "first", self.variables)
            return int(first or 1) * (1 + children)
        return 1 + children


def requested_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
) -> int:
    """The most this operation could cost, computed before running it."""
    if operation.operation is OperationType.MUTATION:
        return MUTATION_COST
    coster = _Coster(schema, fragments, variables)
    return coster.selection(operation.selection_set, schema.query_type)


def actual_cost(data: Any, *, mutation: bool) -> int:
    """What a result really cost: one point per object returned (mutations: flat 10)."""
    if mutation:
        return MUTATION_COST

    def count(value: Any) -> int:
        if isinstance(value, dict):
            own = 2 if "pageInfo" in value else 1
            return own + sum(count(v) for v in value.values())
        if isinstance(value, list):
            return sum(count(v) for v in value)
        return 0

    return max(count(data) - 1, 1) if isinstance(data, dict) else 1


@dataclass
class CostBucket:
    """The leaky bucket of one app on one shop."""

    maximum: float = 2000.0
    restore_rate: float = 100.0
    clock: Callable[[], float] = field(default=lambda: 0.0)
    _available: float = field(init=False)
    _at: float = field(init=False)

    def __post_init__(self) -> None:
        self._available = self.maximum
        self._at = self.clock()

    def available(self) -> float:
        now = self.clock()
        self._available = min(self.maximum, self._available + (now - self._at) * self.restore_rate)
        self._at = now
        return self._available

    def charge(self, points: float) -> None:
        self.available()
        self._available = max(self._available - points, 0.0)

    def drain(self) -> None:
        """Empty the bucket (a fault switch: the next costly call is throttled)."""
        self.available()
        self._available = 0.0

    def status(self) -> dict[str, float]:
        return {
            "maximumAvailable": self.maximum,
            "currentlyAvailable": math.floor(self.available()),  # whole points, never more
            "restoreRate": self.restore_rate,
        }
