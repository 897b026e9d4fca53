"""The layout of DESIGN.md holds: imports point inward only.

cli, api, jobs -> connectors, store -> mappings -> core. ``core`` imports nothing of ours,
a mapping does no I/O and a connector never imports the store.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "channelhub"

#: For each layer, the channelhub layers it may import (besides itself).
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "mappings": {"core"},
    "connectors": {"core", "mappings"},
    "store": {"core", "mappings"},
    "simulators": {"core", "mappings"},
    "jobs": {"core", "mappings", "connectors", "store"},
    "api": {"core", "mappings", "connectors", "store", "jobs"},
    "cli": {
        "core",
        "mappings",
        "connectors",
        "store",
        "jobs",
        "api",
        "simulators",
        "settings",
        "demo",
        "kit",
    },
    "demo": {"core", "mappings", "connectors", "store", "jobs", "api", "simulators", "settings"},
    "settings": {"core"},
    # the conformance suite: drives connectors against simulators (tests' code, shipped)
    "testing": {"core", "mappings", "connectors", "simulators"},
    # `channelhub new-connector`: writes a plugin package from its template
    "kit": {"core"},
}

#: Modules that do I/O: a pure layer must not import them.
IO_MODULES = {"httpx", "sqlalchemy", "socket", "requests", "urllib.request", "asyncio"}


def _layer(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py") if len(rel.parts) > 1 else rel.stem


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_inward(path: Path) -> None:
    layer = _layer(path)
    if layer == "__init__":
        return
    allowed = ALLOWED.get(layer)
    assert allowed is not None, f"{path}: layer {layer!r} is not in DESIGN.md's map"
    for name in _imports(path):
        parts = name.split(".")
        if parts[0] != "channelhub" or len(parts) < 2:
            continue
        target = parts[1]
        assert target == layer or target in allowed, f"{layer} must not import {name}"


@pytest.mark.parametrize(
    "path",
    [p for p in _modules() if _layer(p) in {"core", "mappings"}],
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_pure_layers_do_no_io(path: Path) -> None:
    for name in _imports(path):
        assert name.split(".")[0] not in IO_MODULES and name not in IO_MODULES, (
            f"{path.name} imports {name}: core and mappings are pure"
        )


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(path: Path) -> set[str]:
    """The channelhub modules ``path`` imports at run time, deferred imports included (only
    ``if TYPE_CHECKING:`` blocks are left out: they never execute)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_jobs_modules_import_no_circle() -> None:
    """``jobs/`` is organised by flow; no module reaches back to one that imports it, even
    through a deferred import (a circle hidden in a function is still a circle)."""
    paths = [p for p in _modules() if _layer(p) == "jobs"]
    known = {_module_name(p) for p in paths}
    graph = {
        _module_name(p): {m for m in _runtime_imports(p) if m in known} - {_module_name(p)}
        for p in paths
    }
    graph = {
        name: {d for d in deps if not name.startswith(d + ".")} for name, deps in graph.items()
    }

    def reaches(start: str, goal: str) -> bool:
        seen: set[str] = set()
        todo = [start]
        while todo:
            node = todo.pop()
            if node == goal:
                return True
            if node not in seen:
                seen.add(node)
                todo.extend(graph.get(node, ()))
        return False

    circles = sorted(f"{a} <-> {b}" for a, deps in graph.items() for b in deps if reaches(b, a))
    assert not circles, circles
