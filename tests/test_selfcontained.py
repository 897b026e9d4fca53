"""The repository is self-contained: nothing reads beside it, and what it vendors is accounted for.

A fresh clone (or an installed wheel) has nothing next to it, so code, tests and benches must
find every file they read inside the repository or the package. These tests keep it so.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from pathlib import Path, PurePosixPath

import channelhub
from channelhub.simulators.shopify.schema import load_admin_schema, schema_resource
from tests.contracts import CONTRACTS_DIR

REPO = Path(__file__).resolve().parents[1]
PACKAGE = Path(channelhub.__file__).resolve().parent
SHOPIFY_CONTRACT = PACKAGE / "simulators" / "shopify" / "contract"
NOTES = ("SOURCE.txt", "LICENSE-NOTE.txt")
_OWN = {"README.md", "SHA256SUMS"}

# Spelled in pieces so that this file does not match its own patterns.
_WORD = "sha" + "red"
_BESIDE = re.compile(
    "|".join(
        [
            "CHANNELHUB_" + "CONTRACTS",
            re.escape(f"../{_WORD}"),
            re.escape(f"{_WORD}/contracts"),
            f"[\"']{_WORD}[\"']",  # a path component, as in: parent / "<word>"
            f"{_WORD} (design )?folder",
        ]
    )
)


def _offences(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if _BESIDE.search(line)]


def test_the_detector_catches_the_old_ways_of_looking_beside_the_repo() -> None:
    assert _offences('    override = os.environ.get("CHANNELHUB_' + 'CONTRACTS")')
    assert _offences(f'    return [repo.parent / "{_WORD}" / "contracts"]')
    assert _offences(f"Contract facts (../{_WORD}/contracts/README.md)")
    assert _offences(f"See DESIGN.md in the {_WORD} folder")
    assert not _offences(f"the {_WORD} machinery every connector uses; contracts/ebay/")


def test_no_python_file_looks_beside_the_repository() -> None:
    found = {}
    for top in ("channelhub", "tests", "bench"):
        for path in sorted((REPO / top).rglob("*.py")):
            hits = _offences(path.read_text(encoding="utf-8"))
            if hits:
                found[str(path.relative_to(REPO))] = hits
    assert found == {}, "these refer to a folder beside the repository; use the vendored copies"


def _vendored() -> list[Path]:
    return sorted(
        p
        for p in CONTRACTS_DIR.rglob("*")
        if p.is_file() and not (p.parent == CONTRACTS_DIR and p.name in _OWN)
    )


def test_every_vendored_contract_is_listed_in_sha256sums_unmodified() -> None:
    listed = {}
    for line in (CONTRACTS_DIR / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, name = line.split(maxsplit=1)
        listed[name] = digest
    present = {p.relative_to(CONTRACTS_DIR).as_posix(): p for p in _vendored()}
    assert sorted(present) == sorted(listed)
    changed = [
        name
        for name, path in present.items()
        if hashlib.sha256(path.read_bytes()).hexdigest() != listed[name]
    ]
    assert changed == []


def test_every_vendored_folder_names_its_source_and_licence() -> None:
    folders = {p.parent for p in _vendored()} | {SHOPIFY_CONTRACT}
    missing = [
        f"{folder}/{note}"
        for folder in sorted(folders)
        for note in NOTES
        if not (folder / note).is_file() or not (folder / note).read_text(encoding="utf-8").strip()
    ]
    assert missing == []


def test_every_vendored_contract_is_read_by_a_test() -> None:
    sources = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "tests").rglob("*.py"))
    unused = [
        p.relative_to(CONTRACTS_DIR).as_posix()
        for p in _vendored()
        if p.name not in NOTES and f'"{p.name}"' not in sources
    ]
    assert unused == [], "vendor only what is used: drop these or the test that needed them"


def test_the_shopify_schema_is_read_from_the_package() -> None:
    resource = Path(str(schema_resource()))
    assert resource.is_relative_to(PACKAGE) and resource.is_file()
    assert load_admin_schema().query_type is not None
    assert "inventorySetQuantities" in load_admin_schema().mutation_type.fields  # type: ignore[union-attr]


def _package_data() -> dict[str, list[str]]:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    data: dict[str, list[str]] = pyproject["tool"]["setuptools"]["package-data"]
    return data


def _covered(relative: PurePosixPath, patterns: list[str]) -> bool:
    """setuptools globs are relative to the package folder and ``*`` stops at ``/``."""
    return any(
        len(relative.parts) == len(PurePosixPath(p).parts) and relative.match(p) for p in patterns
    )


def test_every_non_python_file_of_the_package_is_package_data() -> None:
    data = _package_data()
    missing = []
    for path in sorted(PACKAGE.rglob("*")):
        if not path.is_file() or path.suffix in {".py", ".pyc"} or "__pycache__" in path.parts:
            continue
        package_dir = next(d for d in path.parents if (d / "__init__.py").is_file())
        name = ".".join(package_dir.relative_to(PACKAGE.parent).parts)
        relative = PurePosixPath(path.relative_to(package_dir).as_posix())
        if not _covered(relative, data.get("*", []) + data.get(name, [])):
            missing.append(str(path.relative_to(REPO)))
    assert missing == [], "add these to [tool.setuptools.package-data] or a wheel lacks them"
