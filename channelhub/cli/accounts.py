"""``channelhub accounts add|list|check|remove``: the platform accounts the hub works for.

Credentials come from ``--credential NAME=VALUE``, from ``CHANNELHUB_CRED_<NAME>`` or from a
hidden prompt (``--credential NAME``), are wrapped in SecretStr at once and are never printed.
``accounts check`` runs :func:`check_account`; connectors add their own checks (required
credentials, a connectivity probe) through the ``channelhub.account_checks`` entry points.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from importlib.metadata import entry_points
from typing import Any
from urllib.parse import urlsplit

import typer
from pydantic import SecretStr
from rich.console import Console
from rich.table import Table

from channelhub.cli import app
from channelhub.cli.home import open_session, settings_for, vault_for
from channelhub.core.errors import ChannelhubError, InvalidInput
from channelhub.store.repos.accounts import (
    AccountInfo,
    add_account,
    get_account,
    list_accounts,
    remove_account,
)

accounts_app = typer.Typer(
    help="Platform accounts (shops, warehouses, carriers).", no_args_is_help=True
)
app.add_typer(accounts_app, name="accounts")

CREDENTIAL_ENV_PREFIX = "CHANNELHUB_CRED_"
CHECK_ENTRY_POINT_GROUP = "channelhub.account_checks"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_PLATFORM = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,99}$")

#: A check gets the account (no secrets) and its decrypted credentials and returns one
#: sentence per problem found (nothing when all is well).
AccountCheck = Callable[[AccountInfo, Mapping[str, SecretStr]], Iterable[str]]


def _split_pair(option: str, raw: str) -> tuple[str, str | None]:
    key, sep, value = raw.partition("=")
    key = key.strip()
    if not _KEY.match(key):
        shown = key if sep else raw  # never echo a value
        raise InvalidInput.field(option, shown, "is not a valid name (letters, digits, _)")
    return key.lower(), (value if sep else None)


def parse_settings(pairs: Sequence[str]) -> dict[str, str]:
    """``KEY=VALUE`` options into a dict (non-secret settings such as a marketplace id)."""
    settings: dict[str, str] = {}
    for raw in pairs:
        key, value = _split_pair("--setting", raw)
        if value is None:
            raise InvalidInput.field("--setting", raw, "must be KEY=VALUE")
        settings[key] = value
    return settings


def gather_credentials(
    pairs: Sequence[str],
    env: Mapping[str, str],
    prompt: Callable[[str], str],
) -> dict[str, SecretStr]:
    """Credentials from ``CHANNELHUB_CRED_*``, then ``NAME=VALUE`` flags, then prompts."""
    credentials = {
        key[len(CREDENTIAL_ENV_PREFIX) :].lower(): SecretStr(value)
        for key, value in env.items()
        if key.upper().startswith(CREDENTIAL_ENV_PREFIX) and len(key) > len(CREDENTIAL_ENV_PREFIX)
    }
    for raw in pairs:
        key, value = _split_pair("--credential", raw)
        if value is None:
            value = prompt(key)
        credentials[key] = SecretStr(value)
    for key, secret in credentials.items():
        if not secret.get_secret_value():
            raise InvalidInput.field("credential", key, "is empty")
    return credentials


def _check_base_url(url: str | None) -> None:
    if url is None:
        return
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput.field("--base-url", url, "is not an http(s) URL with a host")


def check_basics(account: AccountInfo, credentials: Mapping[str, SecretStr]) -> Iterable[str]:
    """What every account needs whatever its platform."""
    if not credentials:
        yield "no credentials are stored (add them with `channelhub accounts add`)"
    for key, secret in credentials.items():
        if not secret.get_secret_value().strip():
            yield f"credential {key!r} is blank"
    if account.base_url is not None:
        parts = urlsplit(account.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            yield f"base URL {account.base_url!r} is not an http(s) URL with a host"


def registered_checks() -> list[AccountCheck]:
    """The built-in checks plus every ``channelhub.account_checks`` entry point."""
    checks: list[AccountCheck] = [check_basics]
    for entry in entry_points(group=CHECK_ENTRY_POINT_GROUP):
        checks.append(entry.load())
    return checks


def check_account(
    account: AccountInfo,
    credentials: Mapping[str, SecretStr],
    checks: Sequence[AccountCheck] | None = None,
) -> list[str]:
    """Every problem the checks find with one account (empty: the account looks usable).

    A check that raises a :class:`ChannelhubError` counts as one problem; anything else
    is a bug and propagates.
    """
    problems: list[str] = []
    for check in registered_checks() if checks is None else checks:
        try:
            problems.extend(check(account, credentials))
        except ChannelhubError as exc:
            problems.append(str(exc))
    return problems


def _now() -> datetime:
    return datetime.now(UTC)


def _hidden_prompt(key: str) -> str:
    return str(typer.prompt(f"{key}", hide_input=True))


@accounts_app.command("add")
def add(
    ctx: typer.Context,
    platform: str = typer.Argument(..., help="e.g. amazon, shopify, ebay, temu, shipbob, ups"),
    name: str = typer.Argument(..., help="your name for this account, unique in the hub"),
    base_url: str | None = typer.Option(
        None, "--base-url", help="API base URL: production, a vendor sandbox or a simulator"
    ),
    credential: list[str] = typer.Option(
        [],
        "--credential",
        "-c",
        help="NAME=VALUE, or NAME alone to be asked (hidden). Also CHANNELHUB_CRED_<NAME>. "
        "Prefer the prompt or the environment: flags end up in shell history.",
    ),
    setting: list[str] = typer.Option(
        [], "--setting", "-s", help="KEY=VALUE, a non-secret setting (e.g. marketplace_id)"
    ),
) -> None:
    """Add an account; its credentials are stored encrypted."""
    if not _PLATFORM.match(platform):
        raise InvalidInput.field("platform", platform, "is not a platform name (lowercase)")
    if not _NAME.match(name):
        raise InvalidInput.field("account name", name, "may hold only letters, digits, _ . -")
    _check_base_url(base_url)
    settings = settings_for(ctx)
    vault = vault_for(settings)
    extra = parse_settings(setting)
    credentials = gather_credentials(credential, os.environ, _hidden_prompt)
    with open_session(settings) as session:
        add_account(
            session,
            vault,
            platform=platform,
            name=name,
            base_url=base_url,
            settings=extra,
            credentials=credentials,
            now=_now(),
        )
    names = ", ".join(sorted(credentials)) or "none"
    typer.echo(f"added {platform} account {name!r} (credentials stored encrypted: {names})")


@accounts_app.command("list")
def list_(ctx: typer.Context) -> None:
    """Show the accounts (credential names only, never their values)."""
    settings = settings_for(ctx)
    vault = vault_for(settings)
    with open_session(settings) as session:
        accounts = list_accounts(session)
        names = {
            info.name: sorted(vault.decrypt(get_account(session, info.name).credentials))
            for info in accounts
        }
    if not accounts:
        typer.echo("no accounts yet: add one with `channelhub accounts add PLATFORM NAME`")
        return
    table = Table("name", "platform", "base URL", "settings", "credentials")
    for info in accounts:
        table.add_row(
            info.name,
            info.platform,
            info.base_url or "(platform default)",
            _show_settings(info.settings),
            ", ".join(names[info.name]) or "none",
        )
    Console(highlight=False, width=200).print(table)


def _show_settings(settings: Mapping[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in sorted(settings.items())) or "-"


@accounts_app.command("check")
def check(ctx: typer.Context, name: str = typer.Argument(..., help="the account name")) -> None:
    """Check that the account's credentials decrypt and its settings are complete."""
    settings = settings_for(ctx)
    vault = vault_for(settings)
    with open_session(settings) as session:
        row = get_account(session, name)
        info = AccountInfo.of(row)
        credentials = vault.decrypt(row.credentials)
    problems = check_account(info, credentials)
    if problems:
        for problem in problems:
            typer.echo(f"problem: {name}: {problem}", err=True)
        raise typer.Exit(1)
    typer.echo(f"ok: {info.platform} account {name!r} ({len(credentials)} credentials decrypt)")


@accounts_app.command("remove")
def remove(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="the account name"),
    yes: bool = typer.Option(False, "--yes", "-y", help="do not ask for confirmation"),
) -> None:
    """Remove an account and its stored credentials (imported history stays)."""
    settings = settings_for(ctx)
    with open_session(settings) as session:
        get_account(session, name)
        if not yes:
            typer.confirm(f"remove account {name!r} and its credentials?", abort=True)
        remove_account(session, name)
    typer.echo(f"removed account {name!r}")
