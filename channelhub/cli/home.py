"""``channelhub init`` and ``channelhub db upgrade``, plus the helpers every command uses to
reach the hub home: its settings, its database and its credentials vault."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from channelhub.cli import app, cli_state
from channelhub.core.errors import ConfigError
from channelhub.settings import DEFAULT_CONFIG_TOML, Settings, load_settings
from channelhub.store.crypto import Vault, create_key_file, load_vault
from channelhub.store.db import (
    autogenerate_revision,
    current_revision,
    head_revision,
    make_engine,
    make_session_factory,
    upgrade,
)

db_app = typer.Typer(help="The hub database.", no_args_is_help=True)
app.add_typer(db_app, name="db")


def settings_for(ctx: typer.Context) -> Settings:
    """The settings of the home chosen by ``--home`` / CHANNELHUB_HOME / the default."""
    return load_settings(cli_state(ctx).home)


def vault_for(settings: Settings) -> Vault:
    """The credentials vault: CHANNELHUB_SECRET_KEY, else ``<home>/secret.key``."""
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


def _ensure_config(path: Path) -> str:
    if path.exists():
        return f"kept config {path}"
    path.write_text(DEFAULT_CONFIG_TOML, encoding="utf-8")
    return f"created config {path} (commented defaults)"


def _ensure_key(settings: Settings) -> str:
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
    typer.echo(_ensure_home(home))
    typer.echo(_ensure_config(home / "config.toml"))
    settings = settings_for(ctx)  # re-read: the config file may be new
    typer.echo(_ensure_key(settings))
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
