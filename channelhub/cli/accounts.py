"""``channelhub accounts add|edit|list|check|subscribe|reset-cursor|remove``: the platform accounts.

Each platform declares the credentials and settings it takes (``channelhub platforms X``);
``add`` and ``edit`` accept exactly those (:mod:`channelhub.jobs.accounts.setup`). Credentials
come from ``--credential NAME=VALUE``, from ``CHANNELHUB_CRED_<NAME>`` (only the names the
platform declares) or from a hidden prompt (``--credential NAME``), are wrapped in SecretStr
at once and are never printed. ``accounts check`` makes the platform's live, read-only,
authenticated calls (:mod:`channelhub.connectors.check`); ``--offline`` runs only the local
checks (:func:`check_account`, plus ``channelhub.account_checks`` entry points).
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from importlib.metadata import entry_points
from typing import Any
from urllib.parse import urlsplit

import typer
from pydantic import SecretStr
from rich.table import Table
from rich.text import Text

from channelhub.cli import app
from channelhub.cli.home import open_engine, open_session, settings_for, vault_for
from channelhub.cli.output import cli_console
from channelhub.connectors.registry import ConnectorRegistry
from channelhub.core.errors import ChannelhubError, InvalidInput
from channelhub.jobs.accounts.setup import (
    AccountEdit,
    cursor_job,
    declared_credentials,
    job_switches,
    since_date,
    validate_account,
)
from channelhub.jobs.engine.kinds import JOBS_SETTING
from channelhub.jobs.engine.plan import intervals_from_seconds
from channelhub.store.repos.accounts import (
    AccountInfo,
    get_account,
    list_accounts,
    remove_account,
)
from channelhub.store.repos.cursors import get_cursor, reset_cursor

accounts_app = typer.Typer(
    help="Platform accounts (shops, warehouses, carriers).", no_args_is_help=True
)
app.add_typer(accounts_app, name="accounts")

CREDENTIAL_ENV_PREFIX = "CHANNELHUB_CRED_"
CHECK_ENTRY_POINT_GROUP = "channelhub.account_checks"
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
    declared: Collection[str] | None = None,
) -> dict[str, SecretStr]:
    """Credentials from ``CHANNELHUB_CRED_*`` (only the ``declared`` names, when given: the
    environment may hold another platform's), then ``NAME=VALUE`` flags, then prompts."""
    credentials = {
        key[len(CREDENTIAL_ENV_PREFIX) :].lower(): SecretStr(value)
        for key, value in env.items()
        if key.upper().startswith(CREDENTIAL_ENV_PREFIX) and len(key) > len(CREDENTIAL_ENV_PREFIX)
    }
    if declared is not None:
        credentials = {k: v for k, v in credentials.items() if k in declared}
    for raw in pairs:
        key, value = _split_pair("--credential", raw)
        if value is None:
            value = prompt(key)
        credentials[key] = SecretStr(value)
    for key, secret in credentials.items():
        if not secret.get_secret_value():
            raise InvalidInput.field("credential", key, "is empty")
    return credentials


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


def check_spec(account: AccountInfo, credentials: Mapping[str, SecretStr]) -> Iterable[str]:
    """What the platform declares that the account lacks (a missing setting or credential,
    a value of the wrong type), as the offline check's findings."""
    try:
        plugin = ConnectorRegistry().get(account.platform)
    except ChannelhubError as exc:
        yield str(exc)
        return
    try:
        validate_account(
            plugin, base_url=account.base_url, settings=account.settings, credentials=credentials
        )
    except InvalidInput as exc:
        yield from exc.problems


CREDENTIAL_HELP = (
    "NAME=VALUE, or NAME alone to be asked (hidden). Also CHANNELHUB_CRED_<NAME>. "
    "Prefer the prompt or the environment: flags end up in shell history."
)


@accounts_app.command("add")
def add(
    ctx: typer.Context,
    platform: str = typer.Argument(..., help="e.g. amazon, shopify, ebay, temu, shipbob, ups"),
    name: str = typer.Argument(..., help="your name for this account, unique in the hub"),
    base_url: str | None = typer.Option(
        None, "--base-url", help="API base URL: production, a vendor sandbox or a simulator"
    ),
    credential: list[str] = typer.Option([], "--credential", "-c", help=CREDENTIAL_HELP),
    setting: list[str] = typer.Option(
        [], "--setting", "-s", help="KEY=VALUE, a non-secret setting (e.g. marketplace_ids)"
    ),
) -> None:
    """Add an account; `channelhub platforms PLATFORM` lists what it takes. Credentials are
    stored encrypted."""
    from channelhub.jobs.accounts.desk import (  # the plugins' machinery: not for `list`
        NAME,
        PLATFORM,
        check_base_url,
        create_account,
        plugin_for,
    )

    if not PLATFORM.match(platform):  # before the prompts: a typo asks for nothing
        raise InvalidInput.field("platform", platform, "is not a platform name (lowercase)")
    if not NAME.match(name):
        raise InvalidInput.field("account name", name, "may hold only letters, digits, _ . -")
    check_base_url(base_url)
    plugin = plugin_for(platform)
    settings = settings_for(ctx)
    vault = vault_for(settings)
    credentials = gather_credentials(
        credential, os.environ, _hidden_prompt, declared_credentials(plugin)
    )
    with open_session(settings) as session:
        info, _ = create_account(
            session,
            vault,
            platform=platform,
            name=name,
            base_url=base_url,
            settings=parse_settings(setting),
            credentials=credentials,
            now=_now(),
        )
    typed = info.settings
    names = ", ".join(sorted(credentials)) or "none"
    typer.echo(f"added {platform} account {name!r} (credentials stored encrypted: {names})")
    on, off = job_switches(plugin, typed)
    typer.echo(f"jobs: {', '.join(on) or 'none'}" + (f" (off: {', '.join(off)})" if off else ""))
    typer.echo(f"next: `channelhub accounts check {name}` makes a live, read-only call")


@accounts_app.command("edit")
def edit(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="the account name"),
    base_url: str | None = typer.Option(None, "--base-url", help="a new API base URL"),
    setting: list[str] = typer.Option([], "--setting", "-s", help="KEY=VALUE to set"),
    unset: list[str] = typer.Option(
        [], "--unset", help="a setting or optional credential to remove"
    ),
    credential: list[str] = typer.Option([], "--credential", "-c", help=CREDENTIAL_HELP),
    enable: list[str] = typer.Option([], "--enable", help="a job to run, e.g. push_stock"),
    disable: list[str] = typer.Option([], "--disable", help="a job not to run"),
) -> None:
    """Change an account's settings, credentials, base URL or which jobs run (validated like
    `accounts add`; credentials are encrypted again and never printed)."""
    from channelhub.jobs.accounts.desk import change_account, check_base_url, plugin_for

    check_base_url(base_url)
    settings = settings_for(ctx)
    vault = vault_for(settings)
    with open_session(settings) as session:
        row = get_account(session, name)
        declared = declared_credentials(plugin_for(row.platform))
        edited, plugin = change_account(
            session,
            vault,
            name,
            AccountEdit(
                base_url=base_url,
                set_settings=parse_settings(setting),
                unset=[u.strip().lower() for u in unset],
                # flags and prompts only: the environment is for `add`
                set_credentials=gather_credentials(credential, {}, _hidden_prompt, declared),
                enable=enable,
                disable=disable,
            ),
            now=_now(),
        )
    typer.echo(f"updated {row.platform} account {name!r}: " + "; ".join(edited.changes))
    on, off = job_switches(plugin, edited.settings)
    typer.echo(f"jobs: {', '.join(on) or 'none'}" + (f" (off: {', '.join(off)})" if off else ""))


@accounts_app.command("list")
def list_(ctx: typer.Context) -> None:
    """Show the accounts, the jobs `channelhub run` runs for each (credential names only,
    never their values)."""
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
    intervals = intervals_from_seconds(settings.jobs.every.model_dump())
    registry = ConnectorRegistry()
    table = Table("name", "platform", "base URL", "settings", "credentials", "jobs")
    for info in accounts:
        table.add_row(
            Text(info.name),
            Text(info.platform),
            Text(info.base_url or "(platform default)"),
            Text(_show_settings(info.settings)),
            Text(", ".join(names[info.name]) or "none"),
            Text(_show_jobs(registry, info, intervals)),
        )
    cli_console(terminal_width=260).print(table)


def _show_jobs(
    registry: ConnectorRegistry, info: AccountInfo, intervals: Mapping[Any, object]
) -> str:
    try:
        manifest = registry.about(info.platform)  # not the connector: nothing is imported
    except ChannelhubError:
        return "none (platform not installed)"
    on, off = job_switches(manifest, info.settings)
    running = [job for job in on if job in {kind.value for kind in intervals}]
    shown = ", ".join(running) or "none"
    return shown + (f" (off: {', '.join(off)})" if off else "")


def _show_settings(settings: Mapping[str, Any]) -> str:
    return (
        ", ".join(
            f"{key}={_value(value)}"
            for key, value in sorted(settings.items())
            if key != JOBS_SETTING
        )
        or "-"
    )


def _value(value: object) -> str:
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    if isinstance(value, dict):
        return ",".join(f"{k}:{v}" for k, v in value.items())
    return str(value)


@accounts_app.command("check")
def check(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="the account name"),
    offline: bool = typer.Option(
        False, "--offline", help="only check locally (credentials decrypt, settings complete)"
    ),
) -> None:
    """Make real, read-only, authenticated calls to the platform and report what works (token,
    scopes, the shop or marketplace it sees); exit 1 on any problem."""
    from channelhub.jobs.accounts.desk import check_live

    settings = settings_for(ctx)
    vault = vault_for(settings)
    with open_session(settings) as session:
        row = get_account(session, name)
        info = AccountInfo.of(row)
        credentials = vault.decrypt(row.credentials)
    problems = check_account(info, credentials, [*registered_checks(), check_spec])
    if problems or offline:
        for problem in problems:
            typer.echo(f"problem: {name}: {problem}", err=True)
        if problems:
            raise typer.Exit(1)
        typer.echo(
            f"ok: {info.platform} account {name!r} ({len(credentials)} credentials decrypt, "
            "settings complete; not contacted: --offline)"
        )
        return
    with open_session(settings) as session:
        lines = asyncio.run(check_live(session, vault, name))
    for line in lines:
        if line.ok:
            typer.echo(f"ok: {name}: {line.text}")
        else:
            typer.echo(f"problem: {name}: {line.text}", err=True)
    if not all(line.ok for line in lines):
        raise typer.Exit(1)
    typer.echo(f"ok: {info.platform} account {name!r} works")


@accounts_app.command("subscribe")
def subscribe(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="the account name"),
    hub_url: str | None = typer.Option(
        None,
        "--hub-url",
        help="the hub's public address (Shopify webhooks go to URL/webhooks/NAME)",
    ),
) -> None:
    """Register the account's order notifications (Amazon ORDER_CHANGE to its SQS queue,
    Shopify order webhooks), so orders arrive in seconds; polling stays on as a safety net."""
    from channelhub.jobs.accounts.connectors import ConnectorFactory
    from channelhub.jobs.accounts.subscriptions import subscribe_orders
    from channelhub.store.db import make_session_factory

    settings = settings_for(ctx)
    vault = vault_for(settings)
    with open_engine(settings) as engine:
        lines = asyncio.run(
            subscribe_orders(
                make_session_factory(engine),
                name,
                connector_factory=ConnectorFactory(vault),
                hub_url=hub_url,
            )
        )
    for line in lines:
        typer.echo(f"ok: {name}: {line}")


@accounts_app.command("reset-cursor")
def reset_cursor_(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="the account name"),
    job: str = typer.Argument(
        ..., help="the job whose cursor to reset: pull_orders, pull_listings"
    ),
    since: datetime | None = typer.Option(
        None,
        "--since",
        formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z"],
        metavar="DATE",
        help="re-import orders changed since this date (UTC); default: the first-run lookback",
    ),
) -> None:
    """Make the next run of a pull job start over: from --since, or as a first run."""
    from channelhub.jobs.accounts.desk import plugin_for

    settings = settings_for(ctx)
    with open_session(settings) as session:
        row = get_account(session, name)
        kind = cursor_job(plugin_for(row.platform), job, with_since=since is not None)
        when = since_date(since, now=_now())
        had = get_cursor(session, name, kind.value) is not None
        reset_cursor(session, name, kind.value, now=_now(), since=when)
    start = f"from {when.isoformat()}" if when else "as a first run (initial lookback)"
    before = "" if had else " (no cursor was stored)"
    typer.echo(f"reset {kind.value} of {name!r}: the next run starts {start}{before}")


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
