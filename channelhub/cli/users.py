"""``channelhub users add|list|remove|passwd``: who may log in to the console.

A password is read with a hidden prompt (typed twice), or from standard input with
``--password-stdin`` (for scripts); never from the command line, where ``ps`` and the shell
history would keep it.
"""

from __future__ import annotations

import sys

import typer
from rich.table import Table

from channelhub.cli import app
from channelhub.cli.home import open_session, settings_for
from channelhub.cli.runtime import console, utc_now
from channelhub.core.errors import InvalidInput
from channelhub.core.roles import Role, parse_role
from channelhub.store.repos.console_users import add_user, list_users, remove_user, set_password

users_app = typer.Typer(
    help="Console users: who may log in, with which role.", no_args_is_help=True
)
app.add_typer(users_app, name="users")

_STDIN = typer.Option(
    False, "--password-stdin", help="read the password from standard input (one line)"
)


def read_password(from_stdin: bool) -> str:
    """The new password: one line of stdin, or a hidden prompt typed twice."""
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise InvalidInput(["password: standard input was empty"])
        return line
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="user name to log in with"),
    role: str = typer.Option(
        Role.VIEWER.value, "--role", help="owner (everything), operator (daily work), viewer"
    ),
    password_stdin: bool = _STDIN,
) -> None:
    """Create a console user."""
    chosen = parse_role(role)
    password = read_password(password_stdin)
    with open_session(settings_for(ctx)) as session:
        user = add_user(session, name, chosen, password, now=utc_now())
    console.print(f"added {user.name} ({user.role.value})", markup=False)


@users_app.command("list")
def users_list(ctx: typer.Context) -> None:
    """Every console user and their role (never a password)."""
    with open_session(settings_for(ctx)) as session:
        users = list_users(session)
    table = Table(show_edge=False)
    for column in ("name", "role", "created UTC"):
        table.add_column(column)
    for user in users:
        table.add_row(user.name, user.role.value, user.created_at.strftime("%Y-%m-%d %H:%M"))
    console.print(table if users else "no console users: `channelhub users add NAME --role owner`")


@users_app.command("remove")
def users_remove(ctx: typer.Context, name: str = typer.Argument(...)) -> None:
    """Remove a console user (their sessions end now)."""
    with open_session(settings_for(ctx)) as session:
        remove_user(session, name)
    console.print(f"removed {name}", markup=False)


@users_app.command("passwd")
def users_passwd(
    ctx: typer.Context, name: str = typer.Argument(...), password_stdin: bool = _STDIN
) -> None:
    """Set a user's password (their sessions end now)."""
    password = read_password(password_stdin)
    with open_session(settings_for(ctx)) as session:
        set_password(session, name, password, now=utc_now())
    console.print(f"password of {name} changed; their sessions ended", markup=False)
