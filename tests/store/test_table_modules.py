"""A command loads only the table modules it uses, so each module must stand on its own.

``channelhub.store.tables`` imports no table; a table module imports the modules its foreign
keys point into. Were one missing, a command loading that module alone would fail at its
first flush (SQLAlchemy resolves every foreign key of a table it sorts), while the tests,
which load every table, would pass: hence this check of the imports themselves.
"""

from __future__ import annotations

import ast
from pathlib import Path

from channelhub.store.base import Base
from channelhub.store.tables import TABLE_MODULES, hub_metadata

TABLES = Path(__file__).resolve().parents[2] / "channelhub" / "store" / "tables"
PACKAGE = "channelhub.store.tables"


def _table_imports(module: str) -> set[str]:
    """The table modules ``module`` imports itself (any spelling of the import)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse((TABLES / f"{module}.py").read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module == PACKAGE:
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PACKAGE + "."):
            found.add(node.module.removeprefix(PACKAGE + "."))  # type: ignore[union-attr]
        elif isinstance(node, ast.Import):
            found |= {
                a.name.removeprefix(PACKAGE + ".")
                for a in node.names
                if a.name.startswith(PACKAGE + ".")
            }
    return found


def _loaded_with(module: str) -> set[str]:
    """Every table module importing ``module`` alone loads (itself included)."""
    loaded, todo = set(), [module]
    while todo:
        name = todo.pop()
        if name not in loaded:
            loaded.add(name)
            todo.extend(_table_imports(name))
    return loaded


def test_every_table_module_is_listed() -> None:
    on_disk = {p.stem for p in TABLES.glob("*.py") if p.stem != "__init__"}
    assert set(TABLE_MODULES) == on_disk


def test_each_table_module_loads_what_its_foreign_keys_point_to() -> None:
    hub_metadata()
    owner = {
        m.local_table.name: m.class_.__module__.removeprefix(PACKAGE + ".")
        for m in Base.registry.mappers
    }
    missing = [
        f"{owner[table.name]}.{table.name} -> {owner[fk.column.table.name]}"
        for table in hub_metadata().tables.values()
        for fk in table.foreign_keys
        if owner[fk.column.table.name] not in _loaded_with(owner[table.name])
    ]
    assert missing == []
