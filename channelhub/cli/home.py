"""``channelhub init`` and ``channelhub db upgrade``, plus the helpers every command uses to
reach the hub home: its settings, its database and its credentials vault."""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from sqlalchemy import Engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from channelhub.cli import app, cli_state
from channelhub.core.errors import ConfigError
from channelhub.settings import DEFAULT_CONFIG_TOML, ENV_PREFIX, Settings, load_settings
from channelhub.store.db import (
    autogenerate_revision,
    current_revision,
    head_revision,
    make_engine,
    make_session_factory,
    upgrade,
)

if TYPE_CHECKING:
    from channelhub.store.crypto import Vault

db_app = typer.Typer(help="The hub database.", no_args_is_help=True)
app.add_typer(db_app, name="db")


def settings_for(ctx: typer.Context) -> Settings:
    """The settings of the home chosen by ``--home`` / CHANNELHUB_HOME / the default."""
    return load_settings(cli_state(ctx).home)


def vault_for(settings: Settings) -> Vault:
    """The credentials vault: CHANNELHUB_SECRET_KEY, else ``<home>/secret.key``."""
    from channelhub.store.crypto import load_vault  # the cipher, only for commands that need it

    return load_vault(settings.secret_key, settings.secret_key_path)


def shown_url(url: str) -> str:
    """A database URL fit to print: the password masked."""
    return make_url(url).render_as_string(hide_password=True)


@contextmanager
def open_engine(settings: Settings) -> Iterator[Engine]:
    """An engine on a database already migrated to head (else one clear error)."""
    url = settings.resolved_database_url
    if (
        url.startswith("sqlite")
        and not settings.database_url
        and not settings.database_path.exists()
    ):
        raise ConfigError(f"no database at {settings.database_path}: run `channelhub init` first")
    engine = make_engine(url)
    try:
        at, head = current_revision(engine), head_revision()
        if at != head:
            raise ConfigError(
                f"database {shown_url(url)} is at revision {at or 'none'}, this channelhub "
                f"needs {head}: run `channelhub db upgrade`"
            )
        yield engine
    finally:
        engine.dispose()


@contextmanager
def open_session(settings: Settings) -> Iterator[Session]:
    """A session on the hub database; commits on success, rolls back on error."""
    with open_engine(settings) as engine, make_session_factory(engine).begin() as session:
        yield session


def _ensure_home(home: Path) -> str:
    if home.is_dir():
        return f"home {home} exists"
    if home.exists():
        raise ConfigError(f"hub home {home} exists but is not a directory")
    home.mkdir(mode=0o700, parents=True)
    return f"created home {home}"


def database_url_from_env() -> str:
    """CHANNELHUB_DATABASE_URL, when set."""
    return os.environ.get(f"{ENV_PREFIX}DATABASE_URL", "").strip()


def _ensure_config(path: Path, database_url: str) -> list[str]:
    """Create config.toml (commented defaults) if missing; a database given only by
    CHANNELHUB_DATABASE_URL is recorded in it (without its password), so the next command
    finds the same database without the variable."""
    existed = path.exists()
    text = path.read_text(encoding="utf-8") if existed else DEFAULT_CONFIG_TOML
    lines = [f"kept config {path}" if existed else f"created config {path} (commented defaults)"]
    if not database_url or _configured_database(text):
        if not existed:
            path.write_text(text, encoding="utf-8")
        return lines
    url = make_url(database_url)
    recorded = URL.create(
        url.drivername,
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    ).render_as_string(hide_password=False)  # no password: config.toml is not a vault
    header = f"database_url = {json.dumps(recorded)}  # recorded by `channelhub init`\n\n"
    path.write_text(header + text, encoding="utf-8")
    lines.append(f"recorded database {recorded} in {path}")
    if url.password:
        lines.append(
            "  without its password: keep the password in CHANNELHUB_DATABASE_URL (or in "
            "~/.pgpass), never in config.toml"
        )
    return lines


def _configured_database(text: str) -> bool:
    try:
        return bool(tomllib.loads(text).get("database_url"))
    except tomllib.TOMLDecodeError:
        return True  # not ours to rewrite: loading the settings reports the broken file


def _ensure_key(settings: Settings) -> str:
    from channelhub.store.crypto import Vault, create_key_file

    if settings.secret_key is not None and settings.secret_key.get_secret_value():
        Vault(settings.secret_key, source="CHANNELHUB_SECRET_KEY")  # refuse a malformed key now
        return "secret key from CHANNELHUB_SECRET_KEY (no key file written)"
    path = settings.secret_key_path
    if create_key_file(path):
        return f"created secret key {path} (mode 0600)"
    vault_for(settings)  # an existing key must still be readable, private and well-formed
    return f"kept secret key {path}"


def _migrate(settings: Settings) -> str:
    url = settings.resolved_database_url
    engine = make_engine(url)
    try:
        before = current_revision(engine)
        after = upgrade(engine)
    except OperationalError as exc:  # unreachable server, a file SQLite cannot open
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise ConfigError(f"cannot open database {shown_url(url)}: {reason}") from None
    finally:
        engine.dispose()
    if before == after:
        return f"database {shown_url(url)} already at revision {after}"
    return f"migrated database {shown_url(url)} from revision {before or 'none'} to {after}"


@app.command()
def init(ctx: typer.Context) -> None:
    """Create the hub home (config.toml, secret.key, hub.db) and migrate the database.

    Safe to run again: it keeps what exists and only adds what is missing.
    """
    home = load_settings(cli_state(ctx).home).home
    try:
        typer.echo(_ensure_home(home))
        for line in _ensure_config(home / "config.toml", database_url_from_env()):
            typer.echo(line)
        settings = settings_for(ctx)  # re-read: the config file may be new
        typer.echo(_ensure_key(settings))
    except OSError as exc:  # read-only disk, no permission, a file where a folder should be
        where = exc.filename or home
        raise ConfigError(
            f"cannot set up the hub home {home}: {where}: {(exc.strerror or str(exc)).lower()}; "
            "choose a writable place with --home or CHANNELHUB_HOME"
        ) from None
    typer.echo(_migrate(settings))


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Migrate the hub database to the newest schema (safe to run again)."""
    settings = settings_for(ctx)
    if not settings.database_url and not settings.home.is_dir():
        raise ConfigError(f"hub home {settings.home} does not exist: run `channelhub init` first")
    typer.echo(_migrate(settings))


@db_app.command("revision")
def db_revision(
    message: str = typer.Argument(..., help="what the migration does, e.g. 'pairing tables'"),
) -> None:
    """For developers: write a migration for the tables changed since the last one."""
    path = autogenerate_revision(message)
    typer.echo(f"wrote {path}: review it, then run the tests (they compare it with the tables)")
