"""``channelhub rules test [--rules FILE]``, and how every command finds the rule set.

The rules live in one TOML file (see ``config/rules.example.toml``): ``--rules FILE``, else
``<home>/rules.toml`` when it exists, else the permissive defaults.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from channelhub.cli import app
from channelhub.cli.files import read_text_file
from channelhub.cli.home import open_session, settings_for
from channelhub.core.errors import ConfigError, InvalidInput
from channelhub.settings import Settings

if TYPE_CHECKING:
    from channelhub.core.rulebook import Rulebook
    from channelhub.jobs.orders.pipeline import PipelineSettings

__all__ = ["RULES_OPTION", "load_rules", "pipeline_settings"]

rules_app = typer.Typer(
    help="The order-flow rules (pairing, review, allocation).", no_args_is_help=True
)
app.add_typer(rules_app, name="rules")

#: A rules file is a page of settings; a larger one is a mistake (or /dev/zero).
MAX_RULES_BYTES = 1024 * 1024

RULES_OPTION = typer.Option(None, "--rules", help="rules TOML (default: <home>/rules.toml)")


def load_rules(settings: Settings, path: Path | None) -> Rulebook:
    """The rule set of ``path``, else of ``<home>/rules.toml``, else the defaults."""
    # imported here: a command loads the rule machinery only when it reads the rules
    from channelhub.core.rulebook import Rulebook, load_rulebook

    if path is None:
        path = settings.home / "rules.toml"
        if not path.exists():
            return Rulebook()
    try:
        text = read_text_file(path, limit=MAX_RULES_BYTES)
    except InvalidInput as exc:
        raise ConfigError(f"rules file {exc.problems[0].removeprefix('FILE: ')}") from None
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise ConfigError(f"rules file {path} nests tables too deeply") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"rules file {path} is not valid TOML: {exc}") from None
    return load_rulebook(data, source=str(path))


def pipeline_settings(rules: Rulebook) -> PipelineSettings:
    """The pipeline's view of a rule set (as ``jobs.orders.actions.pipeline_settings``)."""
    from channelhub.jobs.orders.actions import pipeline_settings as settings_of

    return settings_of(rules)


@rules_app.command("test")
def rules_test(
    ctx: typer.Context,
    rules: Path | None = RULES_OPTION,
    limit: int = typer.Option(
        10_000, "--limit", min=1, max=10_000_000, help="open orders to look at"
    ),
) -> None:
    """Show what the rules would change on the stored open orders, and rules that clash."""
    from channelhub.jobs.orders.rules_check import check_rules

    settings = settings_for(ctx)
    rulebook = load_rules(settings, rules)
    now = datetime.now(UTC)
    with open_session(settings) as session:
        report = check_rules(session, rulebook, now=now, limit=limit)
    for change in report.changes:
        typer.echo(
            f"{change.order}: {change.current.value} -> {change.would_be.value}: "
            + "; ".join(change.reasons)
        )
    typer.echo(f"{len(report.changes)} of {report.checked} open order(s) would change")
    for warning in report.warnings:
        other = f" (with {warning.other!r})" if warning.other else ""
        typer.echo(f"warning: rule {warning.rule!r} {warning.kind.value}{other}: {warning.message}")
