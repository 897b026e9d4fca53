"""Each platform declares every credential and setting its connector reads, and the jobs'
account settings are declared for the roles they serve; values are typed as declared."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import SecretStr

from channelhub.connectors.registry import BUILTIN_CONNECTORS, ConnectorRegistry
from channelhub.connectors.roles import Role
from channelhub.connectors.spec import (
    ROLE_SETTINGS,
    FieldType,
    all_settings,
    field,
    validate_credentials,
)
from channelhub.core.errors import InvalidInput

PACKAGE = Path(__file__).resolve().parents[2] / "channelhub"
CREDENTIAL_READS = re.compile(r'credentials?(?:\.get)?\(\s*"(\w+)"')
SETTING_READS = re.compile(
    r'settings(?:\.get\(\s*|\[)"(\w+)"'
    r'|_setting_list\(context, "(\w+)"\)'
    r"|settings\.get\((\w+_SETTING)"
)
REGISTRY = ConnectorRegistry()


def _sources(path: Path) -> str:
    files = [path] if path.is_file() else sorted(path.rglob("*.py"))
    return "\n".join(f.read_text(encoding="utf-8") for f in files)


def _connector_path(platform: str) -> Path:
    package = PACKAGE / "connectors" / platform
    return package if package.is_dir() else package.with_suffix(".py")


@pytest.mark.parametrize("platform", sorted(BUILTIN_CONNECTORS))
def test_every_credential_and_setting_a_connector_reads_is_declared(platform: str) -> None:
    plugin = REGISTRY.get(platform)
    source = _sources(_connector_path(platform))
    read_credentials = set(CREDENTIAL_READS.findall(source))
    read_settings = {a or b for a, b, _ in SETTING_READS.findall(source)} - {""}
    assert read_credentials, "the pattern finds the connector's credential reads"
    assert read_credentials <= {c.name for c in plugin.spec.credentials}
    assert read_settings <= {s.name for s in all_settings(plugin.spec, plugin.roles)}


def test_the_jobs_account_settings_are_declared_for_their_roles() -> None:
    from channelhub.jobs.engine import kinds
    from channelhub.jobs.orders import previews
    from channelhub.jobs.reconciliation import run as reconcile
    from channelhub.jobs.stock import push as stock_sync

    source = _sources(PACKAGE / "jobs")
    read = {a or b for a, b, _ in SETTING_READS.findall(source)} - {""}
    constants = {name for *_, name in SETTING_READS.findall(source) if name}
    modules = (reconcile, stock_sync, kinds, previews)
    read |= {next(getattr(m, n) for m in modules if hasattr(m, n)) for n in constants}
    declared = {s.name for fields in ROLE_SETTINGS.values() for s in fields}
    # a job may read a setting of one platform's accounts (the MCF preview budget): declared
    # by that platform's connector, so `channelhub platforms NAME` shows it
    declared |= {s.name for p in BUILTIN_CONNECTORS for s in REGISTRY.get(p).spec.settings}
    assert {"initial_lookback_days", "warehouse", "carrier_codes", "carriers"} <= read
    assert read <= declared
    for role in Role:
        assert "jobs" in {s.name for s in ROLE_SETTINGS[role]}


@pytest.mark.parametrize(
    ("kind", "raw", "typed"),
    [
        (FieldType.INT, "12", 12),
        (FieldType.FLOAT, "2.5", 2.5),
        (FieldType.BOOL, "Yes", True),
        (FieldType.BOOL, False, False),
        (FieldType.LIST, "a, b,,c", ["a", "b", "c"]),
        (FieldType.LIST, ["x"], ["x"]),
        (FieldType.MAP, "ups:UPS, dhl:DHL", {"ups": "UPS", "dhl": "DHL"}),
        (FieldType.MAP, '{"ups": "1"}', {"ups": "1"}),
        (FieldType.URL, "http://127.0.0.1:8/x", "http://127.0.0.1:8/x"),
    ],
)
def test_values_are_typed_as_declared(kind: FieldType, raw: object, typed: object) -> None:
    assert field("x", "help", kind).parse(raw) == typed


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        (FieldType.INT, "1.5"),
        (FieldType.INT, True),
        (FieldType.BOOL, "maybe"),
        (FieldType.LIST, ""),
        (FieldType.MAP, "novalue"),
        (FieldType.URL, "example.com"),
        (FieldType.STR, "  "),
    ],
)
def test_wrong_values_are_refused_naming_the_setting(kind: FieldType, raw: object) -> None:
    with pytest.raises(InvalidInput, match=r"^setting x: "):
        field("x", "help", kind).parse(raw)


def test_credentials_are_checked_by_name_only() -> None:
    spec = REGISTRY.get("ups").spec
    validate_credentials(
        "ups", spec, {"client_id": SecretStr("a"), "client_secret": SecretStr("b")}
    )
    with pytest.raises(InvalidInput, match="ups has no credential 'api_key'"):
        validate_credentials("ups", spec, {"api_key": SecretStr("never-shown")})
