"""Adding, editing and checking an account: what ``channelhub accounts add|edit|check`` and the
console's Accounts screen both call, so the two validate, store and check alike.

Values arrive as text (flags, form fields) and are typed and validated as the platform
declares (:func:`channelhub.jobs.accounts.setup.validate_account`); credentials arrive wrapped in
:class:`SecretStr`, are encrypted by the vault and are never part of a message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from pydantic import SecretStr
from sqlalchemy.orm import Session

from channelhub.connectors.check import run_check
from channelhub.connectors.observe import observing
from channelhub.connectors.plugin import CheckLine, ConnectorPlugin
from channelhub.connectors.registry import ConnectorRegistry
from channelhub.connectors.spec import JOBS_FIELD, FieldSpec, all_settings
from channelhub.core.errors import InvalidInput, NotFound
from channelhub.jobs.accounts.connectors import ConnectorFactory
from channelhub.jobs.accounts.setup import (
    AccountEdit,
    EditedAccount,
    apply_edit,
    declared_credentials,
    validate_account,
)
from channelhub.jobs.accounts.usage import UsageRecorder, save_usage
from channelhub.store.crypto import Vault
from channelhub.store.repos.accounts import AccountInfo, add_account, edit_account, get_account

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
PLATFORM = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


def plugin_for(platform: str, registry: ConnectorRegistry | None = None) -> ConnectorPlugin:
    """The installed connector of ``platform``; an unknown one names the known ones."""
    try:
        return (registry or ConnectorRegistry()).get(platform)
    except NotFound as exc:
        raise NotFound(f"{exc}; `channelhub platforms` lists them") from None


def check_base_url(url: str | None) -> None:
    """An http(s) URL with a host, or one clear refusal."""
    if url is None:
        return
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput.field("--base-url", url, "is not an http(s) URL with a host")


@dataclass(frozen=True)
class AccountForm:
    """What an account of one platform takes, for a form: its credentials, then its settings
    (the platform's own, then its roles' job settings; the job switches have their own
    buttons)."""

    plugin: ConnectorPlugin
    credentials: tuple[FieldSpec, ...]
    settings: tuple[FieldSpec, ...]


def account_form(plugin: ConnectorPlugin) -> AccountForm:
    settings = tuple(s for s in all_settings(plugin.spec, plugin.roles) if s != JOBS_FIELD)
    return AccountForm(plugin, tuple(plugin.spec.credentials), settings)


def create_account(
    session: Session,
    vault: Vault,
    *,
    platform: str,
    name: str,
    base_url: str | None,
    settings: Mapping[str, str],
    credentials: Mapping[str, SecretStr],
    now: datetime,
    registry: ConnectorRegistry | None = None,
) -> tuple[AccountInfo, ConnectorPlugin]:
    """Validate everything as the platform declares it, then store the account (credentials
    encrypted). Credentials the platform does not read are refused by name."""
    if not PLATFORM.match(platform):
        raise InvalidInput.field("platform", platform, "is not a platform name (lowercase)")
    if not NAME.match(name):
        raise InvalidInput.field("account name", name, "may hold only letters, digits, _ . -")
    check_base_url(base_url)
    plugin = plugin_for(platform, registry)
    typed = validate_account(plugin, base_url=base_url, settings=settings, credentials=credentials)
    info = add_account(
        session,
        vault,
        platform=platform,
        name=name,
        base_url=base_url,
        settings=typed,
        credentials=credentials,
        now=now,
    )
    return info, plugin


def change_account(
    session: Session,
    vault: Vault,
    name: str,
    edit: AccountEdit,
    *,
    now: datetime,
    registry: ConnectorRegistry | None = None,
) -> tuple[EditedAccount, ConnectorPlugin]:
    """Apply ``edit`` to the stored account, validated like a new one (credentials encrypted
    again); returns what changed, without any secret."""
    check_base_url(edit.base_url)
    row = get_account(session, name)
    plugin = plugin_for(row.platform, registry)
    edited = apply_edit(
        plugin,
        base_url=row.base_url,
        settings=dict(row.settings or {}),
        credentials=vault.decrypt(row.credentials),
        edit=edit,
    )
    edit_account(
        session,
        vault,
        name,
        now=now,
        base_url=edited.base_url,
        settings=edited.settings,
        credentials=edited.credentials,
    )
    return edited, plugin


def credential_names(session: Session, vault: Vault, name: str) -> list[str]:
    """The names of the credentials stored for ``name`` (never their values)."""
    return sorted(vault.decrypt(get_account(session, name).credentials))


async def check_live(
    session: Session, vault: Vault, name: str, *, registry: ConnectorRegistry | None = None
) -> list[CheckLine]:
    """The platform's live, read-only, authenticated check of one account
    (:func:`channelhub.connectors.check.run_check`: a short timeout, one attempt). What the
    check learns of the token and the calls it made are saved for the console's Home (the
    caller commits)."""
    row = get_account(session, name)
    recorder = UsageRecorder(lambda: datetime.now(UTC))
    with observing(recorder):  # the context hands the recorder to the connector
        context = ConnectorFactory(vault).context_for(row)
    lines = await run_check(plugin_for(row.platform, registry), context)
    if recorder.accounts:
        save_usage(session, recorder)
    return lines


__all__ = [
    "AccountForm",
    "account_form",
    "change_account",
    "check_base_url",
    "check_live",
    "create_account",
    "credential_names",
    "declared_credentials",
    "plugin_for",
]
