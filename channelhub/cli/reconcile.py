"""``channelhub reconcile [ACCOUNT] [--since DATE] [--json] [--repair] [--tolerance N]``.

Compares each sales channel account's orders and listings, and each warehouse account's stock,
with the hub; prints every discrepancy with its class and the repair made or proposed, as a
table or as JSON. ``--repair`` applies the safe repairs; the rest stay proposed for a person.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy.orm import Session, sessionmaker

from channelhub.cli import app
from channelhub.cli.home import open_engine, settings_for, vault_for
from channelhub.cli.output import cli_console, err_console
from channelhub.cli.runtime import http_limits
from channelhub.connectors.errors import CapabilityMissing, ConnectorError
from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.registry import ConnectorRegistry
from channelhub.core.errors import ChannelhubError, InvalidInput
from channelhub.jobs.reconciliation.desk import (
    reconcilable,
    reconcile_now,
    repair_text,
    report_line,
)
from channelhub.jobs.reconciliation.run import TOLERANCE_SETTING, ReconcileReport
from channelhub.settings import Settings
from channelhub.store.db import make_session_factory
from channelhub.store.repos.accounts import (
    AccountInfo,
    get_account,
    list_accounts,
    load_credentials,
)


def parse_since(value: str | None) -> datetime | None:
    """An ISO date (midnight UTC) or an ISO datetime (naive means UTC)."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC)
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput.field(
            "--since", value, "is not an ISO date (2026-03-01) or datetime"
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def build_connector(account: AccountInfo, settings: Settings) -> object:
    """The account's connector, from its stored configuration and decrypted credentials."""
    with open_engine(settings) as engine, make_session_factory(engine).begin() as session:
        credentials = load_credentials(session, vault_for(settings), account.name)
    timeout, retry = http_limits(settings)
    context = ConnectorContext(
        platform=account.platform,
        account=account.name,
        base_url=account.base_url,
        credentials=credentials,
        settings=account.settings,
        timeout=timeout,
        retry=retry,
    )
    return ConnectorRegistry().create(context)


def _accounts(settings: Settings, name: str | None) -> list[AccountInfo]:
    with open_engine(settings) as engine, make_session_factory(engine).begin() as session:
        if name is not None:
            return [AccountInfo.of(get_account(session, name))]
        return list_accounts(session)


@dataclass
class _Outcome:
    """What a reconcile over one or more accounts produced: the reports, a sentence per
    account skipped, and one line per account that failed (when none was named)."""

    reports: list[ReconcileReport] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


async def _run_all(
    settings: Settings,
    accounts: list[AccountInfo],
    *,
    named: bool,
    since: datetime | None,
    repair: bool,
    tolerance: int | None,
) -> _Outcome:
    """Every account's reports. A named account that cannot be reconciled is an error; over
    all accounts, one account's error is recorded as its line and the others still run."""
    outcome = _Outcome()
    now = datetime.now(UTC)
    with open_engine(settings) as engine:
        sessions = make_session_factory(engine)
        for account in accounts:
            try:
                outcome.reports += await _run_one(
                    sessions,
                    account,
                    settings,
                    outcome,
                    named=named,
                    now=now,
                    since=since,
                    repair=repair,
                    tolerance=tolerance,
                )
            except (ChannelhubError, ConnectorError) as exc:
                if named:
                    raise
                outcome.failed.append(f"{account.name}: {exc}")
    return outcome


async def _run_one(
    sessions: sessionmaker[Session],
    account: AccountInfo,
    settings: Settings,
    outcome: _Outcome,
    *,
    named: bool,
    now: datetime,
    since: datetime | None,
    repair: bool,
    tolerance: int | None,
) -> list[ReconcileReport]:
    connector = build_connector(account, settings)
    try:
        if not reconcilable(connector) and not named:
            outcome.skipped.append(f"{account.name}: neither a sales channel nor a warehouse")
            return []
        return await reconcile_now(
            sessions,
            account,
            connector,
            now=now,
            since=since,
            repair=repair,
            tolerance=tolerance,
        )
    except CapabilityMissing as missing:
        if named:
            raise
        outcome.skipped.append(f"{account.name}: {missing}")
        return []
    finally:
        await connector.aclose()  # type: ignore[attr-defined]


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    return str(value)


def print_reports(reports: list[ReconcileReport], console: Console) -> None:
    """One table per run: class, subject, both values, repair and the explanation."""
    for report in reports:
        console.print(report_line(report), markup=False)
        if not report.discrepancies:
            continue
        table = Table(show_lines=False)
        for column in ("class", "subject", "hub", "other side", "repair", "explanation"):
            table.add_column(column, overflow="fold")
        for item in report.discrepancies:
            note = item.repair_note if item.repair_status != "failed" else None
            cells = (
                item.discrepancy_class,
                item.subject_text,
                _shown(item.hub_value),
                _shown(item.other_value),
                repair_text(item),
                item.explanation + (f" ({note})" if note else ""),
            )
            # Text: a note such as "[warehouse 'X' ...]" is not rich markup to swallow
            table.add_row(*(Text(cell) for cell in cells))
        console.print(table)


@app.command()
def reconcile(
    ctx: typer.Context,
    account: str | None = typer.Argument(None, help="one account (default: every account)"),
    since: str | None = typer.Option(
        None, "--since", help="compare channel orders changed since this ISO date or datetime"
    ),
    as_json: bool = typer.Option(False, "--json", help="print JSON instead of tables"),
    repair: bool = typer.Option(False, "--repair", help="apply the safe repairs"),
    tolerance: int | None = typer.Option(
        None,
        "--tolerance",
        min=0,
        help=f"largest stock adjustment applied without a person (else the account's "
        f"{TOLERANCE_SETTING} setting; unset: every adjustment is only proposed)",
    ),
) -> None:
    """Find what the channels, the hub and the warehouses disagree on; repair the safe ones."""
    settings = settings_for(ctx)
    started = parse_since(since)
    accounts = _accounts(settings, account)
    outcome = asyncio.run(
        _run_all(
            settings,
            accounts,
            named=account is not None,
            since=started,
            repair=repair,
            tolerance=tolerance,
        )
    )
    if as_json:
        runs = [r.to_json() for r in outcome.reports]
        document = {"runs": runs, "skipped": outcome.skipped, "failed": outcome.failed}
        typer.echo(json.dumps(document, indent=2, default=str))
    else:
        console = cli_console(terminal_width=160)
        if not outcome.reports and not outcome.failed:
            console.print("no sales channel or warehouse accounts to reconcile", markup=False)
        print_reports(outcome.reports, console)
        for line in outcome.skipped:
            console.print(f"skipped {line}", markup=False)
        for line in outcome.failed:
            err_console.print(f"failed {line}", markup=False)
    if outcome.failed:
        raise typer.Exit(1)
