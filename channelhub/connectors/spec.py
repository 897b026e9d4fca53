"""What an account of a platform needs: its credentials and settings, typed and explained.

Each connector plugin declares a :class:`PlatformSpec`; the jobs' own per-account settings
(reconciliation, first-import lookback, the per-job switches...) are declared once per role in
:data:`ROLE_SETTINGS`. ``channelhub platforms X`` prints them and ``accounts add/edit``
validate against them, so a seller never has to read source to know what to type, and a typo
is refused instead of silently ignored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, SecretStr

from channelhub.connectors.manifest import Role
from channelhub.core.errors import InvalidInput


class FieldType(StrEnum):
    """How a value is typed on the command line and stored."""

    STR = "str"
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    URL = "url"
    LIST = "list"  # comma-separated on the command line, a list of strings stored
    MAP = "map"  # KEY:VALUE,KEY:VALUE or a JSON object on the command line


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


class FieldSpec(BaseModel):
    """One credential or setting: name, type, whether required, default, one-line help."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    help: str
    type: FieldType = FieldType.STR
    required: bool = False
    default: Any = None
    choices: tuple[str, ...] = ()

    def parse(self, value: object) -> object:
        """``value`` (a command-line string or an already typed value) as this field's type;
        :class:`InvalidInput` names the field and says what is expected."""
        try:
            parsed = _PARSERS[self.type](value)
        except (ValueError, TypeError):
            raise InvalidInput.field(
                f"setting {self.name}", value, f"is not a {_EXPECTED[self.type]}"
            ) from None
        if self.choices and parsed not in self.choices:
            raise InvalidInput.field(
                f"setting {self.name}", value, "is not one of " + ", ".join(self.choices)
            )
        return parsed


def _parse_str(value: object) -> str:
    if isinstance(value, bool | dict | list | tuple):
        raise TypeError(value)
    text = str(value).strip()
    if not text:
        raise ValueError(value)
    return text


def _parse_int(value: object) -> int:
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise TypeError(value)
    return int(str(value).strip()) if isinstance(value, str) else int(value)  # type: ignore[call-overload]


def _parse_float(value: object) -> float:
    if isinstance(value, bool):
        raise TypeError(value)
    return float(value)  # type: ignore[arg-type]


def _parse_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(value)


def _parse_url(value: object) -> str:
    text = _parse_str(value)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(value)
    return text


def _parse_list(value: object) -> list[str]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise TypeError(value)
    found = [str(v).strip() for v in items if str(v).strip()]
    if not found:
        raise ValueError(value)
    return found


def _parse_map(value: object) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    text = str(value).strip()
    if text.startswith("{"):
        loaded = json.loads(text)
        if not isinstance(loaded, dict):
            raise ValueError(value)
        return loaded
    found: dict[str, Any] = {}
    for pair in text.split(","):
        key, sep, item = pair.partition(":")
        if not sep or not key.strip():
            raise ValueError(value)
        found[key.strip()] = item.strip()
    return found


_PARSERS = {
    FieldType.STR: _parse_str,
    FieldType.INT: _parse_int,
    FieldType.FLOAT: _parse_float,
    FieldType.BOOL: _parse_bool,
    FieldType.URL: _parse_url,
    FieldType.LIST: _parse_list,
    FieldType.MAP: _parse_map,
}
_EXPECTED = {
    FieldType.STR: "non-empty text",
    FieldType.INT: "whole number",
    FieldType.FLOAT: "number",
    FieldType.BOOL: "true/false",
    FieldType.URL: "http(s) URL with a host",
    FieldType.LIST: "comma-separated list",
    FieldType.MAP: "KEY:VALUE,KEY:VALUE list or a JSON object",
}


class PlatformSpec(BaseModel):
    """Everything an account of one platform needs besides its name."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    credentials: tuple[FieldSpec, ...] = ()
    settings: tuple[FieldSpec, ...] = ()
    base_url_required: bool = False  # no production URL: the seller's own endpoint
    base_url_or_setting: str | None = None  # without a base URL this setting is required
    base_url_help: str = ""


def field(
    name: str,
    help: str,
    type: FieldType = FieldType.STR,
    *,
    required: bool = False,
    default: Any = None,
    choices: tuple[str, ...] = (),
) -> FieldSpec:
    """A :class:`FieldSpec` written on one line."""
    return FieldSpec(
        name=name, help=help, type=type, required=required, default=default, choices=choices
    )


JOBS_FIELD = field(
    "jobs",
    "per-job on/off: set with `accounts edit NAME --enable JOB` / `--disable JOB`",
    FieldType.MAP,
)
_RECONCILE = (
    field(
        "reconcile_repair",
        "let scheduled reconciliation apply its safe repairs",
        FieldType.BOOL,
        default=False,
    ),
    field(
        "reconcile_lookback_days",
        "how many days back reconciliation compares",
        FieldType.FLOAT,
        default=7,
    ),
    field(
        "reconcile_tolerance",
        "largest stock adjustment a scheduled repair applies unattended",
        FieldType.INT,
    ),
)

#: The settings the jobs read from an account, by the role the account plays.
ROLE_SETTINGS: Mapping[Role, tuple[FieldSpec, ...]] = {
    Role.SALES_CHANNEL: (
        field(
            "initial_lookback_days",
            "how many days back the first order import reaches (default: [jobs] setting)",
            FieldType.FLOAT,
        ),
        field(
            "carrier_codes",
            "hub carrier name -> the channel's carrier code, e.g. ups:UPS,dhl:DHL_EXPRESS",
            FieldType.MAP,
        ),
        field(
            "stock_mass_drop_share",
            "share of listings a stock push may cut (to 0 or by half) before it stops "
            "for confirmation (default: [stock] mass_drop_share, 0.2)",
            FieldType.FLOAT,
        ),
        *_RECONCILE,
        JOBS_FIELD,
    ),
    Role.WAREHOUSE: (
        field("warehouse", "the hub's warehouse code this account serves (default: its name)"),
        *_RECONCILE,
        JOBS_FIELD,
    ),
    Role.CARRIER: (
        field(
            "carriers",
            "carrier names this account tracks, e.g. ups,usps ('*': every carrier)",
            FieldType.LIST,
        ),
        JOBS_FIELD,
    ),
}


def all_settings(spec: PlatformSpec, roles: Iterable[Role]) -> list[FieldSpec]:
    """The platform's own settings, then the jobs' settings of its roles (the platform's
    declaration of a name wins)."""
    found = {s.name: s for s in spec.settings}
    for role in sorted(roles):
        for setting in ROLE_SETTINGS.get(role, ()):
            found.setdefault(setting.name, setting)
    return list(found.values())


def _unknown(kind: str, name: str, platform: str) -> InvalidInput:
    return InvalidInput(
        [
            f"{platform} has no {kind} {name!r} "
            f"(`channelhub platforms {platform}` lists the {kind}s it takes)"
        ]
    )


def validate_settings(
    platform: str,
    spec: PlatformSpec,
    roles: Iterable[Role],
    settings: Mapping[str, object],
    *,
    base_url: str | None,
) -> dict[str, object]:
    """The settings typed as declared; an unknown name, a wrong type or a missing required
    setting is :class:`InvalidInput` naming it."""
    declared = {s.name: s for s in all_settings(spec, roles)}
    typed: dict[str, object] = {}
    for name, value in settings.items():
        if name not in declared:
            raise _unknown("setting", name, platform)
        typed[name] = declared[name].parse(value)
    for setting in declared.values():
        if setting.required and setting.name not in typed:
            raise _missing("setting", setting.name, platform)
    if spec.base_url_required and not base_url:
        raise InvalidInput(
            [f"{platform} needs --base-url ({spec.base_url_help or 'its API endpoint'})"]
        )
    needed = spec.base_url_or_setting
    if needed and not base_url and needed not in typed:
        raise InvalidInput(
            [f"{platform} needs --base-url or the setting {needed!r} (`-s {needed}=...`)"]
        )
    return typed


def _missing(kind: str, name: str, platform: str) -> InvalidInput:
    flag = "-s" if kind == "setting" else "-c"
    return InvalidInput(
        [
            f"{platform} needs {kind} {name!r} ({flag} {name}=...; "
            f"`channelhub platforms {platform}` lists what it takes)"
        ]
    )


def validate_credentials(
    platform: str, spec: PlatformSpec, credentials: Mapping[str, SecretStr]
) -> None:
    """An unknown credential name or a missing required one is :class:`InvalidInput`."""
    declared = {c.name: c for c in spec.credentials}
    for name in credentials:
        if name not in declared:
            raise _unknown("credential", name, platform)
    for credential in spec.credentials:
        if credential.required and credential.name not in credentials:
            raise _missing("credential", credential.name, platform)
