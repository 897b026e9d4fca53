"""Bulk query operations of the simulated shop (2025-01): run, state, JSONL file, webhook.

``bulkOperationRunQuery(query:)`` validates the inner document against the schema and
Shopify's bulk rules (one top-level connection field, not ``node``/``nodes``; at most five
connections, nested at most two deep; connections read without ``first``; a node with a
nested connection selects ``id``), refuses a second query while one runs
(``OPERATION_IN_PROGRESS``), then executes it over the shop and writes the JSONL file: each
connection node on its own line, nested connections' nodes on lines of their own with
``__parentId``, a parent before its children. The file is served by the simulator app at an
ABSOLUTE URL (``/storage/bulk/<id>.jsonl`` under the served or configured base URL).

Time is the simulator's injected clock, never a sleep: an operation is RUNNING until
``duration`` has passed since it was created, then COMPLETED (or FAILED when a fault was
queued), and EXPIRED seven days after completion (its file then answers 403). Once it
finishes, ``BULK_OPERATIONS_FINISH`` goes to the subscribed addresses.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO, Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    execute_sync,
    get_named_type,
    parse,
    validate,
)
from graphql.type import GraphQLNamedType

from channelhub.simulators.shopify.graph import field_resolver, query_root, unbounded
from channelhub.simulators.shopify.seed import ShopData, gid, iso

MAX_CONNECTIONS = 5
MAX_DEPTH = 2
URL_LIFETIME = timedelta(days=7)
CHUNK = 2000  # root objects executed at a time (the file is written as it goes)
FINISHED = {"COMPLETED", "FAILED", "CANCELED", "EXPIRED"}


def bulk_problems(schema: GraphQLSchema, document: DocumentNode) -> list[str]:
    """Why Shopify would refuse this bulk query (empty: it runs)."""
    problems = [e.message for e in validate(schema, document)]
    if problems:
        return problems
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1 or operations[0].operation is not OperationType.QUERY:
        return ["Bulk queries must contain exactly one query operation"]
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    roots = [s for s in operations[0].selection_set.selections if isinstance(s, FieldNode)]
    if len(roots) != 1 or len(operations[0].selection_set.selections) != 1:
        return ["Bulk queries must select exactly one top-level field"]
    if roots[0].name.value in {"node", "nodes"}:
        return ["The top-level `node` and `nodes` fields cannot be used in bulk queries"]
    counter = _Connections(schema, fragments)
    query_type = schema.query_type
    assert query_type is not None
    counter.walk(operations[0].selection_set, query_type, 0, "")
    if counter.count == 0:
        counter.problems.append("Bulk queries must contain at least one connection")
    if counter.count > MAX_CONNECTIONS:
        counter.problems.append(
            f"Bulk queries cannot contain more than {MAX_CONNECTIONS} connections"
        )
    return counter.problems


@dataclass
class _Connections:
    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    count: int = 0
    problems: list[str] = field(default_factory=list)

    def _fields(self, selections: SelectionSetNode, parent: Any) -> Iterator[FieldNode]:
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                yield selection
            elif isinstance(selection, InlineFragmentNode | FragmentSpreadNode):
                inner = (
                    selection.selection_set
                    if isinstance(selection, InlineFragmentNode)
                    else self.fragments[selection.name.value].selection_set
                )
                yield from self._fields(inner, parent)

    def walk(self, selections: SelectionSetNode, parent: Any, depth: int, path: str) -> None:
        names = {f.name.value for f in self._fields(selections, parent)}
        for node in self._fields(selections, parent):
            name = node.name.value
            fields = getattr(parent, "fields", {})
            if name not in fields or node.selection_set is None:
                continue  # __typename, or a scalar
            named: GraphQLNamedType = get_named_type(fields[name].type)
            here = depth
            if named.name.endswith("Connection"):
                self.count += 1
                here = depth + 1
                if here > MAX_DEPTH:
                    self.problems.append(
                        f"Bulk queries cannot contain connections nested more than {MAX_DEPTH} "
                        f"levels deep ({path}{name})"
                    )
                if depth > 0 and "id" not in names:
                    self.problems.append(
                        f"A node with a nested connection must select `id` ({path}{name})"
                    )
            target = self.schema.get_type(named.name)
            self.walk(node.selection_set, target, here, f"{path}{name}.")


@dataclass
class Operation:
    """One bulk operation and its file (a temporary file, written when it runs)."""

    number: str
    query: str
    created: datetime
    fail: bool
    file: IO[bytes] | None = None
    objects: int = 0
    roots: int = 0
    size: int = 0
    notified: bool = False


@dataclass
class BulkQueries:
    """The shop's bulk query operations."""

    data: ShopData
    schema: GraphQLSchema
    now: Callable[[], datetime]
    duration: timedelta = timedelta(0)
    base_url: str | None = None  # None: the base URL the requests arrive on
    operations: dict[str, Operation] = field(default_factory=dict)
    fail_next: list[str] = field(default_factory=list)  # queued: ["failed"]

    # --- state by the clock ----------------------------------------------------------------

    def status(self, op: Operation) -> str:
        now = self.now()
        done = op.created + self.duration
        if now < done:
            return "RUNNING"
        if op.fail:
            return "FAILED"
        return "EXPIRED" if now >= done + URL_LIFETIME else "COMPLETED"

    def url(self, op: Operation) -> str:
        base = (self.base_url or "http://shopify-simulator.invalid").rstrip("/")
        return f"{base}/storage/bulk/{op.number}.jsonl"

    def render(self, op: Operation) -> dict[str, Any]:
        status = self.status(op)
        completed = status in FINISHED
        return {
            "__typename": "BulkOperation",
            "id": gid("BulkOperation", op.number),
            "status": status,
            "type": "QUERY",
            "query": op.query,
            "createdAt": iso(op.created),
            "completedAt": iso(op.created + self.duration) if completed else None,
            "errorCode": "INTERNAL_SERVER_ERROR" if status == "FAILED" else None,
            "objectCount": str(op.objects if completed else op.objects // 2),
            "rootObjectCount": str(op.roots if completed else op.roots // 2),
            "fileSize": str(op.size) if status == "COMPLETED" and op.objects else None,
            "url": self.url(op) if status == "COMPLETED" and op.objects else None,
            "partialDataUrl": self.url(op) if status == "FAILED" and op.objects else None,
        }

    def current(self) -> Operation | None:
        return self.operations[max(self.operations, key=int)] if self.operations else None

    # --- GraphQL root fields ---------------------------------------------------------------

    def query_fields(self) -> dict[str, Any]:
        def current(info: Any, **args: Any) -> dict[str, Any] | None:
            found = self.current()
            return None if found is None or args.get("type") == "MUTATION" else self.render(found)

        def node(info: Any, **args: Any) -> dict[str, Any] | None:
            kind, ident = str(args["id"]).split("/")[-2:]
            found = self.operations.get(ident) if kind == "BulkOperation" else None
            return None if found is None else self.render(found)

        return {"currentBulkOperation": current, "node": node}

    def mutation_fields(self) -> dict[str, Any]:
        def run(info: Any, **args: Any) -> dict[str, Any]:
            running = self.current()
            if running is not None and self.status(running) == "RUNNING":
                return _refused(
                    "OPERATION_IN_PROGRESS",
                    "A bulk query operation for this app and shop is already in progress: "
                    f"{gid('BulkOperation', running.number)}.",
                )
            try:
                document = parse(args["query"])
            except GraphQLError as exc:
                return _refused("INVALID", f"Invalid bulk query: {exc.message}")
            problems = bulk_problems(self.schema, document)
            if problems:
                return _refused("INVALID", "Invalid bulk query: " + "; ".join(problems))
            op = Operation(
                number=str(self.data.new_id()),
                query=args["query"],
                created=self.now(),
                fail=bool(self.fail_next and self.fail_next.pop(0) == "failed"),
            )
            self._execute(op, document)
            self.operations[op.number] = op
            # as Shopify answers: just CREATED, whatever happens next (a poll sees the rest)
            created = {**self.render(op), "status": "CREATED", "completedAt": None}
            created.update(objectCount="0", rootObjectCount="0", url=None, fileSize=None)
            return {"bulkOperation": {**created, "partialDataUrl": None}, "userErrors": []}

        return {"bulkOperationRunQuery": run}

    # --- running and the file --------------------------------------------------------------

    def _execute(self, op: Operation, document: DocumentNode) -> None:
        """Run the query chunk by chunk over the root connection, writing JSONL lines."""
        operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
        root_name = next(
            s.name.value for s in operation.selection_set.selections if isinstance(s, FieldNode)
        )
        root = query_root(self.data)
        original = root[root_name]
        after: list[str | None] = [None]
        more = [True]

        def paged(info: Any, **args: Any) -> Any:
            found = original(info, **{**args, "first": CHUNK, "after": after[0]})
            after[0] = found["pageInfo"]["endCursor"]
            more[0] = bool(found["pageInfo"]["hasNextPage"])
            return found

        handle: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - lives with the operation
        with unbounded():
            while more[0]:
                result = execute_sync(
                    self.schema,
                    document,
                    root_value={**root, root_name: paged},
                    field_resolver=field_resolver,
                )
                if result.errors:
                    raise ValueError(f"bulk query failed: {result.errors[0].message}")
                assert result.data is not None
                for value in result.data.values():
                    for line in _lines(value, None):
                        op.objects += 1
                        op.roots += 0 if "__parentId" in line else 1
                        handle.write(json.dumps(line, separators=(",", ":")).encode() + b"\n")
        op.size = handle.tell()
        if op.fail:  # a failed operation keeps what it wrote before failing (partialDataUrl)
            handle.truncate(op.size // 2)
        handle.seek(0)
        op.file = handle

    def download(self, number: str) -> tuple[int, Iterator[bytes]]:
        """The file's bytes (200), or 403 when the link expired / 404 when there is none."""
        op = self.operations.get(number)
        if op is None or op.file is None:
            return 404, iter([b"<Error><Code>NoSuchKey</Code></Error>"])
        status = self.status(op)
        if status == "EXPIRED":
            return 403, iter([b"<Error><Code>ExpiredToken</Code></Error>"])
        if status == "RUNNING":
            return 404, iter([b"<Error><Code>NoSuchKey</Code></Error>"])
        handle = op.file

        def chunks() -> Iterator[bytes]:
            handle.seek(0)
            while block := handle.read(1 << 16):
                yield block

        return 200, chunks()

    def due(self) -> list[dict[str, Any]]:
        """The finished operations not yet announced, as ``bulk_operations/finish`` bodies."""
        bodies = []
        for op in self.operations.values():
            status = self.status(op)
            if status in FINISHED and not op.notified:
                op.notified = True
                bodies.append(
                    {
                        "admin_graphql_api_id": gid("BulkOperation", op.number),
                        "completed_at": iso(op.created + self.duration),
                        "created_at": iso(op.created),
                        "error_code": "internal_server_error" if status == "FAILED" else None,
                        "status": status.lower(),
                        "type": "query",
                    }
                )
        return bodies


def _connection_nodes(value: object) -> list[Any] | None:
    """A connection's nodes (``edges { node }`` or ``nodes``), or None: not a connection."""
    if not isinstance(value, dict) or not ({"edges", "nodes"} & value.keys()):
        return None
    if not value.keys() <= {"edges", "nodes", "pageInfo"}:
        return None
    if isinstance(value.get("edges"), list):
        return [e.get("node") for e in value["edges"] if isinstance(e, dict)]
    return list(value.get("nodes") or [])


def _lines(value: object, parent: str | None) -> Iterator[dict[str, Any]]:
    """The JSONL rows of a connection: each node, then its nested connections' nodes."""
    for node in _connection_nodes(value) or []:
        if not isinstance(node, dict):
            continue
        row = {k: v for k, v in node.items() if _connection_nodes(v) is None}
        if parent is not None:
            row["__parentId"] = parent
        yield row
        for nested in node.values():
            if _connection_nodes(nested) is not None:
                yield from _lines(nested, node.get("id"))


def _refused(code: str, message: str) -> dict[str, Any]:
    error = {"__typename": "BulkOperationUserError", "code": code, "field": ["query"]}
    return {"bulkOperation": None, "userErrors": [{**error, "message": message}]}
