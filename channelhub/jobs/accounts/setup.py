"""Setting up an account the way its platform declares (:mod:`channelhub.connectors.spec`):
what ``accounts add`` and ``accounts edit`` accept, which jobs an account runs, and where a
job's cursor may be reset.

Everything here refuses with one :class:`~channelhub.core.errors.InvalidInput` line that
names the offending setting, credential or job, and never echoes a credential's value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from channelhub.connectors.manifest import Declared
from channelhub.connectors.spec import validate_credentials, validate_settings
from channelhub.core.errors import InvalidInput
from channelhub.jobs.engine.kinds import (
    JOBS_SETTING,
    JobKind,
    job_enabled,
    job_fits,
    with_job_switch,
)

if TYPE_CHECKING:  # listing an account's jobs reads its manifest, not its plugin
    from channelhub.connectors.plugin import ConnectorPlugin

#: Jobs whose progress is a stored cursor (the others start from the hub's state each run).
CURSOR_JOBS: frozenset[JobKind] = frozenset(
    {JobKind.PULL_ORDERS, JobKind.PULL_LISTINGS, JobKind.PULL_FINANCE}
)
#: Jobs whose cursor can be told where to start (``reset-cursor --since``).
SINCE_JOBS: frozenset[JobKind] = frozenset({JobKind.PULL_ORDERS, JobKind.PULL_FINANCE})


def job_kind(value: str) -> JobKind:
    """A job name typed by the seller as a :class:`JobKind`."""
    try:
        return JobKind(value)
    except ValueError:
        known = ", ".join(kind.value for kind in JobKind)
        raise InvalidInput.field("job", value, f"is not one of {known}") from None


def jobs_of(plugin: Declared) -> list[JobKind]:
    """The jobs an account of this platform can run (by its roles), in declaration order."""
    return [kind for kind in JobKind if job_fits(kind, plugin.roles, plugin.capabilities)]


def job_for(plugin: Declared, value: str) -> JobKind:
    """``value`` as a job an account of ``plugin`` runs; other jobs are refused by name."""
    kind = job_kind(value)
    if kind not in jobs_of(plugin):
        runs = ", ".join(k.value for k in jobs_of(plugin))
        raise InvalidInput.field(
            "job", value, f"is not run for {plugin.platform} accounts (they run: {runs})"
        )
    return kind


def job_switches(plugin: Declared, settings: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """(jobs on, jobs off) for an account of ``plugin`` (its manifest will do) with
    ``settings``."""
    on = [k.value for k in jobs_of(plugin) if job_enabled(settings, k)]
    off = [k.value for k in jobs_of(plugin) if not job_enabled(settings, k)]
    return on, off


def declared_credentials(plugin: ConnectorPlugin) -> set[str]:
    """The credential names the platform reads."""
    return {c.name for c in plugin.spec.credentials}


def validate_account(
    plugin: ConnectorPlugin,
    *,
    base_url: str | None,
    settings: Mapping[str, object],
    credentials: Mapping[str, SecretStr],
) -> dict[str, object]:
    """The settings typed as declared, once everything the platform needs is there."""
    typed = validate_settings(
        plugin.platform, plugin.spec, plugin.roles, settings, base_url=base_url
    )
    if JOBS_SETTING in typed:
        switches = typed[JOBS_SETTING]
        assert isinstance(switches, dict)
        typed[JOBS_SETTING] = {job_for(plugin, k).value: _on(k, v) for k, v in switches.items()}
    validate_credentials(plugin.platform, plugin.spec, credentials)
    return typed


def _on(job: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "on", "yes", "1"):
        return True
    if text in ("false", "off", "no", "0"):
        return False
    raise InvalidInput.field(f"jobs.{job}", value, "is not on/off")


@dataclass(frozen=True)
class AccountEdit:
    """What ``accounts edit`` was asked to change (credentials already gathered)."""

    base_url: str | None = None
    set_settings: Mapping[str, str] = field(default_factory=dict)
    unset: Sequence[str] = ()
    set_credentials: Mapping[str, SecretStr] = field(default_factory=dict, repr=False)
    enable: Sequence[str] = ()
    disable: Sequence[str] = ()

    @property
    def empty(self) -> bool:
        return not (
            self.base_url
            or self.set_settings
            or self.unset
            or self.set_credentials
            or self.enable
            or self.disable
        )


@dataclass(frozen=True)
class EditedAccount:
    """The account after an edit, validated, and a summary of what changed (no secrets)."""

    base_url: str | None
    settings: dict[str, object]
    credentials: dict[str, SecretStr] = field(repr=False)
    changes: list[str]


def apply_edit(
    plugin: ConnectorPlugin,
    *,
    base_url: str | None,
    settings: Mapping[str, object],
    credentials: Mapping[str, SecretStr],
    edit: AccountEdit,
) -> EditedAccount:
    """The account as it would be after ``edit``, validated like a new one."""
    if edit.empty:
        raise InvalidInput(
            ["nothing to change: give --base-url, -s, --unset, -c, --enable or --disable"]
        )
    new_settings: dict[str, object] = dict(settings)
    new_credentials: dict[str, SecretStr] = dict(credentials)
    changes: list[str] = []
    if edit.base_url:
        changes.append(f"base URL {edit.base_url}")
    for key in edit.unset:
        if key in new_settings and key != JOBS_SETTING:
            del new_settings[key]
            changes.append(f"setting {key} removed")
        elif key in new_credentials:
            del new_credentials[key]
            changes.append(f"credential {key} removed")
        else:
            raise InvalidInput.field("--unset", key, "is neither a setting nor a credential set")
    for key, value in edit.set_settings.items():
        new_settings[key] = value
        changes.append(f"setting {key}")
    for key, secret in edit.set_credentials.items():
        new_credentials[key] = secret
        changes.append(f"credential {key} (encrypted)")
    for names, on in ((edit.enable, True), (edit.disable, False)):
        for name in names:
            kind = job_for(plugin, name)
            new_settings = with_job_switch(new_settings, kind, on)
            changes.append(f"job {kind.value} {'on' if on else 'off'}")
    typed = validate_account(
        plugin,
        base_url=edit.base_url or base_url,
        settings=new_settings,
        credentials=new_credentials,
    )
    return EditedAccount(
        base_url=edit.base_url or base_url,
        settings=typed,
        credentials=new_credentials,
        changes=changes,
    )


def cursor_job(plugin: ConnectorPlugin, value: str, *, with_since: bool) -> JobKind:
    """The job whose cursor ``accounts reset-cursor`` may reset for this platform."""
    kind = job_for(plugin, value)
    if kind not in CURSOR_JOBS:
        having = ", ".join(sorted(k.value for k in CURSOR_JOBS))
        raise InvalidInput.field("job", value, f"keeps no cursor (only {having} do)")
    if with_since and kind not in SINCE_JOBS:
        raise InvalidInput.field(
            "--since",
            kind.value,
            "applies only to pull_orders and pull_finance (listings are re-read in full)",
        )
    return kind


def since_date(value: datetime | None, *, now: datetime) -> datetime | None:
    """``--since`` as an aware UTC time (a naive one is UTC), refused when in the future."""
    if value is None:
        return None
    when = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if when > now:
        raise InvalidInput.field("--since", when.isoformat(), "is in the future")
    return when


def names(values: Iterable[str]) -> str:
    """Names for a message: sorted, comma-separated, or 'none'."""
    return ", ".join(sorted(values)) or "none"
