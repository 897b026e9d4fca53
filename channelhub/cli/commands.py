"""The command table: each top-level ``channelhub`` command, the module(s) that define it and
its one-line help.

``channelhub --help`` prints this table without importing any command module, and a command's
module is imported only when that command runs or shows its own help: importing all of them
(SQLAlchemy, FastAPI, every connector) cost 2-4 s before any command read its arguments.

**Adding a command** is one line in :data:`COMMANDS`. Its module registers on ``app`` as the
others do (``app.add_typer(finance_app, name="finance")`` or ``@app.command("finance")``), and
the entry names the command, the module and the help line ``channelhub --help`` shows::

    "finance": Entry("channelhub.cli.finance", "Fees, payouts and settlements."),

A command spread over several modules lists them all (``stock``). ``tests/cli/test_lazy_cli.py``
checks that every entry's module defines its command and that the help line is the command's
own, so the table cannot drift from the modules.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from difflib import get_close_matches
from typing import TYPE_CHECKING, Any

from typer.core import TyperCommand, TyperGroup

if TYPE_CHECKING:  # typer's own copy of click (the separate click package is not imported)
    from typer._click import Command, Context, HelpFormatter


@dataclass(frozen=True)
class Entry:
    """Where a command is defined, and the line ``--help`` shows for it."""

    modules: str | tuple[str, ...]
    help: str

    def module_names(self) -> tuple[str, ...]:
        return (self.modules,) if isinstance(self.modules, str) else self.modules


_CLI = "channelhub.cli."

#: Every top-level command, in the order ``channelhub --help`` lists them.
COMMANDS: dict[str, Entry] = {
    "init": Entry(_CLI + "home", "Create the hub home (config.toml, secret.key, hub.db) and migrate the database."),  # noqa: E501
    "run": Entry(_CLI + "run", "Run the scheduled jobs and serve the console, webhooks, /health and /metrics until SIGTERM."),  # noqa: E501
    "worker": Entry(_CLI + "worker", "Run the scheduled and event-driven jobs as one worker of the procrastinate engine (any number of them, on any machines) until SIGTERM."),  # noqa: E501
    "demo": Entry(_CLI + "demo", "Run the whole flow (import, pair, hold, allocate, dispatch, ship, track, stock, reconcile) against Amazon, Shopify, two warehouses and UPS simulated on loopback."),  # noqa: E501
    "normalize": Entry(_CLI + "normalize", "Print one canonical JSON object per record found in FILE, one per line."),  # noqa: E501
    "platforms": Entry(_CLI + "platforms", "List the platforms, or the credentials and settings one platform's accounts take."),  # noqa: E501
    "reconcile": Entry(_CLI + "reconcile", "Find what the channels, the hub and the warehouses disagree on; repair the safe ones."),  # noqa: E501
    "simulate": Entry(_CLI + "simulate", "Print the `accounts add` line for a platform simulator, then serve it until Ctrl-C."),  # noqa: E501
    "db": Entry(_CLI + "home", "The hub database."),
    "accounts": Entry(_CLI + "accounts", "Platform accounts (shops, warehouses, carriers)."),
    "rules": Entry(_CLI + "rules", "The order-flow rules (pairing, review, allocation)."),
    "jobs": Entry(_CLI + "jobs", "Scheduled jobs: what runs, the engine's state, their log, dead letters."),  # noqa: E501
    "orders": Entry(_CLI + "orders", "Orders: review, hold, intercept, split, merge."),
    "pairing": Entry(_CLI + "pairing", "Pairing: channel listings -> local SKUs."),
    "products": Entry(_CLI + "products", "The product library (SKUs, combos, kits)."),
    "report": Entry(_CLI + "reports", "Sales trends, stock health and replenishment suggestions."),
    "stock": Entry((_CLI + "stock", _CLI + "stock_levels", _CLI + "stock_transit"), "Stock back-sync: explain and push sellable quantities."),  # noqa: E501
    "sync": Entry(_CLI + "sync", "Run one import now."),
    "users": Entry(_CLI + "users", "Console users: who may log in, with which role."),
    "finance": Entry((_CLI + "finance", _CLI + "finance_pull"), "Settlement: profit per order, and the ledger against orders and payouts."),  # noqa: E501
    "fx": Entry(_CLI + "fx", "Exchange rates to the reporting currency."),
    "warehouses": Entry((_CLI + "warehouses", _CLI + "cartons"), "The seller's warehouses: add, list, remove."),  # noqa: E501
    "new-connector": Entry(_CLI + "kit", "Write a sales-channel plugin package with a stub simulator and its conformance test."),  # noqa: E501
}  # fmt: skip


def load_command(name: str) -> Command | None:
    """Import ``name``'s modules (they register on ``app``) and build its click command."""
    entry = COMMANDS.get(name)
    if entry is None:
        return None
    for module in entry.module_names():
        importlib.import_module(module)
    import typer.main

    from channelhub.cli import app  # the modules registered on it

    return typer.main.get_group(app).commands.get(name)


class LazyCommands(TyperGroup):
    """The root group: lists :data:`COMMANDS` from the table, loads a command on first use."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._listing = False

    def list_commands(self, ctx: Context) -> list[str]:
        eager = [name for name in super().list_commands(ctx) if name not in COMMANDS]
        return [*COMMANDS, *eager]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if cmd_name not in COMMANDS:
            return self.commands.get(cmd_name)
        if self._listing:  # the help line only: no import
            line = COMMANDS[cmd_name].help
            return TyperCommand(cmd_name, help=line, short_help=line)
        # through the table even when the group is registered already: a module imported
        # elsewhere (stock_levels by a test, say) registers it without its other modules
        # (stock_transit), and the group would lack their subcommands
        return load_command(cmd_name)

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def resolve_command(
        self, ctx: Context, args: list[str]
    ) -> tuple[str | None, Command | None, list[str]]:
        name = args[0] if args else ""
        known = list(dict.fromkeys([*COMMANDS, *self.commands]))
        if name and name not in known and not name.startswith("-") and not ctx.resilient_parsing:
            # typer would suggest from the loaded commands only
            matches = get_close_matches(name, known)
            if matches:
                names = ", ".join(repr(m) for m in matches)
                ctx.fail(f"No such command {name!r}. Did you mean {names}?")
        return super().resolve_command(ctx, args)
