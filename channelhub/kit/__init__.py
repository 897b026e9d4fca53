"""The connector kit's scaffolding: ``channelhub new-connector NAME`` writes a plugin package.

The template (``template/*.tmpl``) is a whole, working sales-channel plugin: pure mapping,
connector on the hub's HTTP client, a seeded simulator, the conformance harness and its test.
It passes ``channelhub.testing`` as written, so a new connector starts green and its author
replaces the stub platform with the real one piece by piece. ``examples/plugin-tinyshop`` is
this template rendered for ``tinyshop`` (a test keeps the two the same).
"""

from __future__ import annotations

import keyword
import re
from pathlib import Path

from channelhub.core.errors import InvalidInput

TEMPLATE = Path(__file__).with_name("template")
_NAME = re.compile(r"[a-z][a-z0-9_]{1,30}")


def render(text: str, name: str) -> str:
    """``text`` with the template's placeholders filled for platform ``name``."""
    class_prefix = "".join(part.capitalize() for part in name.split("_"))
    return text.replace("{{Name}}", class_prefix).replace("{{name}}", name)


def check_name(name: str) -> str:
    """A platform name usable as a Python package suffix and entry-point name."""
    if not _NAME.fullmatch(name) or keyword.iskeyword(name):
        raise InvalidInput.field(
            "NAME", name, "is not a platform name (lowercase letters, digits, _; 2-31 long)"
        )
    return name


def planned_files(name: str) -> dict[Path, str]:
    """Relative path -> content of every file the package holds."""
    files: dict[Path, str] = {}
    for source in sorted(TEMPLATE.rglob("*.tmpl")):
        relative = source.relative_to(TEMPLATE).with_suffix("")
        target = Path(str(relative).replace("__name__", name))
        files[target] = render(source.read_text(encoding="utf-8"), name)
    return files


def scaffold(name: str, destination: Path) -> list[Path]:
    """Write the plugin package for ``name`` into ``destination`` (which must not exist or be
    empty); returns the files written."""
    check_name(name)
    if destination.exists() and any(destination.iterdir()):
        raise InvalidInput.field("--dir", str(destination), "exists and is not empty")
    written: list[Path] = []
    for relative, content in planned_files(name).items():
        path = destination / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        written.append(path)
    return written
