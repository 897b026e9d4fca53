"""``channelhub platforms [PLATFORM]``: which platforms the hub speaks and what an account of
each needs (credentials, settings, base URL), from the platforms' own declarations."""

from __future__ import annotations

import typer
from rich.table import Table
from rich.text import Text

from channelhub.cli import app
from channelhub.cli.output import cli_console
from channelhub.connectors.plugin import ConnectorPlugin
from channelhub.connectors.registry import ConnectorRegistry
from channelhub.connectors.spec import FieldSpec, all_settings
from channelhub.core.errors import NotFound
from channelhub.jobs.accounts.setup import jobs_of
from channelhub.jobs.engine.kinds import OFF_UNTIL_TURNED_ON

console = cli_console(terminal_width=200)


def _roles(plugin: ConnectorPlugin) -> str:
    return ", ".join(sorted(role.value for role in plugin.roles))


@app.command("platforms")
def platforms(
    platform: str | None = typer.Argument(None, help="show what an account of this one needs"),
) -> None:
    """List the platforms, or the credentials and settings one platform's accounts take."""
    registry = ConnectorRegistry()
    if platform is None:
        table = Table("platform", "role", "what it is", show_edge=False)
        for name in registry.names():
            plugin = registry.get(name)
            table.add_row(Text(name), Text(_roles(plugin)), Text(plugin.description))
        console.print(table)
        console.print("details: channelhub platforms PLATFORM", markup=False)
        return
    try:
        plugin = registry.get(platform)
    except NotFound as exc:
        raise NotFound(f"{exc}; `channelhub platforms` lists them") from None
    _show(plugin)


def _fields(title: str, fields: list[FieldSpec]) -> None:
    if not fields:
        console.print(f"{title}: none", markup=False)
        return
    table = Table("name", "type", "required", "default", "help", title=None, show_edge=False)
    for spec in fields:
        kind = spec.type.value + (f" ({'|'.join(spec.choices)})" if spec.choices else "")
        table.add_row(
            Text(spec.name),
            Text(kind),
            Text("yes" if spec.required else "no"),
            Text("-" if spec.default is None else str(spec.default)),
            Text(spec.help),
        )
    console.print(f"{title}:", markup=False)
    console.print(table)


def say(text: str) -> None:
    console.print(text, markup=False)


def _show(plugin: ConnectorPlugin) -> None:
    spec = plugin.spec
    say(f"{plugin.platform}: {plugin.description}")
    say(f"role: {_roles(plugin)}")
    if spec.base_url_required:
        say(f"base URL: required (--base-url: {spec.base_url_help or 'its API endpoint'})")
    elif plugin.default_base_url:
        say(f"base URL: {plugin.default_base_url} (default; --base-url for a sandbox or simulator)")
    else:
        say(f"base URL: from the setting {spec.base_url_or_setting!r}, or --base-url")
    _fields(
        "credentials (-c NAME, prompted hidden; or CHANNELHUB_CRED_NAME)", list(spec.credentials)
    )
    _fields("settings (-s NAME=VALUE)", all_settings(spec, plugin.roles))
    jobs = [
        kind.value + (" (off until turned on)" if kind in OFF_UNTIL_TURNED_ON else "")
        for kind in jobs_of(plugin)
    ]
    say("jobs: " + ", ".join(jobs))
    required = [f"-c {c.name}" for c in spec.credentials if c.required] + [
        f"-s {s.name}=..." for s in spec.settings if s.required
    ]
    if spec.base_url_required:
        required.insert(0, "--base-url URL")
    elif spec.base_url_or_setting:
        required.append(f"-s {spec.base_url_or_setting}=... (or --base-url URL)")
    say(f"add one: channelhub accounts add {plugin.platform} NAME " + " ".join(required))
